"""The dry-run hook: a new digest is rendered for Discord and written to the console."""

from __future__ import annotations

import datetime as dt
import io
import json

from bot.adapters.console import ConsoleAdapter
from bot.app import ConsolePreview
from bot.poller import NewDigest
from bot.sources.markdown import parse_markdown_digest
from tests.app.content import Entry, markdown_digest

DAY = dt.date(2025, 2, 3)


async def test_the_preview_posts_the_ten_best_voted_papers_of_the_digest() -> None:
    entries = tuple(
        Entry(f"2502.{n:05d}", f"Synthetic Study Number {n}", votes=n) for n in range(1, 13)
    )
    digest = parse_markdown_digest(markdown_digest(DAY, entries), day=DAY)
    stream = io.StringIO()
    preview = ConsolePreview(ConsoleAdapter(stream))

    await preview(NewDigest(digest, frozenset(p.key for p in digest.papers), first_time=True))

    posts = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {p["target"] for p in posts} == {"dry-run:markdown"}
    embeds = [e for p in posts for e in p["body"]["embeds"]]
    assert "/papers/date/2025-02-03" in embeds[0]["url"]  # the day's header comes first
    assert [e["title"] for e in embeds[1:]] == [
        f"Synthetic Study Number {n}" for n in range(12, 2, -1)
    ]
