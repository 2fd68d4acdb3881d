"""A fan-out run by `papers-bot run` subprocesses: the environment that points them at the
fakes, the channels and the digest they post, and what every channel must end up with.

Shared by the crash test (one instance, killed and restarted) and the multi-instance tests
(several instances on one PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.delivery.timing import complete_day_before
from bot.models import Platform
from bot.post_time import PostTime
from bot.store import open_store
from bot.store.rows import DeliveryState, Subscription, SubscriptionSettings
from tests.delivery.world import (
    duplicates,
    received,
    store_digest,
    subscribe_channels,
    synthetic_entries,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.source import FakeSource

TOP_N = 4
READY = r"papers-bot .* ready"
METRIC_LINE = re.compile(r"^(\w+)(?:\{[^}]*\})? ([0-9.eE+-]+)$")


def relaxed_env() -> dict[str, str]:
    """Limits far above what the fakes enforce, so rounds are quick (bench/fanout.py runs the
    real ones)."""
    return {
        "DISCORD_GLOBAL_PER_SECOND": "5000",
        "DISCORD_CHANNEL_PER_5S": "1000",
        "SLACK_CHANNEL_PER_SECOND": "1000",
        "SLACK_WORKSPACE_PER_MINUTE": "1000000",
        "SLACK_HISTORY_PER_MINUTE": "1000000",
        "DELIVERY_CONCURRENCY": "64",
    }


def relaxed_fakes() -> tuple[FakeDiscord, FakeSlack]:
    discord = FakeDiscord(channel_limit=(1000, 1.0), global_limit=(100_000, 1.0))
    slack = FakeSlack(channel_burst=1000, channel_per_second=1000, workspace_per_minute=10**7)
    return discord, slack


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
    database_url: str
    discord: FakeDiscord
    slack: FakeSlack
    subs: list[Subscription]
    expected: int

    def total(self) -> int:
        return len(self.discord.all_messages()) + len(self.slack.all_messages())

    def reached(self, count: int) -> Callable[[], bool]:
        return lambda: self.total() >= count

    def check_exactly_once(self) -> None:
        """Every channel got exactly its post, as the fakes counted: a Discord post is one
        message, a Slack post a header plus one message per paper."""
        got = received(self.discord, self.slack)
        for sub in self.subs:
            messages = got[sub.channel.channel_id]
            assert duplicates(messages) == [], (sub.channel, messages)
            want = 1 + TOP_N if sub.channel.platform is Platform.SLACK else 1
            assert len(messages) == want, (sub.channel, messages)
        assert self.total() == self.expected

    async def outbox(self) -> dict[DeliveryState, int]:
        async with open_store(self.database_url) as store:
            return await store.deliveries.counts()


async def arrange(
    database_url: str,
    discord: FakeDiscord,
    slack: FakeSlack,
    channels: int,
    *,
    post_at: dt.datetime,
) -> World:
    """`channels` channels subscribed to post at `post_at` (UTC, to the second), and the
    digest that post carries stored."""
    post_time = post_at.astimezone(dt.UTC).strftime("%H:%M:%S")
    occurrence = PostTime.parse(post_time, "UTC").latest(post_at)
    settings = SubscriptionSettings(top_n=TOP_N, post_time=post_time, timezone="UTC")
    async with open_store(database_url) as store:
        await store_digest(store, complete_day_before(occurrence), synthetic_entries(10))
        subs = await subscribe_channels(store, discord, slack, channels, settings)
    slack_subs = sum(1 for s in subs if s.channel.platform is Platform.SLACK)
    return World(
        database_url, discord, slack, subs, (channels - slack_subs) + slack_subs * (1 + TOP_N)
    )


async def scrape(port: int) -> dict[str, float]:
    """A running bot's /metrics, each series summed over its labels."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        text = await response.text()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            totals[match[1]] = totals.get(match[1], 0.0) + float(match[2])
    return totals
