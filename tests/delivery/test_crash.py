"""Crash test: `papers-bot run` is SIGKILLed at random moments of a fan-out to 200 channels,
restarted, 20 times; then it is left to finish. The fakes' own message logs must show every
channel with exactly its post: zero lost, zero duplicates.

The fakes run with relaxed rate limits here so the rounds are quick; the real limits are
exercised by bench/fanout.py. Rounds and channels scale with PAPERS_BOT_CRASH_ROUNDS and
PAPERS_BOT_CRASH_CHANNELS (CI runs the issue's numbers, the defaults)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.delivery.timing import complete_day_before, parse_post_time
from bot.store import open_store
from bot.store.rows import DeliveryState, Subscription, SubscriptionSettings
from tests.app.process import BotProcess
from tests.delivery.world import (
    duplicates,
    received,
    store_digest,
    subscribe_channels,
    synthetic_entries,
    wait_for,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource

ROUNDS = int(os.environ.get("PAPERS_BOT_CRASH_ROUNDS", "20"))
CHANNELS = int(os.environ.get("PAPERS_BOT_CRASH_CHANNELS", "200"))
TOP_N = 4
READY = r"papers-bot .* ready"

pytestmark = pytest.mark.timeout(600)


def relaxed_env() -> dict[str, str]:
    return {
        "DISCORD_GLOBAL_PER_SECOND": "5000",
        "DISCORD_CHANNEL_PER_5S": "1000",
        "SLACK_CHANNEL_PER_SECOND": "1000",
        "SLACK_WORKSPACE_PER_MINUTE": "1000000",
        "DELIVERY_CONCURRENCY": "64",
    }


def bot_env(
    data_dir: Path, source: FakeSource, discord: FakeDiscord, slack: FakeSlack
) -> dict[str, str]:
    return {
        "DATA_DIR": str(data_dir),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "SOURCES": "hf",
        "HF_API_URL": source.hf_url,
        "HTTP_RETRIES": "0",
        "HTTP_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
        "DISCORD_TOKEN": discord.token,
        "DISCORD_API_BASE": discord.api_base,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_BASE": slack.api_base,
        **relaxed_env(),
    }


@dataclass
class World:
    discord: FakeDiscord
    slack: FakeSlack
    subs: list[Subscription]
    expected: int

    def total(self) -> int:
        return len(self.discord.all_messages()) + len(self.slack.all_messages())

    def reached(self, count: int) -> Callable[[], bool]:
        return lambda: self.total() >= count


async def arrange(database: Path, discord: FakeDiscord, slack: FakeSlack) -> World:
    """Channels subscribed with a post time that just passed: the bot plans their posts
    at start-up (inside the grace period) and starts the fan-out at once."""
    now = dt.datetime.now(dt.UTC)
    post_time = (now - dt.timedelta(minutes=1)).strftime("%H:%M")
    occurrence = parse_post_time(post_time, "UTC").latest(now)
    settings = SubscriptionSettings(top_n=TOP_N, post_time=post_time, timezone="UTC")
    async with open_store(f"sqlite:///{database}") as store:
        await store_digest(store, complete_day_before(occurrence), synthetic_entries(10))
        subs = await subscribe_channels(store, discord, slack, CHANNELS, settings)
    slack_subs = sum(1 for s in subs if s.channel.platform.value == "slack")
    return World(discord, slack, subs, (CHANNELS - slack_subs) + slack_subs * (1 + TOP_N))


async def kill_rounds(world: World, env: dict[str, str], cwd: Path, bots: list[BotProcess]) -> int:
    """SIGKILL the bot ROUNDS times at random points; returns how many kills fell inside
    the fan-out (some messages out, some not)."""
    rng = random.Random(20240607)
    step = max(1, world.expected // ROUNDS)
    inside = 0
    for _ in range(ROUNDS):
        bot = await BotProcess.start(env, cwd)
        bots.append(bot)
        if rng.random() < 0.15:
            await bot.wait_for_log(r".", within=60)  # somewhere in start-up
        else:
            target = min(world.expected, world.total() + rng.randint(1, step))
            await wait_for(world.reached(target), world.discord, world.slack)
        await bot.kill()  # SIGKILL: no cleanup of any kind
        assert bot.proc.returncode == -signal.SIGKILL
        inside += 0 < world.total() < world.expected
    return inside


async def test_sigkill_during_fan_out_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, fake_source: FakeSource
) -> None:
    discord = FakeDiscord(channel_limit=(1000, 1.0), global_limit=(100_000, 1.0))
    slack = FakeSlack(channel_burst=1000, channel_per_second=1000, workspace_per_minute=10**7)
    await discord.start()
    await slack.start()
    data_dir = tmp_path / "data"
    bots: list[BotProcess] = []
    try:
        world = await arrange(data_dir / "papers-bot.db", discord, slack)
        env = bot_env(data_dir, fake_source, discord, slack)
        inside = await kill_rounds(world, env, tmp_path, bots)
        final = await BotProcess.start(env, tmp_path)
        bots.append(final)
        await final.wait_for_log(READY, within=60)
        await wait_for(world.reached(world.expected), discord, slack, within=120)
        assert await final.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()
        await discord.stop()
        await slack.stop()

    assert inside >= ROUNDS // 4, "too few kills landed during the fan-out"
    got = received(discord, slack)
    for sub in world.subs:
        messages = got[sub.channel.channel_id]
        assert duplicates(messages) == [], (sub.channel, messages)
        want = 1 + TOP_N if sub.channel.platform.value == "slack" else 1
        assert len(messages) == want, (sub.channel, messages)
    assert world.total() == world.expected
    nonces = collections.Counter(
        str(r.json().get("nonce")) for r in discord.requests_to("/messages", "POST")
    )
    lookups = len(slack.requests_to("conversations.history"))
    resent = sum(1 for n in nonces.values() if n > 1)
    print(
        f"kills inside the fan-out {inside}, Discord nonces re-sent {resent}, "
        f"Slack history lookups {lookups}"
    )
    assert lookups > 0, "no Slack post was ever reconciled: the kills missed every send"
    async with open_store(f"sqlite:///{data_dir / 'papers-bot.db'}") as store:
        counts = await store.deliveries.counts()
    assert counts[DeliveryState.SENT] == CHANNELS, counts
