"""Several `papers-bot run` processes on one PostgreSQL database share a fan-out to 200
channels: every post lands exactly once between them, and when one instance is SIGKILLed
mid-fan-out, another takes over its posts once their leases run out (checking what landed
first), so nothing is lost and nothing is posted twice. Counted by the fakes.

The instances start with the subscriptions' post time long past; once all are up, the
post time is moved a few seconds ahead, so every instance's cron job for every channel
fires at the same moment and they race to plan and claim, as real instances do."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store import open_store
from bot.store.rows import DeliveryState
from bot.store.schema import subscriptions
from tests.app.process import BotProcess
from tests.delivery.fanout import READY, World, arrange, bot_env, relaxed_fakes, scrape
from tests.delivery.world import wait_for
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource

CHANNELS = 200
LEAD = dt.timedelta(seconds=4)
"""From moving the post time to the post: enough for every instance's 1 s sync to see it."""
KILL_LEASE_SECONDS = 3
"""Short, so the survivor takes over soon after the kill (the default is a minute)."""
SHARE_LEASE_SECONDS = 30
"""Long enough that no instance, however starved of CPU here, loses a lease while alive."""

pytestmark = pytest.mark.timeout(180)


@contextlib.asynccontextmanager
async def fakes() -> AsyncIterator[tuple[FakeDiscord, FakeSlack]]:
    discord, slack = relaxed_fakes()
    await discord.start()
    await slack.start()
    try:
        yield discord, slack
    finally:
        await discord.stop()
        await slack.stop()


@contextlib.asynccontextmanager
async def instances(
    count: int, env: dict[str, str], cwd: Path
) -> AsyncIterator[list[tuple[BotProcess, int]]]:
    """`count` bots started together, each with its metrics port once it is ready."""
    bots = [await BotProcess.start(env, cwd) for _ in range(count)]
    try:
        ports = [await bot.wait_for_port(within=60) for bot in bots]
        for bot in bots:
            await bot.wait_for_log(READY, within=60)
        yield list(zip(bots, ports, strict=True))
    finally:
        for bot in bots:
            await bot.kill()


async def shared_world(
    database_url: str,
    tmp_path: Path,
    source: FakeSource,
    platforms: tuple[FakeDiscord, FakeSlack],
    *,
    lease_seconds: int,
) -> tuple[World, dict[str, str]]:
    discord, slack = platforms
    # Two hours ago, outside the grace period: nothing is posted at start-up.
    world = await arrange(
        database_url,
        discord,
        slack,
        CHANNELS,
        post_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    env = {
        **bot_env(tmp_path / "data", source, discord, slack),
        "DATABASE_URL": database_url,
        "SUBSCRIPTION_SYNC_SECONDS": "1",
        "DELIVERY_LEASE_SECONDS": str(lease_seconds),
        # Slow enough that every instance is mid-post (a Slack post is 5 messages) for a while.
        "SLACK_CHANNEL_PER_SECOND": "2",
    }
    return world, env


async def post_soon(database_url: str) -> None:
    """Move every channel's post time a few seconds ahead, in one statement."""
    at = (dt.datetime.now(dt.UTC) + LEAD).strftime("%H:%M:%S")
    async with open_store(database_url, migrate=False) as store, store.db.write() as conn:
        await conn.execute(sa.update(subscriptions).values(post_time=at, timezone="UTC"))


def messages_sent(metrics: dict[str, float]) -> int:
    return int(metrics.get("papers_bot_messages_sent_total", 0))


async def test_three_instances_share_a_fan_out_and_post_everything_once(
    tmp_path: Path, postgres_url: str, fake_source: FakeSource
) -> None:
    async with fakes() as (discord, slack):
        world, env = await shared_world(
            postgres_url,
            tmp_path,
            fake_source,
            (discord, slack),
            lease_seconds=SHARE_LEASE_SECONDS,
        )
        async with instances(3, env, tmp_path) as bots:
            await post_soon(postgres_url)
            await wait_for(world.reached(world.expected), discord, slack, within=90)
            sent = [messages_sent(await scrape(port)) for _, port in bots]
            codes = await asyncio.gather(*(bot.stop() for bot, _ in bots))
        world.check_exactly_once()
        counts = await world.outbox()

    print(f"messages sent per instance: {sent}")
    assert codes == [0, 0, 0]
    assert counts[DeliveryState.SENT] == CHANNELS, counts
    assert sum(sent) == world.expected  # no instance sent anything another had sent
    assert sum(1 for n in sent if n > 0) >= 2, f"one instance did all the work: {sent}"


async def test_a_killed_instances_posts_are_finished_by_another_once_exactly(
    tmp_path: Path, postgres_url: str, fake_source: FakeSource
) -> None:
    async with fakes() as (discord, slack):
        world, env = await shared_world(
            postgres_url, tmp_path, fake_source, (discord, slack), lease_seconds=KILL_LEASE_SECONDS
        )
        async with instances(2, env, tmp_path) as bots:
            await post_soon(postgres_url)
            await wait_for(world.reached(world.expected // 3), discord, slack, within=60)
            sent = [messages_sent(await scrape(port)) for _, port in bots]
            victim = max(range(2), key=lambda i: sent[i])
            (survivor, survivor_port) = bots[1 - victim]
            await bots[victim][0].kill()  # SIGKILL: its posts stay in flight under its lease
            killed_at = world.total()
            await wait_for(world.reached(world.expected), discord, slack, within=90)
            metrics = await scrape(survivor_port)
            assert await survivor.stop() == 0
        world.check_exactly_once()
        counts = await world.outbox()

    taken_over = int(metrics.get("papers_bot_reconciled_total", 0))
    print(
        f"killed the instance that had sent {sent[victim]} (of {sent}); "
        f"{killed_at}/{world.expected} messages out at the kill; "
        f"the survivor reconciled {taken_over} orphaned message(s)"
    )
    assert killed_at < world.expected, "the kill came after the fan-out"
    assert counts[DeliveryState.SENT] == CHANNELS, counts
    # The survivor picked up posts the killed instance held in flight, and asked the
    # platform about each before sending on.
    assert taken_over > 0
