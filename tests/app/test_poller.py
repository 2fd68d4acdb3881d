"""The poller against the fake source and a real SQLite store: what gets stored, announced,
counted, and what a failing source leaves behind."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from bot.errors import PapersBotError
from bot.models import SourceKind
from bot.poller import (
    DaysHook,
    NewDigest,
    Poller,
    PollMetrics,
    PollReport,
    PollSettings,
    recent_days,
)
from bot.sources.http import Backoff, Fetcher
from bot.store import Store, StoreError, open_store
from tests.app.content import (
    HF_PAPERS,
    LATE_PAPER,
    MARKDOWN_PAPERS,
    hf_items,
    markdown_digest,
    with_votes,
)
from tests.fakes.source import FakeSource
from tests.store.tables import vote_history

DAY = dt.date(2025, 1, 7)
NOON = dt.datetime(2025, 1, 7, 12, 0, tzinfo=dt.UTC)
FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Synthetic papers</title>
  <updated>2025-01-07T06:00:00Z</updated>
  <entry>
    <title>Feeds of Fern Transformers</title>
    <link href="https://arxiv.org/abs/2501.00301"/>
    <id>oai:arXiv.org:2501.00301</id>
    <updated>2025-01-07T06:00:00Z</updated>
    <summary>Ferns grow. Transformers follow.</summary>
  </entry>
</feed>
"""


class Announcements:
    """The replaceable hook, recording what it was given."""

    def __init__(self) -> None:
        self.events: list[NewDigest] = []

    async def __call__(self, event: NewDigest) -> None:
        self.events.append(event)


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(f"sqlite:///{tmp_path / 'poller.db'}") as opened:
        yield opened


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def poll_errors(registry: CollectorRegistry, source: str, kind: str) -> float | None:
    return registry.get_sample_value(
        "papers_bot_poll_errors_total", {"source": source, "kind": kind}
    )


def make_poller(
    fake: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
    hook: Announcements | None = None,
    *,
    feeds: tuple[str, ...] = (),
    template: str | None = None,
    hf_days: DaysHook | None = None,
) -> Poller:
    fetcher = Fetcher(
        session,
        timeout=5.0,
        retries=1,
        backoff=Backoff(base=0.001, cap=0.01, rng=random.Random(3)),
    )
    settings = PollSettings(
        hf_api_url=fake.hf_url,
        digest_url_template=template or fake.digest_template,
        feed_urls=feeds,
        days=2,
    )
    return Poller(
        settings,
        fetcher,
        store,
        PollMetrics(registry),
        on_new_digest=hook,
        hf_days=hf_days,
        clock=lambda: NOON,
    )


def statuses(report: PollReport) -> list[str]:
    return [o.status for o in report.outcomes]


def test_recent_days_are_utc_days_oldest_first() -> None:
    late_evening_in_seoul = dt.datetime(
        2025, 1, 8, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))
    )
    assert recent_days(late_evening_in_seoul, 3) == [
        dt.date(2025, 1, 5),
        dt.date(2025, 1, 6),
        dt.date(2025, 1, 7),
    ]


async def test_first_poll_stores_and_announces_then_an_unchanged_day_costs_a_304(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    fake_source.add_digest(DAY, markdown_digest(DAY))
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)

    first = await poller.poll(SourceKind.MARKDOWN)

    assert first.ok
    assert statuses(first) == ["not_published", "fetched"]  # yesterday 404, today 200
    assert len(hook.events) == 1
    event = hook.events[0]
    assert event.first_time
    assert [p.title for p in event.new_papers] == [e.title for e in MARKDOWN_PAPERS]
    stored = await store.digests.get(SourceKind.MARKDOWN, DAY)
    assert stored is not None
    assert stored.paper_keys == tuple(e.arxiv_id for e in MARKDOWN_PAPERS)
    assert stored.validators.etag is not None

    second = await poller.poll(SourceKind.MARKDOWN)

    assert statuses(second) == ["not_published", "not_modified"]
    assert len(hook.events) == 1
    today_path = fake_source.digest_url(DAY).removeprefix(fake_source.base_url)
    today_requests = fake_source.requests_to(today_path)
    assert len(today_requests) == 2
    assert "If-None-Match" not in today_requests[0].headers
    assert today_requests[1].headers["If-None-Match"] == stored.validators.etag
    polls = "papers_bot_polls_total"
    assert registry.get_sample_value(polls, {"source": "markdown", "status": "fetched"}) == 1
    assert registry.get_sample_value(polls, {"source": "markdown", "status": "not_modified"}) == 1
    assert registry.get_sample_value(polls, {"source": "markdown", "status": "not_published"}) == 2
    assert (
        registry.get_sample_value("papers_bot_papers_inserted_total", {"source": "markdown"}) == 3
    )
    assert poller.health()[SourceKind.MARKDOWN].last_success == NOON


