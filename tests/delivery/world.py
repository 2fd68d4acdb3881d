"""Arranging a fan-out: channels on the fakes, their subscriptions, a stored digest, and
counting what the fakes received (the ground truth for lost and duplicate messages)."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.models import ChannelRef, Digest, Platform
from bot.sources.markdown import parse_markdown_digest
from bot.store import Store
from bot.store.rows import Subscription, SubscriptionSettings
from tests.app.content import Entry, markdown_digest
from tests.fakes.discord import FakeDiscord
from tests.fakes.platform_faults import FakeServer, Fault, FaultKind, FaultQueue
from tests.fakes.slack import FakeSlack

MESSAGE_PATHS = ("/messages", "chat.postMessage")


def synthetic_entries(count: int, *, seed: int = 7) -> tuple[Entry, ...]:
    rng = random.Random(seed)
    return tuple(
        Entry(f"2503.{n:05d}", f"Synthetic Result {n} on Quiet Benchmarks", rng.randint(0, 60))
        for n in range(1, count + 1)
    )


def post_time_not_due() -> str:
    """A UTC post time two hours ago: outside the start-up grace period (an hour by
    default), so a bot started now plans nothing by itself; what a test sees posted
    comes from what it did (a command, a moved post time), whatever the time of day."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).strftime("%H:%M")


async def store_digest(store: Store, day: dt.date, entries: tuple[Entry, ...]) -> Digest:
    digest = parse_markdown_digest(markdown_digest(day, entries), day=day)
    await store.writer.save(digest)
    return digest


async def subscribe_channels(
    store: Store,
    discord: FakeDiscord | None,
    slack: FakeSlack | None,
    count: int,
    settings: SubscriptionSettings,
) -> list[Subscription]:
    """`count` new channels split between the fakes, each subscribed with `settings`."""
    subs = []
    for n in range(count):
        if discord is not None and (slack is None or n % 2 == 0):
            channel = discord.add_channel(f"papers-{n}")
            ref = ChannelRef(Platform.DISCORD, str(discord.guild_id), str(channel.id))
        else:
            assert slack is not None
            channel_id = f"C{n:08d}"
            slack.add_channel(channel_id)
            ref = ChannelRef(Platform.SLACK, slack.team_id, channel_id)
        subs.append(await store.subscriptions.save(ref, settings))
    return subs


def message_signature(platform: str, message: dict[str, Any]) -> str:
    """What tells two posted messages apart: the paper titles (or header) they carry."""
    if platform == "discord":
        titles = [e.get("title", "") for e in message.get("embeds") or []]
        return "|".join(titles) or str(message.get("content", ""))
    return str(message.get("text", ""))


def received(discord: FakeDiscord | None, slack: FakeSlack | None) -> dict[str, list[str]]:
    """Channel id -> signatures of the messages that channel received, in order."""
    found: dict[str, list[str]] = {}
    for d_channel in discord.channels.values() if discord else ():
        found[str(d_channel.id)] = [message_signature("discord", m) for m in d_channel.messages]
    for s_channel in slack.channels.values() if slack else ():
        found[s_channel.id] = [message_signature("slack", m) for m in s_channel.messages]
    return found


def duplicates(messages: Iterable[str]) -> list[str]:
    return [sig for sig, n in collections.Counter(messages).items() if n > 1]


@dataclass
class RandomFaults(FaultQueue):
    """The fakes' fault queue, misbehaving at random on message sends: 500s, 429 bursts
    (several requests in a row), dropped connections and slow answers (some slower than
    the bot's timeout, so the message lands but the answer is lost)."""

    rng: random.Random = field(default_factory=lambda: random.Random(1234))
    error_rate: float = 0.05
    burst_rate: float = 0.05
    drop_rate: float = 0.03
    slow_rate: float = 0.05
    slow_max: float = 1.5
    burst_left: int = 0
    injected: collections.Counter[str] = field(default_factory=collections.Counter)

    def take(self, path: str) -> Fault | None:
        queued = super().take(path)
        if queued is not None or not any(p in path for p in MESSAGE_PATHS):
            return queued
        if self.burst_left > 0:
            self.burst_left -= 1
            self.injected["rate_limit"] += 1
            return Fault("rate_limit", retry_after=0.3)
        draw = self.rng.random()
        kinds: tuple[tuple[FaultKind, float], ...] = (
            ("status", self.error_rate),
            ("rate_limit", self.burst_rate),
            ("drop", self.drop_rate),
            ("slow", self.slow_rate),
        )
        for kind, rate in kinds:
            if draw < rate:
                self.injected[kind] += 1
                if kind == "rate_limit":
                    self.burst_left = self.rng.randint(2, 6)
                    return Fault("rate_limit", retry_after=0.3)
                if kind == "slow":
                    return Fault("slow", delay=self.rng.uniform(0.1, self.slow_max))
                return Fault(kind, status=500)
            draw -= rate
        return None


async def wait_for(predicate: Callable[[], bool], *fakes: FakeServer, within: float = 60.0) -> None:
    """Until `predicate()` holds, re-checked after every request any of `fakes` handles."""
    if predicate():
        return
    waits = [asyncio.ensure_future(f.wait_until(predicate, within=within)) for f in fakes]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
