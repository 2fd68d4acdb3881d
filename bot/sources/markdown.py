"""Parser for the Korean-summary markdown digests (the format of l-yohai/daily_papers_ko).

The format is loose and has drifted over time (see tests/fixtures/corpus/README.md), so the
parser reads it leniently and never guesses silently about the one thing that matters
for scheduling, the date: an unreadable `## Daily Papers (...)` header is a `ParseError`.

Layout of one file::

    ## Daily Papers (YYYY-MM-DD)          <- may appear more than once per file
    ### [Title](https://arxiv.org/abs/ID)  <- one paper per heading
    ![](image-or-video-url)                <- or [Watch Video](url) + <div><video ...>
    Vote: N                                <- or `Vote: -`, or absent
    Authors: a, b, c, +                    <- or ['a', 'b'], or absent
    - summary bullet ...

Speed matters (whole archives are re-imported), so the text is cut into sections and
papers with `str.split` on the heading markers and each paper block is handled with plain
string methods and anchored regexes; nothing walks the text character by character in
Python, and control characters are looked for with one C-speed pass before any regex.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.models import Digest, Media, MediaKind, Paper, SourceKind, media_kind_for_url
from bot.sources.errors import ParseError
from bot.sources.numbers import read_count

HF_BASE_URL = "https://huggingface.co"

_SECTION_MARK = "\n## Daily Papers"
_PAPER_MARK = "\n### ["
_SECTION_DATE = re.compile(r"\(\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*\)")
_ORIGIN_DATE = re.compile(r"(\d{4})[/-](\d{2})[/-](\d{2})")
# \r\n and lone \r become newlines, TAB a space (it shows up inside words, from LaTeX
# escapes like "\text" gone wrong); every other C0 control and DEL is dropped.
_CONTROL = re.compile(r"\r\n?|[\x00-\x08\x0b-\x1f\x7f]|\t")
# Everything printable in ASCII plus newline: deleting these from the ASCII part of a text
# leaves only the controls, a quick C-speed test before any regex runs.
_PLAIN_ASCII = bytes([10, *range(32, 127)])
_META = re.compile(r"(?i)(votes?|upvotes|authors?)\s*:\s*(.*)")
_HTML_SRC = re.compile(
    r"""(?i)<(?:video|img|source)\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""
)
_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""")
_ESCAPE = re.compile(r"\\(.)")
_NUMBERED = re.compile(r"\d{1,3}[.)]\s+")
_ARXIV_ID = re.compile(
    r"(?i)(?:arxiv\.org/(?:abs|pdf)/|huggingface\.co/papers/)"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?"
)
# Language is counted on UTF-8 bytes with bytes.translate (C speed): Hangul syllables
# (U+AC00-U+D7A3) are the 3-byte sequences led by 0xEA-0xED; that range also holds a few
# rare scripts, which is close enough to tell a Korean summary from an English one.
_ALL_BUT_HANGUL_LEADS = bytes(b for b in range(256) if not 0xEA <= b <= 0xED)
_ALL_BUT_LATIN = bytes(b for b in range(256) if not (0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A))


def parse_markdown_digest(
    text: str, *, origin: str | None = None, day: dt.date | None = None
) -> Digest:
    """Read one digest file (all its `## Daily Papers` sections) into a `Digest`.

    Each paper carries the date of its own section; `Digest.date` is the first section's.
    Without any section header the date comes from `day`, else from a `YYYY/MM/DD` or
    `YYYY-MM-DD` in `origin` (a path or URL), else the text is refused.

    Bullets (markdown strings, list marker removed, lines joined with "\\n"):

    - every `- ` (also `* `, `+ `) item at column 0 starts a bullet;
    - indented lines (nested items) and lines directly below an item (lazy continuation,
      including numbered sub-lists) belong to the bullet above them;
    - an unindented line after a blank line starts a paragraph bullet of its own;
    - a numbered item (`1.`/`1)`) that is not under a `- ` item is a bullet of its own,
      number removed; so a summary with no `- ` items at all turns its numbered items
      and paragraphs into bullets and nothing is lost.

    A `### [...` line that carries no `](URL)` link is not a paper: it and its text are
    skipped rather than glued onto the paper above. Links are kept as given, except that
    site-relative ones (`/avatars/x.svg`) are resolved against huggingface.co.
    """
    text = _clean(text)
    where = origin or "markdown digest"
    drafts: list[tuple[dt.date | None, _Draft]] = []
    first_section: dt.date | None = None
    sections = ("\n" + text).split(_SECTION_MARK)
    for index, chunk in enumerate(sections):
        section: dt.date | None = None
        if index:
            header = chunk.partition("\n")[0]
            section = _section_date(header)
            if section is None:
                lineno = sum(s.count("\n") for s in sections[:index]) + index
                line = ("## Daily Papers" + header)[:80]
                raise ParseError(f"{where}: line {lineno}: no valid date in header {line!r}")
            first_section = first_section or section
        for part in chunk.split(_PAPER_MARK)[1:]:
            heading, _, body = part.partition("\n")
            draft = _draft(heading, body)
            if draft is not None:
                drafts.append((section, draft))

    fallback = first_section or day or date_from_origin(origin)
    if not drafts and len(sections) == 1:
        raise ParseError(
            f"{where}: not a markdown digest (no '## Daily Papers (YYYY-MM-DD)' header "
            "and no '### [Title](URL)' paper heading)"
        )
    if fallback is None:
        raise ParseError(f"{where}: no '## Daily Papers (YYYY-MM-DD)' header to date it by")

    hangul = sum(draft.hangul for _, draft in drafts)
    latin = sum(draft.latin for _, draft in drafts)
    language = _language(hangul, latin) or "en"
    papers = tuple(draft.paper(section or fallback, language) for section, draft in drafts)
    return Digest(
        date=fallback,
        source=SourceKind.MARKDOWN,
        papers=papers,
        origin=origin,
        language=language,
    )


def arxiv_id_from_url(url: str) -> str | None:
    """The arXiv id in an arxiv.org abs/pdf or huggingface.co/papers link, version dropped."""
    match = _ARXIV_ID.search(url)
    return match.group(1) if match else None


def absolute_url(url: str) -> str:
    """Digests link HF assets site-relative (`/avatars/x.svg`); chat clients need a host."""
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return HF_BASE_URL + url
    return url


def date_from_origin(origin: str | None) -> dt.date | None:
    """The day named by a digest's path or URL (`.../2024/10/18.md`, `2024-10-18.json`)."""
    for match in reversed(list(_ORIGIN_DATE.finditer(origin or ""))):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