async def test_a_digest_that_gains_a_paper_announces_only_the_new_one(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    fake_source.add_digest(DAY, markdown_digest(DAY))
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)
    await poller.poll(SourceKind.MARKDOWN)

    fake_source.add_digest(DAY, markdown_digest(DAY, (*MARKDOWN_PAPERS, LATE_PAPER)))
    report = await poller.poll(SourceKind.MARKDOWN)

    assert statuses(report) == ["not_published", "fetched"]
    assert len(hook.events) == 2
    assert not hook.events[1].first_time
    assert hook.events[1].new_keys == {LATE_PAPER.arxiv_id}
    assert len(hook.events[1].digest.papers) == 4


async def test_a_paper_known_by_title_that_got_its_id_is_not_announced_again(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    """The markdown digest links a paper to its project page; the HF API then gives its id,
    and the store keeps it under the id. A re-read of the digest still names it by title:
    only the paper added since is new."""
    by_title = MARKDOWN_PAPERS[0]
    text = markdown_digest(DAY).replace(
        f"https://arxiv.org/abs/{by_title.arxiv_id}", "https://example.org/lanterns"
    )
    fake_source.add_digest(DAY, text)
    fake_source.add_hf_day(DAY, hf_items(DAY, (by_title,)))
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)
    await poller.poll(SourceKind.MARKDOWN)
    await poller.poll(SourceKind.HF)
    stored = await store.digests.get(SourceKind.MARKDOWN, DAY)
    assert stored is not None
    assert stored.paper_keys[0] == by_title.arxiv_id

    late = markdown_digest(DAY, (LATE_PAPER,)).split("\n", 2)[2]
    fake_source.add_digest(DAY, text + "\n" + late)
    await poller.poll(SourceKind.MARKDOWN)

    sources = [SourceKind.MARKDOWN, SourceKind.HF, SourceKind.MARKDOWN]
    assert [e.digest.source for e in hook.events] == sources
    assert hook.events[-1].new_keys == {LATE_PAPER.arxiv_id}
    assert await store.papers.count() == 4


async def test_a_failing_source_is_counted_and_the_last_good_state_stays(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    fake_source.add_digest(DAY, markdown_digest(DAY))
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)
    await poller.poll(SourceKind.MARKDOWN)
    fake_source.add_digest(DAY, markdown_digest(DAY, (*MARKDOWN_PAPERS, LATE_PAPER)))
    fake_source.fail_next(100, 500, path_prefix="/digests/")

    report = await poller.poll(SourceKind.MARKDOWN)

    assert not report.ok
    # A server failing after the retries fails the same way for the other day: skipped.
    assert statuses(report) == ["error", "skipped"]
    assert "HTTP 500" in (report.outcomes[0].error or "")
    stored = await store.digests.get(SourceKind.MARKDOWN, DAY)
    assert stored is not None
    assert LATE_PAPER.arxiv_id not in stored.paper_keys
    health = poller.health()[SourceKind.MARKDOWN]
    assert health.last_success == NOON
    assert health.consecutive_failures == 1
    assert "HTTP 500" in (health.last_error or "")
    assert poll_errors(registry, "markdown", "fetch") == 1
    assert len(hook.events) == 1

    fake_source.faults.clear()
    recovered = await poller.poll(SourceKind.MARKDOWN)

    assert recovered.ok
    assert hook.events[-1].new_keys == {LATE_PAPER.arxiv_id}
    assert poller.health()[SourceKind.MARKDOWN].consecutive_failures == 0


