"""The worker against the fake platforms: target gone pauses, dead letters, uncertain
sends reconciled, a crash mid-post resumed without re-posting what landed."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from bot.delivery.pacing import BACKOFF_BASE_SECONDS, BACKOFF_FLOOR
from bot.delivery.payload import Post
from bot.models import ChannelRef, Platform, Transport
from bot.store import open_store
from bot.store.outbox import claims as queries
from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.delivery.support import FakeClock, running_engine, utc_now
from tests.delivery.world import store_digest, synthetic_entries
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

DAY = dt.date(2025, 3, 3)
OCCURRENCE = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
SETTINGS = SubscriptionSettings(top_n=3)
LEASE = dt.timedelta(minutes=5)


def slack_env(fake: FakeSlack, **extra: Any) -> dict[str, Any]:
    return {
        "slack_bot_token": fake.bot_token,
        "slack_api_base": fake.api_base,
        "http_timeout": 1.0,
        **extra,
    }


def discord_env(fake: FakeDiscord, **extra: Any) -> dict[str, Any]:
    return {"discord_token": fake.token, "discord_api_base": fake.api_base, **extra}


async def test_a_deleted_channel_pauses_its_subscription_and_the_post_waits(
    database_url: str, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.add_channel("gone")
    channel.state = "deleted"
    ref = ChannelRef(Platform.DISCORD, str(fake_discord.guild_id), str(channel.id))
    async with running_engine(database_url, **discord_env(fake_discord)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)

        async def is_paused() -> bool:
            found = await bot.store.subscriptions.get(ref)
            return found is not None and found.paused

        await bot.eventually(is_paused)
        paused = await bot.store.subscriptions.get(ref)
        assert paused is not None
        assert await bot.state() == [DeliveryState.FAILED]  # kept, not dead-lettered
        assert "404" in (paused.paused_reason or "")
        assert channel.messages == []

        channel.state = "ok"  # the channel is back and someone runs /resume
        await bot.store.subscriptions.set_paused(ref, False)
        counts = await bot.drained()
    assert counts[DeliveryState.SENT] == 1
    assert len(channel.messages) == 1


async def test_a_post_failing_every_time_is_dead_lettered_with_the_reason(
    database_url: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.worker")
    clock = FakeClock()
    fake_slack.fail_next(500, path="chat.postMessage", times=1000)
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    async with running_engine(
        database_url,
        clock=clock,
        **slack_env(fake_slack, delivery_max_attempts=3),
    ) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)

        for attempt in range(1, 4):

            async def failed(n: int = attempt) -> bool:
                (row,) = await bot.store.deliveries.list()
                done = row.state in (DeliveryState.FAILED, DeliveryState.DEAD)
                return done and row.attempts >= n

            await bot.eventually(failed)
            (row,) = await bot.store.deliveries.list()
            if row.state is DeliveryState.FAILED:  # 1-2 s, then 2-4 s
                wait = (row.next_attempt_at - clock()).total_seconds()
                ceiling = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
                assert ceiling * BACKOFF_FLOOR <= wait <= ceiling
            clock.advance(hours=1)  # past any backoff
        counts = await bot.drained()
        (row,) = await bot.store.deliveries.list()
    assert counts[DeliveryState.DEAD] == 1
    assert row.state is DeliveryState.DEAD
    assert "3 attempts failed" in (row.last_error or "")
    assert "internal_error" in (row.last_error or "")
    assert fake_slack.default_channel.messages == []
    [dead] = [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    fields = ("platform", "channel", "delivery_id", "subscription_id", "day")
    assert {name: getattr(dead, name, None) for name in fields} == {
        "platform": "slack",
        "channel": "slack:C0PAPERS01",
        "delivery_id": row.id,
        "subscription_id": sub.id,
        "day": row.item_key,
    }


async def test_a_send_whose_answer_is_lost_is_found_and_not_posted_twice(
    database_url: str, fake_slack: FakeSlack
) -> None:
    clock = FakeClock()
    fake_slack.slow_next(2.0, path="chat.postMessage")  # lands, but after our 1 s timeout
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    async with running_engine(database_url, clock=clock, **slack_env(fake_slack)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        await fake_slack.wait_until(lambda: len(fake_slack.default_channel.messages) == 1)
        clock.advance(minutes=5)
        counts = await bot.drained()
        found = bot.metric("papers_bot_reconciled_total", platform="slack", outcome="found")
    assert counts[DeliveryState.SENT] == 1
    texts = [m["text"] for m in fake_slack.default_channel.messages]
    assert len(texts) == 4  # header + 3 papers
    assert len(set(texts)) == 4
    assert found == 1


async def test_a_post_cut_by_a_crash_resumes_after_what_landed(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """The previous process sent the header and died before recording it. The restart
    comes after its lease ran out (on PostgreSQL another instance may still own a row
    whose lease is live; on SQLite the restart alone frees it)."""
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    async with running_engine(database_url, **slack_env(fake_slack)) as bot:
        await bot.engine.stop()  # a worker that never runs: we play the dying process
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        (claimed,) = await queries.claim(
            bot.store.db,
            platforms=[Platform.SLACK],
            limit=1,
            lease=LEASE,
            clock=utc_now,
        )
        header = Post.from_payload(claimed.payload).messages[0]
        adapter = await bot.pool.get(Platform.SLACK, Transport.BOT)
        await adapter.send("C0PAPERS01", header, idempotency_key=f"{claimed.idempotency_key}.0")

    later = FakeClock(utc_now() + LEASE + dt.timedelta(seconds=1))
    async with running_engine(database_url, clock=later, **slack_env(fake_slack)) as bot:
        counts = await bot.drained()
    texts = [m["text"] for m in fake_slack.default_channel.messages]
    assert counts[DeliveryState.SENT] == 1
    assert len(texts) == 4
    assert texts[0] == header.body["text"]
    assert len(set(texts)) == 4


async def test_a_post_cut_at_shutdown_resumes_after_what_landed(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """Shutdown gives up on a post stuck in a slow send: what landed before is recorded,
    the stuck message is checked on restart, and only the rest is sent."""
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    channel = fake_slack.default_channel
    sends = "chat.postMessage"
    async with running_engine(database_url, **slack_env(fake_slack, http_timeout=10.0)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        await fake_slack.wait_until(lambda: len(channel.messages) == 2)
        fake_slack.slow_next(2.0, path=sends)  # the third message (paced 1/s) hangs

        async def third_sent() -> bool:  # the fakes notify after answering: poll instead
            return len(fake_slack.requests_to(sends)) == 3

        await bot.eventually(third_sent)
        await bot.engine.worker.stop(grace=0.1)
        (row,) = await bot.store.deliveries.list()
        await fake_slack.wait_until(lambda: len(channel.messages) == 3)  # it landed after all

    assert row.state is DeliveryState.FAILED
    assert Post.from_payload(row.payload).next_index == 2
    async with running_engine(database_url, **slack_env(fake_slack)) as bot:
        counts = await bot.drained()
    texts = [m["text"] for m in channel.messages]
    assert counts[DeliveryState.SENT] == 1
    assert len(texts) == 4
    assert len(set(texts)) == 4


async def test_a_slow_send_keeps_its_lease_while_another_instance_tries_to_claim(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """The heartbeat renews the lease of a post whose send outlasts it, so another
    instance polling the outbox all along never takes the post over."""
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    channel = fake_slack.default_channel
    env = slack_env(fake_slack, http_timeout=10.0, delivery_lease_seconds=1.0)
    taken: list[queries.Claimed] = []
    async with running_engine(database_url, **env) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SubscriptionSettings(top_n=1))
        fake_slack.slow_next(2.5, path="chat.postMessage")  # the header outlasts the lease
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        async with open_store(database_url, migrate=False) as other:

            async def other_instance_claims() -> bool:
                taken.extend(
                    await queries.claim(
                        other.db,
                        platforms=[Platform.SLACK],
                        limit=5,
                        lease=dt.timedelta(minutes=1),
                        clock=utc_now,
                    )
                )
                return bool(taken) or len(channel.messages) >= 1

            await bot.eventually(other_instance_claims)
        assert taken == []
        counts = await bot.drained()
    assert counts[DeliveryState.SENT] == 1
    assert len(channel.messages) == 2


async def test_the_outbox_lag_gauge_shows_how_long_the_oldest_post_has_waited(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """A post Slack keeps refusing ages on /metrics from when it was planned; once it has
    landed, the lag is back to 0."""
    clock = FakeClock()
    fake_slack.fail_next(500, path="chat.postMessage", times=1000)
    ref = ChannelRef(Platform.SLACK, fake_slack.team_id, "C0PAPERS01")
    lag = "papers_bot_outbox_lag_seconds"
    async with running_engine(database_url, clock=clock, **slack_env(fake_slack)) as bot:
        await store_digest(bot.store, DAY, synthetic_entries(5))
        sub = await bot.store.subscriptions.save(ref, SETTINGS)
        await bot.engine.planner.plan_occurrence(sub, OCCURRENCE)
        clock.advance(minutes=10)

        async def waited_ten_minutes() -> bool:
            return bot.metric(lag, platform="slack") >= 600

        await bot.eventually(waited_ten_minutes)
        fake_slack.faults.clear()  # Slack is back
        clock.advance(hours=1)  # past any backoff
        await bot.drained()

        async def caught_up() -> bool:
            return bot.metric(lag, platform="slack") == 0

        await bot.eventually(caught_up)
    assert len(fake_slack.default_channel.messages) == 4  # header + 3 papers, once
