"""Whatever a source sends, every rendered body is valid and non-empty on both platforms:
huge titles, 10,000-character author lists, emoji ZWJ sequences and flags, Hangul (also
as loose jamo), combining marks, markdown and mention syntax, empty fields, no papers."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.models import Digest, Media, Paper, SourceKind
from bot.render.discord import render_discord_alert, render_discord_digest, render_discord_paper
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions, SlackLayout
from bot.render.slack import render_slack_alert, render_slack_digest, render_slack_paper
from tests.render.validators import discord_message_violations, slack_message_violations

TOKENS = [
    "@everyone", "@here", "<!channel>", "<!here>", "<!everyone>", "<!subteam^S1|@t>",
    "<@U123>", "<@123>", "<@!1>", "<@&1>", "<#C1>", "</cmd:1>", "<t:1:R>",
    "**", "***", "_", "__", "~~", "`", "```", "*", "||",
    "[x](javascript:alert(1))", "[ok](https://e.org/a_(b))", "![i](https://e.org/i.png)",
    "<https://e.org|x>", "&", "&amp;", "<", ">", "|", "\\", "# ", "> ", "- ", "1. ",
    "\n", "\n\n", "\t", " ", "  ", "한국어 요약입니다. ", "\u1112\u1161\u11ab",
    "👨\u200d👩\u200d👧\u200d👦", "🇰🇷", "🇺🇸🇯🇵", "👍🏽", "🏳️\u200d🌈", "e\u0301", "\u0301\u0302",
    "\u200d", "\u200b", "\ufe0f", "\ud800", "\udfff", "\x00", "\x1b[31m", "\u202e",
    "…", ". ", "다. ", "x" * 50, "***What's New***: ",
]  # fmt: skip

URLS = [
    None, "", "https://arxiv.org/abs/2401.00001", "http://e.org/x", "javascript:alert(1)",
    "/relative", "ftp://e.org/f", "https://e.org/a b", "https://e.org/v.mp4",
    "http://e.org/v.webm", "https://e.org/i.svg", "https://e.org/i.png?x=<y>|z",
    "https://" + "a" * 2100 + ".org/", "https://e.org/" + "p" * 1990, "data:image/png;base64,AA",
]  # fmt: skip

fragments = st.one_of(st.sampled_from(TOKENS), st.text(max_size=6))
texts = st.lists(fragments, max_size=30).map("".join)
huge_texts = st.builds(lambda t, n: (t or "Ω") * n, texts, st.integers(20, 200)).map(
    lambda t: t[:9_000]
)
any_text = st.one_of(texts, texts, texts, huge_texts)
giant_authors = st.just(tuple(f"Author Number {n:04d}" for n in range(600)))  # > 10,000 chars
authors = st.one_of(
    st.lists(any_text, max_size=12).map(tuple),
    giant_authors,
    st.just(("x" * 10_000,)),
)


@st.composite
def papers(draw: st.DrawFn) -> Paper:
    media_url = draw(st.sampled_from(URLS))
    return Paper(
        title=draw(any_text),
        url=draw(st.sampled_from(URLS)) or "",
        date=dt.date(2024, 5, 1),
        source=draw(st.sampled_from(list(SourceKind))),
        language=draw(st.sampled_from(["en", "ko", "fr", ""])),
        arxiv_id=draw(st.sampled_from([None, "2405.00001", "2405.00002", "bad id/../x", ""])),
        votes=draw(st.one_of(st.none(), st.integers(-5, 10**6))),
        authors=draw(authors),
        authors_truncated=draw(st.booleans()),
        media=Media.from_url(media_url) if media_url else None,
        bullets=tuple(draw(st.lists(any_text, max_size=6))),
        abstract=draw(st.one_of(st.none(), any_text)),
        github_url=draw(st.sampled_from(URLS)),
        project_url=draw(st.sampled_from(URLS)),
        following=tuple(draw(st.lists(any_text, max_size=4))),
    )


digests = st.builds(
    lambda ps, lang: Digest(
        date=dt.date(2024, 5, 1), source=SourceKind.MARKDOWN, papers=tuple(ps), language=lang
    ),
    st.lists(papers(), max_size=12),
    st.sampled_from(["ko", "en"]),
)

options = st.builds(
    RenderOptions,
    slack_layout=st.sampled_from(list(SlackLayout)),
    slack_video_domains=st.sampled_from([frozenset(), frozenset({"e.org"})]),
    show_images=st.booleans(),
    show_authors=st.booleans(),
    max_authors=st.integers(0, 30),
    summary_limit=st.one_of(st.none(), st.integers(0, 5000)),
)

# How many examples, and whether they are random, is the profile's call (tests/conftest.py).
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ALERT_OVER_BUDGET = Paper(
    title="@everyone " * 50,
    url="https://arxiv.org/abs/2405.00001",
    date=dt.date(2024, 5, 1),
    source=SourceKind.MARKDOWN,
    language="en",
    bullets=("![i](https://e.org/i.png) @everyone " * 80,) * 4,
)
"""The failure reported from a fresh clone (a title and bullets full of @everyone and image
markdown): the Slack alert's notice was added after the summary had taken the whole 12,000
of block text (12,004 here)."""


def _sendable(message: RenderedMessage) -> None:
    """The body must survive the trip to the wire: JSON, then UTF-8."""
    json.dumps(message.body, ensure_ascii=False).encode("utf-8")


@SETTINGS
@given(digests, options)
def test_discord_digest_always_valid(digest: Digest, opts: RenderOptions) -> None:
    messages = render_discord_digest(digest, digest.papers, options=opts)
    assert messages
    for message in messages:
        assert discord_message_violations(message.body) == []
        _sendable(message)
    assert sum(len(m.body["embeds"]) for m in messages) == len(digest.papers) + 1


@SETTINGS
@given(digests, options)
def test_slack_digest_always_valid(digest: Digest, opts: RenderOptions) -> None:
    messages = render_slack_digest(digest, digest.papers, options=opts)
    assert len(messages) == len(digest.papers) + 1
    for message in messages:
        assert slack_message_violations(message.body) == []
        assert message.body["text"].strip()
        _sendable(message)


@SETTINGS
@given(papers(), options, st.integers(0, 10**6))
@example(ALERT_OVER_BUDGET, RenderOptions(), 100)
def test_single_paper_and_alert_always_valid(paper: Paper, opts: RenderOptions, n: int) -> None:
    for message in (render_discord_paper(paper, options=opts), render_discord_alert(paper, n)):
        assert discord_message_violations(message.body) == []
        _sendable(message)
    for message in (render_slack_paper(paper, options=opts), render_slack_alert(paper, n)):
        assert slack_message_violations(message.body) == []
        _sendable(message)