async def test_a_down_source_logs_one_line_per_poll(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Retries and the give-up are DEBUG; the poll's own line says what failed, once, with
    the source as a structured field."""
    fake_source.fail_next(100, 500, path_prefix="/api/")
    poller = make_poller(fake_source, session, store, registry)
    with caplog.at_level(logging.DEBUG, logger="bot"):
        await poller.poll(SourceKind.HF)

    loud = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    [line] = loud
    assert line.levelname == "WARNING"
    assert line.name == "bot.poller"
    assert "HTTP 500 (after 2 attempts)" in line.getMessage()
    assert "skipped (source unreachable)" in line.getMessage()
    assert getattr(line, "source", None) == "hf"
    retries = [r for r in caplog.records if r.name == "bot.sources.http"]
    assert [r.levelname for r in retries] == ["DEBUG", "DEBUG"]


@pytest.mark.parametrize("body", ["hello, this is not a digest at all\n", b"## Daily \xff\xfe\n"])
async def test_a_garbage_body_is_a_parse_error_and_stores_nothing(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
    body: str | bytes,
) -> None:
    fake_source.add_digest(DAY, body)
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)

    report = await poller.poll(SourceKind.MARKDOWN)

    assert statuses(report) == ["not_published", "error"]
    assert await store.digests.get(SourceKind.MARKDOWN, DAY) is None
    assert hook.events == []
    assert poll_errors(registry, "markdown", "parse") == 1
    last_success = "papers_bot_last_successful_poll_timestamp_seconds"
    assert registry.get_sample_value(last_success, {"source": "markdown"}) is None


async def test_an_unreachable_host_fails_once_and_skips_the_other_days(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    template = f"http://127.0.0.1:{closed_port}/{{yyyy}}/{{mm}}/{{dd}}.md"
    poller = make_poller(fake_source, session, store, registry, template=template)

    report = await poller.poll(SourceKind.MARKDOWN)

    assert statuses(report) == ["error", "skipped"]
    assert "connection failed" in (report.outcomes[0].error or "")
    assert SourceKind.MARKDOWN in poller.health()
    assert poller.health()[SourceKind.MARKDOWN].last_success is None


async def test_hf_vote_changes_are_stored_without_a_new_announcement(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    fake_source.add_hf_day(DAY, hf_items(DAY))
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook)
    await poller.poll(SourceKind.HF)
    fake_source.add_hf_day(DAY, hf_items(DAY, with_votes(HF_PAPERS, 99)))

    report = await poller.poll(SourceKind.HF)

    assert statuses(report) == ["not_published", "fetched"]
    assert len(hook.events) == 1
    paper = await store.papers.get(HF_PAPERS[0].arxiv_id)
    assert paper is not None
    assert paper.votes == 99
    assert await vote_history(store, paper.id) == [HF_PAPERS[0].votes, 99]
    assert registry.get_sample_value("papers_bot_vote_changes_total", {"source": "hf"}) == 4


async def test_feeds_are_fetched_conditionally_with_remembered_validators(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    url = fake_source.add_feed("papers.atom", FEED, "application/atom+xml")
    hook = Announcements()
    poller = make_poller(fake_source, session, store, registry, hook, feeds=(url,))

    first = await poller.poll(SourceKind.FEED)
    second = await poller.poll(SourceKind.FEED)

    assert statuses(first) == ["fetched"]
    assert statuses(second) == ["not_modified"]
    assert [p.title for e in hook.events for p in e.new_papers] == ["Feeds of Fern Transformers"]
    requests = fake_source.requests_to("/feeds/")
    assert "If-None-Match" in requests[1].headers


async def test_a_failing_hook_does_not_fail_the_poll_or_lose_the_digest(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    class Broken(Announcements):
        async def __call__(self, event: NewDigest) -> None:
            raise PapersBotError("console closed")

    fake_source.add_digest(DAY, markdown_digest(DAY))
    poller = make_poller(fake_source, session, store, registry, Broken())

    report = await poller.poll(SourceKind.MARKDOWN)

    assert report.ok
    assert await store.digests.get(SourceKind.MARKDOWN, DAY) is not None
    assert poll_errors(registry, "markdown", "hook") == 1


async def test_hf_polls_read_the_live_days_again_with_their_new_votes(
    fake_source: FakeSource,
    session: aiohttp.ClientSession,
    store: Store,
    registry: CollectorRegistry,
) -> None:
    """A day older than POLL_DAYS whose posted cards are still live is read by every HF
    poll (its votes keep changing); days after today and failing hooks change nothing."""
    older = DAY - dt.timedelta(days=3)
    fake_source.add_hf_day(older, hf_items(older))

    async def live_days() -> set[dt.date]:
        return {older, DAY + dt.timedelta(days=5)}

    poller = make_poller(fake_source, session, store, registry, hf_days=live_days)
    await poller.poll(SourceKind.HF)
    fake_source.add_hf_day(older, hf_items(older, with_votes(HF_PAPERS, 99)))
    report = await poller.poll(SourceKind.HF)

    asked = {r.query["date"] for r in fake_source.requests_to("/api/daily_papers")}
    assert asked == {older.isoformat(), (DAY - dt.timedelta(days=1)).isoformat(), DAY.isoformat()}
    assert [o.label for o in report.outcomes] == [
        older.isoformat(),
        (DAY - dt.timedelta(days=1)).isoformat(),
        DAY.isoformat(),
    ]
    day = await store.papers.of_day(older)
    assert {item.votes for item in day} == {99}

    async def broken() -> set[dt.date]:
        raise StoreError("database is locked")

    fallback = make_poller(fake_source, session, store, CollectorRegistry(), hf_days=broken)
    assert [o.label for o in (await fallback.poll(SourceKind.HF)).outcomes] == [
        (DAY - dt.timedelta(days=1)).isoformat(),
        DAY.isoformat(),
    ]