@dataclass(slots=True)
class _Draft:
    """A paper before its date and the digest-wide language fallback are known."""

    title: str
    url: str
    votes: int | None
    authors: tuple[str, ...]
    truncated: bool
    media: Media | None
    bullets: tuple[str, ...]
    hangul: int
    latin: int

    def paper(self, date: dt.date, digest_language: str) -> Paper:
        return Paper(
            title=self.title,
            url=self.url,
            date=date,
            source=SourceKind.MARKDOWN,
            language=_language(self.hangul, self.latin) or digest_language,
            arxiv_id=arxiv_id_from_url(self.url),
            votes=self.votes,
            authors=self.authors,
            authors_truncated=self.truncated,
            media=self.media,
            bullets=self.bullets,
        )


def _clean(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.encode("ascii", "ignore").translate(None, _PLAIN_ASCII):
        return text
    return _CONTROL.sub(_replace_control, text)


def _replace_control(match: re.Match[str]) -> str:
    char = match.group()
    if char[0] == "\r":
        return "\n"
    return " " if char == "\t" else ""


def _section_date(header: str) -> dt.date | None:
    match = _SECTION_DATE.search(header)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _link(heading: str) -> tuple[str, str] | None:
    """Title and URL of a heading (the text after `### [`); the URL is the LAST `](...)`,
    so titles may hold brackets, parentheses and even links of their own."""
    heading = heading.rstrip()
    cut = heading.rfind("](")
    if cut == -1:
        return None
    url = _target(heading[cut + 2 :])
    if url is None:
        return None
    return heading[:cut].strip() or url, url


def _target(rest: str) -> str | None:
    """The URL in what follows `](`: up to the closing parenthesis (the last one when the
    line ends with it, so URLs with parentheses survive), without `<>` or a link title."""
    if rest.endswith(")"):
        rest = rest[:-1]
    elif ")" in rest:
        rest = rest[: rest.find(")")]
    rest = rest.strip()
    if rest.startswith("<") and ">" in rest:
        rest = rest[1 : rest.find(">")]
    parts = rest.split()
    return absolute_url(parts[0]) if parts else None


def _draft(heading: str, body: str) -> _Draft | None:
    link = _link(heading)
    if link is None:
        return None
    lines = body.split("\n")
    votes: int | None = None
    authors: tuple[str, ...] = ()
    truncated = False
    media: Media | None = None
    start = len(lines)
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        first = line[0]
        if first in "![<":
            url = _media_url(line)
            if url is not None:
                media = media or Media.from_url(url)
                continue
            if first == "<" and line.endswith(">"):
                continue  # stray HTML such as </div> between media and summary
            start = index
            break
        meta = _META.match(line) if first in "VvAaUu" else None
        if meta is None:
            start = index
            break
        if meta[1][0] in "Aa":
            authors, truncated = _authors(meta[2])
        else:
            votes = _votes(meta[2], link[0])
    bullets = _bullets(lines[start:])
    sample = bullets[0].encode("utf-8", "replace") if bullets else b""
    return _Draft(
        title=link[0],
        url=link[1],
        votes=votes,
        authors=authors,
        truncated=truncated,
        media=media,
        bullets=bullets,
        hangul=len(sample.translate(None, _ALL_BUT_HANGUL_LEADS)),
        latin=len(sample.translate(None, _ALL_BUT_LATIN)),
    )


def _media_url(line: str) -> str | None:
    """The URL of a media line: `![](URL)`, `[Watch Video](URL)`, `[Watch Video]URL` or an
    HTML `<video>`/`<img>` tag. A plain `[text](URL)` link is not media."""
    if line[0] == "<":
        match = _HTML_SRC.search(line)
        if match is None:
            return None
        url = (match[1] or match[2] or match[3] or "").strip()
        return absolute_url(url) if url else None
    image = line.startswith("![")
    cut = line.rfind("](")
    if cut != -1:
        label, url = line[: cut + 1], _target(line[cut + 2 :])
    else:
        close = line.find("]")
        if close == -1:
            return None
        parts = line[close + 1 :].split()
        label, url = line[:close], absolute_url(parts[0]) if parts else None
    if url is None:
        return None
    if image or "video" in label.lower() or media_kind_for_url(url) is MediaKind.VIDEO:
        return url
    return None


def _votes(value: str, title: str) -> int | None:
    """`Vote: 12`, `Vote: 1,204`; `Vote: -` is the digest's own "unknown"."""
    value = value.strip()
    return None if value in ("", "-") else read_count(value, what=f"Vote of {title!r}")


def _authors(value: str) -> tuple[tuple[str, ...], bool]:
    """`a, b, +, c` or a Python-list repr `['a', "O'Brien"]`.

    A `+` item marks names the page folded away; it is mostly last but can sit anywhere
    (the page shows ~22 names around its "+N" button), so any `+` item means "cut".
    """
    value = value.strip()
    if value.startswith("["):
        names, cut = _list_items(value)
    else:
        names, cut = [part.strip() for part in value.split(",")], False
        if names[-1].endswith(" +"):  # `a, b +`
            names[-1], cut = names[-1][:-2].rstrip(), True
    kept = tuple(name for name in names if name and name != "+")
    return kept, cut or "+" in names


def _list_items(value: str) -> tuple[list[str], bool]:
    """Items of a Python-list repr; a list cut before its `]` counts as truncated."""
    close = value.rfind("]")
    inner = value[1:close] if close != -1 else value[1:]
    names = [
        _ESCAPE.sub(r"\1", single if single is not None else double)
        for single, double in ((m.group(1), m.group(2) or "") for m in _QUOTED.finditer(inner))
    ]
    if not names and inner.strip():
        names = inner.split(",")
    after = value[close + 1 :].strip() if close != -1 else ""
    return [name.strip() for name in names], close == -1 or after == "+"


def _bullets(lines: list[str]) -> tuple[str, ...]:
    items: list[list[str]] = []
    current: list[str] | None = None
    in_list_item = False
    after_blank = True
    for raw in lines:
        line = raw.rstrip()
        if not line:
            after_blank = True
            continue
        first = line[0]
        if first in "-*+" and (len(line) == 1 or line[1] == " "):
            current = [line[2:].strip()]
            items.append(current)
            in_list_item = True
        elif current is not None and (first == " " or (not after_blank and in_list_item)):
            current.append(line)
        elif first.isdigit() and (numbered := _NUMBERED.match(line)) is not None:
            current = [line[numbered.end() :].strip()]
            items.append(current)
            in_list_item = False
        elif current is not None and not after_blank:
            current.append(line)
        else:
            current = [line.strip()]
            items.append(current)
            in_list_item = False
        after_blank = False
    return tuple(text for text in ("\n".join(item).strip() for item in items) if text)


def _language(hangul: int, latin: int) -> str | None:
    """Korean when Hangul dominates the summary. A syllable block spells what takes about
    three Latin letters, and Korean summaries keep English terms and labels
    ("**Technical Details**", "(LoRA, DPO)"), so Latin letters may outnumber syllables
    up to four to one before a summary counts as English."""
    if hangul == 0 and latin == 0:
        return None
    return "ko" if hangul * 4 >= latin else "en"
