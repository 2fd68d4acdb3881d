"""The dry run in-process: its console is one channel subscribed with the defaults, whose
daily post goes through the outbox at its post time; what it shows at start does not."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.jobs import job_id
from bot.delivery.targets import CONSOLE_CHANNEL
from bot.models import CONSOLE_WORKSPACE, ChannelRef, Platform, SourceKind
from bot.poller import FAILED, SKIPPED, PollReport, TargetOutcome
from bot.sources.hf_api import parse_hf_daily
from bot.sources.markdown import parse_markdown_digest
from bot.store import Store, open_store
from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.app.content import HF_PAPERS, MARKDOWN_PAPERS, hf_items, markdown_digest
from tests.delivery.support import FakeClock, engine_on

DAY = dt.date(2025, 2, 3)
POST_TIME = dt.datetime(2025, 2, 4, 9, 0, tzinfo=dt.UTC)
TITLES = sorted(e.title for e in MARKDOWN_PAPERS + HF_PAPERS)


async def save_both_sources(store: Store) -> None:
    await store.writer.save(parse_markdown_digest(markdown_digest(DAY), day=DAY))
    await store.writer.save(parse_hf_daily(json.dumps(hf_items(DAY)), day=DAY))


def printed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def paper_titles(posts: list[dict[str, Any]]) -> list[str]:
    embeds = [e["title"] for p in posts for e in p["body"]["embeds"]]
    return sorted(t for t in embeds if t in TITLES)


async def test_the_console_is_one_channel_posted_once_at_its_post_time(tmp_path: Path) -> None:
    stream = io.StringIO()
    async with open_store(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        for source in ("hf", "markdown"):  # what earlier versions' dry runs left behind
            old = ChannelRef(Platform.DISCORD, CONSOLE_WORKSPACE, f"dry-run:{source}")
            await store.subscriptions.save(old, SubscriptionSettings(), actor="dry-run")
        await save_both_sources(store)
        clock = FakeClock(POST_TIME - dt.timedelta(minutes=1))
        async with engine_on(store, console=stream, clock=clock) as bot:
            [sub] = await store.subscriptions.list()
            assert sub.channel == CONSOLE_CHANNEL
            assert sub.settings == SubscriptionSettings()  # what /subscribe alone gives
            assert job_id(("09:00", "UTC")) in {j.id for j in bot.engine.scheduler.jobs()}
            assert await bot.counts() == dict.fromkeys(DeliveryState, 0)  # nothing due yet

            clock.advance(minutes=1)
            assert await bot.engine.jobs.catch_up() == 1  # the post time's post
            assert await bot.engine.jobs.catch_up() == 0  # never twice
            counts = await bot.drained()

    assert counts[DeliveryState.SENT] == 1
    posts = printed(stream)
    assert {p["target"] for p in posts} == {"stdout"}
    assert paper_titles(posts) == TITLES  # both sources' papers, each once, in one post


def failed_poll(source: SourceKind, error: str) -> PollReport:
    outcomes = (TargetOutcome("2025-02-04", FAILED, error=error), TargetOutcome("x", SKIPPED))
    return PollReport(source, POST_TIME, outcomes)


async def test_with_every_source_failing_the_archive_is_shown_once_per_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.dry_run")
    stream = io.StringIO()
    clock = FakeClock(POST_TIME - dt.timedelta(hours=2, minutes=30))
    async with open_store(f"sqlite:///{tmp_path / 'bot.db'}") as store:
        await save_both_sources(store)
        async with engine_on(store, console=stream, clock=clock) as bot:
            hf = failed_poll(SourceKind.HF, "fetch error: https://hf/api answered HTTP 500")
            markdown = failed_poll(SourceKind.MARKDOWN, "fetch error: x: connection failed (E)")
            await bot.engine.after_poll(hf)
            assert stream.getvalue() == ""  # not before every source was polled
            await bot.engine.after_poll(markdown)
            shown = printed(stream)
            await bot.engine.after_poll(hf)
            await bot.engine.after_poll(markdown)
            assert printed(stream) == shown  # once per start
            assert await bot.counts() == dict.fromkeys(DeliveryState, 0)  # not a post

    assert paper_titles(shown) == TITLES
    assert [r.getMessage() for r in caplog.records] == [
        "could not read any source (hf: HTTP 500; markdown: connection failed): showing "
        "the newest digest from the archive, of 2025-02-03",
        "next console post 2025-02-04 09:00 UTC (in 2 h 30 min; every day at 09:00)",
    ]
