"""RSS 2.0 / Atom feeds of papers (SOURCES.md §3), parsed with feedparser.

Feeds carry no votes, so their papers have `votes=None`. The arXiv id is recovered from
the entry's links and id (arxiv.org/abs|pdf, huggingface.co/papers, `oai:arXiv.org:` guids)
so the same paper from a feed and from the HF API merges into one. Authors given as one
comma-separated string (arXiv's dc:creator) are split into names.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
import time
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.models import ARXIV_ABS_URL, Digest, Media, MediaKind, Paper, SourceKind
from bot.sources.errors import ParseError
from bot.sources.http import Fetcher, Validators
from bot.sources.result import SourceResult
from bot.sources.sentences import normalize_space, split_sentences

log = logging.getLogger(__name__)

_ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?"
_ID_PATTERNS = (
    re.compile(r"arxiv\.org/(?:abs|pdf)/" + _ARXIV_ID, re.IGNORECASE),
    re.compile(r"huggingface\.co/papers/" + _ARXIV_ID, re.IGNORECASE),
    re.compile(r"oai:arxiv\.org:" + _ARXIV_ID, re.IGNORECASE),
)
#: arXiv's own RSS prefixes every abstract with this line; it is not part of the abstract.
_ARXIV_PREFIX = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s+Abstract:\s*", re.IGNORECASE)
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif")


def parse_feed(data: bytes, *, origin: str, fallback_day: dt.date | None = None) -> Digest:
    """A feed body as a Digest of its entries, in feed order.

    An entry without a date gets the feed's date, else `fallback_day` (default: today,
    UTC). The digest is dated by the newest date the feed states (entries or feed), else
    `fallback_day`. Entries without a title or any link are skipped with a warning; a body
    feedparser finds no feed in raises ParseError.
    """
    try:
        # A stream, never bytes or str: feedparser treats those as a file name or URL to open.
        parsed = feedparser.parse(io.BytesIO(data), response_headers=_base_headers(origin))
    except Exception as exc:  # feedparser is third-party; whatever it trips on is a bad body
        raise ParseError(f"{origin}: unreadable feed ({type(exc).__name__}: {exc})") from None
    entries = parsed.get("entries") or []
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom feed found"
        raise ParseError(f"{origin}: not a feed ({reason})")
    if parsed.get("bozo"):
        log.warning("%s: feed is malformed (%s); using what parsed", origin, parsed.bozo_exception)
    meta = parsed.get("feed") or {}
    language = _language(meta.get("language"))
    default_day = _entry_date(meta) or fallback_day or dt.datetime.now(dt.UTC).date()
    papers: list[Paper] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        paper = _paper(entry, language, default_day)
        if paper is None:
            log.warning("%s: skipped entry %d: no title or no link", origin, index)
            continue
        if paper.key not in seen:
            seen.add(paper.key)
            papers.append(paper)
    known = [d for d in (*map(_entry_date, entries), _entry_date(meta)) if d is not None]
    day = max(known, default=default_day)
    return Digest(
        date=day, source=SourceKind.FEED, papers=tuple(papers), origin=origin, language=language
    )


async def fetch_feed(
    fetcher: Fetcher, url: str, validators: Validators | None = None
) -> SourceResult:
    """GET a feed conditionally and parse it off the event loop (feedparser is slow, sync code)."""
    result = await fetcher.get(url, validators=validators)
    if result.body is None:
        return SourceResult.not_modified(
            url, (validators or Validators()).updated_by(result.validators)
        )
    digest = await asyncio.to_thread(parse_feed, result.body, origin=result.final_url)
    return SourceResult.fetched(url, digest, result.validators)


def html_to_text(markup: str) -> str:
    """Feed summaries are HTML; bullets and abstracts are plain text."""
    stripper = _TextExtractor()
    stripper.feed(markup)
    stripper.close()
    return normalize_space("".join(stripper.parts))


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    _HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def extract_arxiv_id(*candidates: str | None) -> str | None:
    """The version-less arXiv id in the first candidate link or guid that has one."""
    for text in candidates:
        if not text:
            continue
        for pattern in _ID_PATTERNS:
            match = pattern.search(text)
            if match:
                return match.group(1)
    return None


def _paper(entry: Mapping[str, Any], language: str, default_day: dt.date) -> Paper | None:
    title = _as_text(_str(entry.get("title")), entry.get("title_detail"))
    links = [_str(link.get("href")) for link in _dicts(entry.get("links"))]
    pages = [
        _str(link.get("href"))
        for link in _dicts(entry.get("links"))
        if _str(link.get("rel")) in {"", "alternate"}
    ]
    link = _str(entry.get("link")) or next((href for href in pages if href), "")
    arxiv_id = extract_arxiv_id(link, *links, _str(entry.get("id")))
    url = link or (ARXIV_ABS_URL.format(arxiv_id=arxiv_id) if arxiv_id else "")
    if not title or not url.startswith(("http://", "https://")):
        return None
    abstract = _ARXIV_PREFIX.sub("", _summary(entry)) or None
    return Paper(
        title=title,
        url=url,
        date=_entry_date(entry) or default_day,
        source=SourceKind.FEED,
        language=language,
        arxiv_id=arxiv_id,
        votes=None,
        authors=tuple(_authors(entry)),
        media=_media(entry),
        bullets=tuple(split_sentences(abstract)) if abstract else (),
        abstract=abstract,
        keywords=tuple(_tags(entry)),
    )


def _tags(entry: Mapping[str, Any]) -> Iterable[str]:
    terms = (normalize_space(_str(tag.get("term"))) for tag in _dicts(entry.get("tags")))
    return (term for term in terms if term)


def _summary(entry: Mapping[str, Any]) -> str:
    """Atom `content` holds the full text when present; `summary` is often a teaser."""
    for content in _dicts(entry.get("content")):
        text = _as_text(_str(content.get("value")), content)
        if text:
            return text
    return _as_text(_str(entry.get("summary")), entry.get("summary_detail"))


def _as_text(value: str, detail: Any) -> str:
    """Plain text stays as written (a title may say `<think>`); HTML loses its markup."""
    kind = _str(detail.get("type")) if isinstance(detail, Mapping) else ""
    return normalize_space(value) if kind == "text/plain" else html_to_text(value)


def _authors(entry: Mapping[str, Any]) -> Iterable[str]:
    names = [normalize_space(_str(a.get("name"))) for a in _dicts(entry.get("authors"))]
    names = [n for n in names if n] or [normalize_space(_str(entry.get("author")))]
    if len(names) == 1 and "," in names[0]:
        names = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", names[0])
    return (html_to_text(n) for n in names if n.strip())


def _media(entry: Mapping[str, Any]) -> Media | None:
    found: list[Media] = []
    for item in _dicts(entry.get("enclosures")):
        found.extend(_media_of(_str(item.get("href")), _str(item.get("type"))))
    for item in _dicts(entry.get("media_content")):
        kind = _str(item.get("type")) or _str(item.get("medium"))
        found.extend(_media_of(_str(item.get("url")), kind))
    for item in _dicts(entry.get("media_thumbnail")):
        found.extend(_media_of(_str(item.get("url")), "image"))
    videos = [m for m in found if m.kind is MediaKind.VIDEO]
    chosen = videos or found
    return chosen[0] if chosen else None


def _media_of(url: str, kind: str) -> list[Media]:
    """A media link is one that says it is an image or video, by MIME type or file name."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        return []
    by_name = Media.from_url(url)
    if kind.startswith("video"):
        return [Media(MediaKind.VIDEO, url)]
    if kind.startswith("image"):
        return [by_name]
    path = url.split("?", 1)[0].lower()
    if by_name.kind is MediaKind.VIDEO or (not kind and path.endswith(_IMAGE_EXTENSIONS)):
        return [by_name]
    return []


def _entry_date(entry: Mapping[str, Any]) -> dt.date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # Plain dict lookup: FeedParserDict's own maps one key onto another with a warning.
        value = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
            except ValueError:
                continue
    return None


def _language(value: Any) -> str:
    """The primary subtag only ("en-us" -> "en"): renderers and filters key on it."""
    primary = re.split(r"[-_]", _str(value).strip(), maxsplit=1)[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else "en"


def _base_headers(origin: str) -> dict[str, str]:
    """Relative links in a fetched feed resolve against where it came from.

    The content type is fixed to application/xml so the XML declaration decides the
    encoding (and feedparser doesn't flag the body for a header it never saw).
    """
    headers = {"content-type": "application/xml"}
    if origin.startswith(("http://", "https://")):
        headers["content-location"] = origin
    return headers


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
