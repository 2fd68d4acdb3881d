"""Planning: cron jobs follow the subscriptions table, missed posts inside the grace
period are made once, the no-papers policy, and vote-threshold alerts."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from bot.delivery.jobs import job_id, slot_of
from bot.delivery.payload import Post
from bot.delivery.planner import Outcome
from bot.models import ChannelRef, Platform
from bot.sources.markdown import parse_markdown_digest
from bot.store import Store
from bot.store.rows import DeliveryKind, SubscriptionSettings
from bot.store.schema import on_channel, subscriptions
from tests.app.content import Entry, markdown_digest
from tests.delivery.support import FakeClock, running_engine
from tests.fakes.slack import FakeSlack

DAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 3, 4, 9, 20, tzinfo=dt.UTC)
ENTRIES = (
    Entry("2503.00001", "Bright Paper About Agents", 40),
    Entry("2503.00002", "Quiet Paper About Agents", 3),
    Entry("2503.00003", "Loud Paper About Proteins", 25),
)


def slack_ref(channel: str = "C0PAPERS01") -> ChannelRef:
    return ChannelRef(Platform.SLACK, "T0FAKE0001", channel)


def engine_env(fake: FakeSlack) -> dict[str, Any]:
    return {"slack_bot_token": fake.bot_token, "slack_api_base": fake.api_base}


async def save_day(store: Store, entries: tuple[Entry, ...] = ENTRIES) -> None:
    digest = parse_markdown_digest(markdown_digest(DAY, entries), day=DAY)
    await store.writer.save(digest)


async def test_jobs_follow_subscription_changes(database_url: str, fake_slack: FakeSlack) -> None:
    async with running_engine(database_url, **engine_env(fake_slack)) as bot:
        store, jobs = bot.store, bot.engine.jobs
        sub = await store.subscriptions.save(slack_ref(), SubscriptionSettings(post_time="07:00"))
        other = await store.subscriptions.save(
            slack_ref("C2"), SubscriptionSettings(post_time="08:00")
        )
        await jobs.sync()
        ids = {j.id for j in bot.engine.scheduler.jobs()}
        assert {job_id(slot_of(sub)), job_id(slot_of(other))} <= ids
        await store.subscriptions.set_paused(slack_ref("C2"), True, reason="test")
        moved = await store.subscriptions.save(slack_ref(), SubscriptionSettings(post_time="07:30"))
        await jobs.sync()
        ids = {j.id for j in bot.engine.scheduler.jobs()}
        assert job_id(slot_of(other)) not in ids
        assert job_id(slot_of(sub)) not in ids
        assert job_id(slot_of(moved)) in ids
        assert jobs.count == 1


async def test_a_stored_time_that_does_not_parse_is_one_warning_and_schedules_the_rest(
    database_url: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """A zone the machine's tz database lacks (or a row edited by hand) leaves that
    channel unscheduled with one warning, however often the jobs sync; the other
    channels, on the same time, are scheduled and caught up."""
    clock = FakeClock(NOW)
    async with running_engine(database_url, clock=clock, **engine_env(fake_slack)) as bot:
        await save_day(bot.store)
        good = await bot.store.subscriptions.save(
            slack_ref(), SubscriptionSettings(post_time="09:00")
        )
        await bot.store.subscriptions.save(slack_ref("C2"), SubscriptionSettings(post_time="09:00"))
        async with bot.store.db.write() as conn:
            await conn.execute(
                sa.update(subscriptions)
                .where(on_channel(subscriptions, slack_ref("C2")))
                .values(timezone="Mars/Olympus_Mons")
            )
        jobs = bot.engine.jobs
        with caplog.at_level(logging.WARNING, logger="bot.delivery.jobs"):
            await jobs.sync()
            await jobs.sync()
            assert await jobs.catch_up() == 1
        ids = {j.id for j in bot.engine.scheduler.jobs() if j.id.startswith("post:")}
        rows = await bot.store.deliveries.list()
    assert ids == {job_id(slot_of(good))}
    assert jobs.count == 1
    assert [r.channel for r in rows] == [slack_ref()]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.delivery.jobs"]
    assert warnings == ["subscription C2 is not scheduled: unknown time zone 'Mars/Olympus_Mons'"]


async def test_a_missed_post_inside_the_grace_period_is_made_once(
    database_url: str, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(NOW)
    async with running_engine(database_url, clock=clock, **engine_env(fake_slack)) as bot:
        await save_day(bot.store)
        await bot.store.subscriptions.save(slack_ref(), SubscriptionSettings(post_time="09:00"))
        await bot.store.subscriptions.save(
            slack_ref("C2"),
            SubscriptionSettings(post_time="07:00"),  # 2 h 20 ago: too late
        )
        assert await bot.engine.jobs.catch_up() == 1
        assert await bot.engine.jobs.catch_up() == 0  # never twice
        rows = await bot.store.deliveries.list()
    assert [(r.kind, r.item_key) for r in rows] == [(DeliveryKind.DIGEST, "2025-03-03")]


@pytest.mark.parametrize("global_policy", ["skip", "note"])
async def test_empty_days_follow_each_subscriptions_policy(
    database_url: str, fake_slack: FakeSlack, global_policy: str
) -> None:
    """The configured policy is only the default for new subscriptions: each channel's own
    setting decides, whatever NO_PAPERS_POLICY says now."""
    clock = FakeClock(NOW)
    async with running_engine(
        database_url, clock=clock, no_papers_policy=global_policy, **engine_env(fake_slack)
    ) as bot:
        planner = bot.engine.planner
        noted = await bot.store.subscriptions.save(
            slack_ref(), SubscriptionSettings(keywords=("galaxies",), no_papers="note")
        )
        skipped = await bot.store.subscriptions.save(
            slack_ref("C2"), SubscriptionSettings(keywords=("galaxies",), no_papers="skip")
        )
        await save_day(bot.store)
        first = [await planner.plan_occurrence(s, NOW) for s in (noted, skipped)]
        clock.advance(days=1)
        later = NOW + dt.timedelta(days=1)
        second = [await planner.plan_occurrence(s, later) for s in (noted, skipped)]
        rows = await bot.store.deliveries.list()
    assert [r.outcome for r in first] == [Outcome.PLANNED, Outcome.EMPTY]
    assert [r.outcome for r in second] == [Outcome.NOTE, Outcome.EMPTY]
    assert {r.subscription_id for r in rows} == {noted.id}  # the skipping channel: nothing
    header = Post.from_payload(rows[0].payload)
    assert header.papers == ()  # the day's header saying nothing matched
    note = Post.from_payload(rows[1].payload)
    assert "No new Daily Papers" in note.messages[0].body["text"]


async def test_a_paper_crossing_the_threshold_later_gets_one_alert(
    database_url: str, fake_slack: FakeSlack
) -> None:
    clock = FakeClock(NOW)
    async with running_engine(database_url, clock=clock, **engine_env(fake_slack)) as bot:
        sub = await bot.store.subscriptions.save(
            slack_ref(), SubscriptionSettings(min_votes=10, keywords=("agents",))
        )
        await save_day(bot.store)
        await bot.engine.planner.plan_occurrence(sub, NOW)
        await bot.drained()
        assert await bot.engine.alerts.check() == 0  # nothing crossed yet
        risen = tuple(
            Entry(e.arxiv_id, e.title, 12 if e.arxiv_id == "2503.00002" else e.votes)
            for e in ENTRIES
        )
        await save_day(bot.store, risen)
        assert await bot.engine.alerts.check() == 1
        assert await bot.engine.alerts.check() == 0  # once
        await bot.drained()
    texts = [m["text"] for m in fake_slack.default_channel.messages]
    assert len(texts) == 3  # header, the bright paper, then the alert
    assert "Quiet Paper About Agents" in texts[2]
    assert "crossed 10 votes" in texts[2]
    assert not any("Proteins" in t for t in texts)  # its keyword filter still applies


async def test_a_post_time_run_twice_adds_no_note_after_the_digest(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """A second instance's job for the same post time (or a restart inside the grace
    period) finds the post made; it must not take the day for an old one and add a note."""
    clock = FakeClock(NOW)
    async with running_engine(database_url, clock=clock, **engine_env(fake_slack)) as bot:
        await save_day(bot.store)
        sub = await bot.store.subscriptions.save(
            slack_ref(), SubscriptionSettings(no_papers="note")
        )
        first = await bot.engine.planner.plan_occurrence(sub, NOW)
        clock.advance(minutes=5)
        again = await bot.engine.planner.plan_occurrence(sub, NOW)
        rows = await bot.store.deliveries.list()
    assert (first.outcome, again.outcome) == (Outcome.PLANNED, Outcome.ALREADY)
    assert [r.item_key for r in rows] == [DAY.isoformat()]
