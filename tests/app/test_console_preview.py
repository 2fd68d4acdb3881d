"""The dry run: a new digest goes through the outbox and the worker to the console, as the
post a subscription with the defaults would get."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from bot.poller import NewDigest
from bot.sources.markdown import parse_markdown_digest
from bot.store.rows import DeliveryState
from tests.app.content import Entry, markdown_digest
from tests.delivery.support import running_engine

DAY = dt.date(2025, 2, 3)


async def test_the_dry_run_posts_the_ten_best_voted_papers_once(tmp_path: Path) -> None:
    entries = tuple(
        Entry(f"2502.{n:05d}", f"Synthetic Study Number {n}", votes=n) for n in range(1, 13)
    )
    digest = parse_markdown_digest(markdown_digest(DAY, entries), day=DAY)
    stream = io.StringIO()
    event = NewDigest(digest, frozenset(p.key for p in digest.papers), first_time=True)
    async with running_engine(f"sqlite:///{tmp_path / 'bot.db'}", console=stream) as bot:
        await bot.engine.on_new_digest(event)
        await bot.engine.on_new_digest(event)  # the same digest again: not posted twice
        counts = await bot.drained()

    assert counts[DeliveryState.SENT] == 1
    posts = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {p["target"] for p in posts} == {"dry-run:markdown"}
    embeds = [e for p in posts for e in p["body"]["embeds"]]
    assert "/papers/date/2025-02-03" in embeds[0]["url"]  # the day's header comes first
    assert [e["title"] for e in embeds[1:]] == [
        f"Synthetic Study Number {n}" for n in range(12, 2, -1)
    ]
