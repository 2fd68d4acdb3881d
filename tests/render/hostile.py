"""Hostile papers for property tests: every untrusted field (title, bullets, authors,
abstract, keywords) full of mention, link and layout syntax for both platforms, and every
URL field junk, plus the set of URLs a rendered post may link to (the paper's own fields).

Links in hostile text point at `EVIL_HOST`, which no URL field ever uses, so a masked link
to it in a rendered body can only have come from untrusted text.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from bot.models import HF_SOCIAL_THUMBNAIL_URL, Digest, Media, Paper, SourceKind

EVIL_HOST = "evil.example"
DAY = dt.date(2024, 5, 1)

MARKUP = [
    # mentions, Discord then Slack
    "@everyone", "@here", "@Everyone", "<@123456789012345678>", "<@!1>", "<@&1>", "<#1>",
    "</cmd:1>", "<t:1:R>", "<!channel>", "<!here>", "<!everyone>", "<!subteam^S1|@team>",
    "<@U123>", "<#C1|general>",
    # links of every shape
    f"[click](https://{EVIL_HOST}/x)", f"[arXiv](https://arxiv.org.{EVIL_HOST}/)",
    f"![i](https://{EVIL_HOST}/i.png)", f"![](https://{EVIL_HOST}/i.png)",
    f"[a](<https://{EVIL_HOST}/a>)", f'[t](https://{EVIL_HOST}/t "title")',
    f"[https://arxiv.org/abs/1](https://{EVIL_HOST}/)", "[x](javascript:alert(1))",
    f"<https://{EVIL_HOST}|arXiv>", f"<https://{EVIL_HOST}>", f"https://{EVIL_HOST}/bare",
    # layout
    "# ", "## ", "### ", "-# ", "> ", ">>> ", "- ", "* ", "+ ", "1. ", "12) ",
    "`", "```", "```py\n", "**", "***", "__", "~~", "||", "_", "*", "~",
    # characters that are syntax somewhere
    "\\", "&", "&amp;", "&lt;", "&gt;", "&#60;", "<", ">", "|", "[", "]", "(", ")", ":",
    # layout-free noise
    "\n", "\n\n", " ", "\t", "\u200b", "\u202e", "한국어 요약. ", "👨\u200d👩\u200d👧", "🇰🇷",
    "x" * 40,
]  # fmt: skip

JUNK_URLS = [
    None, "", "javascript:alert(1)", "/relative", "//evil.example/x", "ftp://e.org/f",
    "https:evil", "https://e.org/a b", "data:image/png;base64,AA", "https://e.org/v.mp4",
    "https://e.org/i.svg", "https://e.org/i.png?x=<y>|z", "https://e.org/a)[x](https://evil.example)",
    "https://e.org/x|<!channel>", "https://e.org/`code`", "https://e.org/#heading",
    "https://e.org/a_b*c~d", "https://e.org/?a=1&b=2", "https://e.org/a\\b]c",
    "https://" + "a" * 2100 + ".org/", "https://e.org/" + "p" * 1990,
    "https://e.org/" + "v" * 1977 + ".mp4",  # a video link that fills Discord's content
]  # fmt: skip

_pieces = st.one_of(st.sampled_from(MARKUP), st.sampled_from(MARKUP), st.text(max_size=4))
_short = st.lists(_pieces, max_size=25).map("".join)
# Long enough to hit every budget (a whole Discord description, a Slack message's 12,000).
_long = st.builds(lambda text, times: (text or "@everyone ") * times, _short, st.integers(20, 300))
hostile_text = st.one_of(_short, _short, _short, _long.map(lambda text: text[:9_000]))
junk_url = st.sampled_from(JUNK_URLS)


@st.composite
def hostile_papers(draw: st.DrawFn) -> Paper:
    media = draw(junk_url)
    return Paper(
        title=draw(hostile_text),
        url=draw(junk_url) or "",
        date=DAY,
        source=draw(st.sampled_from(list(SourceKind))),
        language=draw(st.sampled_from(["en", "ko"])),
        arxiv_id=draw(st.sampled_from([None, "2405.00001", "2405.00002"])),
        votes=draw(st.one_of(st.none(), st.integers(-5, 10**6))),
        authors=tuple(draw(st.lists(hostile_text, max_size=12))),
        authors_truncated=draw(st.booleans()),
        media=Media.from_url(media) if media else None,
        bullets=tuple(draw(st.lists(hostile_text, max_size=6))),
        abstract=draw(st.one_of(st.none(), hostile_text)),
        github_url=draw(junk_url),
        project_url=draw(junk_url),
        keywords=tuple(draw(st.lists(hostile_text, max_size=5))),
        following=tuple(draw(st.lists(hostile_text, max_size=3))),
    )


hostile_digests = st.builds(
    lambda papers, language: Digest(
        date=DAY, source=SourceKind.MARKDOWN, papers=tuple(papers), language=language
    ),
    st.lists(hostile_papers(), max_size=8),
    st.sampled_from(["en", "ko"]),
)


def paper_urls(paper: Paper) -> set[str]:
    """The URL fields of a paper: the only places a rendered post may link to."""
    urls = {
        paper.url,
        paper.arxiv_url,
        paper.hf_url,
        paper.pdf_url,
        paper.github_url,
        paper.project_url,
        paper.media.url if paper.media else None,
        HF_SOCIAL_THUMBNAIL_URL.format(arxiv_id=paper.arxiv_id) if paper.arxiv_id else None,
    }
    return {url for url in urls if url}


def digest_urls(digest: Digest) -> set[str]:
    """Every paper's URL fields and the day's page on Hugging Face."""
    urls = {digest.day_url}
    for paper in digest.papers:
        urls |= paper_urls(paper)
    return urls
