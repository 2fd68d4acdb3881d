"""`/digest` goes through the outbox: `papers-bot run` as a real process, the command over
the fake Discord gateway, and the fake's own message log as the ground truth.

- The bot is SIGKILLed while the digest's message is on the wire (the fake holds the
  request, then stores the message: it landed, but the bot never heard). The restarted bot
  finds the post in flight and finishes it: the channel shows the digest once.
- Two instances on one PostgreSQL database: the one shard is served by one of them (a
  lease in the database), so the interaction reaches one session; the outbox row is
  planned once and the digest posted once.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from pathlib import Path

import pytest

from bot.models import ChannelRef, Platform, SourceKind
from bot.store import open_store
from bot.store.rows import DeliveryKind, DeliveryState, SubscriptionSettings
from tests.app.process import BotProcess
from tests.commands.discord_interactions import MANAGE_CHANNELS, VIEW_SEND_EMBED, answer_of, inject
from tests.delivery.world import post_time_not_due, store_digest, synthetic_entries
from tests.fakes.discord import FakeDiscord
from tests.fakes.source import FakeSource

DAY = dt.date(2025, 3, 3)
READY = r"papers-bot .* ready"
MANAGER = str(MANAGE_CHANNELS | int(VIEW_SEND_EMBED))
HELD = 6.0
"""How long the fake holds the digest's message request before storing it."""

pytestmark = pytest.mark.timeout(180)


def run_env(
    data_dir: Path, source: FakeSource, discord: FakeDiscord, **extra: str
) -> dict[str, str]:
    return {
        "DATA_DIR": str(data_dir),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "SOURCES": "hf",
        "HF_API_URL": source.hf_url,
        "POLL_INTERVAL": "3600",
        "HTTP_RETRIES": "0",
        "HTTP_TIMEOUT": "20",
        "LOG_LEVEL": "INFO",
        **discord.settings_env(),
        **extra,
    }


async def arrange(database_url: str, discord: FakeDiscord) -> ChannelRef:
    """One stored markdown day and the fake's channel subscribed to markdown only (so what
    the bot polls from the fake HF source never changes the latest day), at a post time
    that is not due (the digest is posted by `/digest` only, whenever the test runs)."""
    channel = ChannelRef(Platform.DISCORD, str(discord.guild_id), str(discord.default_channel.id))
    async with open_store(database_url) as store:
        await store_digest(store, DAY, synthetic_entries(3))
        settings = SubscriptionSettings(
            top_n=3, sources=(SourceKind.MARKDOWN,), post_time=post_time_not_due()
        )
        await store.subscriptions.save(channel, settings, actor="test")
    return channel


async def digest_rows(database_url: str, channel: ChannelRef) -> list[DeliveryState]:
    async with open_store(database_url, migrate=False) as store:
        rows = await store.deliveries.list(channel=channel)
    assert all(r.kind is DeliveryKind.DIGEST and r.item_key == DAY.isoformat() for r in rows)
    return [r.state for r in rows]


def message_posts(discord: FakeDiscord) -> list[str]:
    """The nonce of every message request the fake received, in order."""
    return [str(r.json().get("nonce")) for r in discord.requests_to("/messages", "POST")]


async def started(env: dict[str, str], cwd: Path, bots: list[BotProcess]) -> BotProcess:
    bot = await BotProcess.start(env, cwd)
    bots.append(bot)
    await bot.wait_for_log(READY, within=60)
    return bot


async def test_digest_killed_mid_send_is_posted_once_after_restart(
    tmp_path: Path, fake_source: FakeSource, fake_discord: FakeDiscord
) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'papers-bot.db'}"
    channel = await arrange(url, fake_discord)
    env = run_env(data_dir, fake_source, fake_discord)
    bots: list[BotProcess] = []
    try:
        first = await started(env, tmp_path, bots)
        await asyncio.wait_for(fake_discord.gateway.identified.wait(), 30)
        fake_discord.slow_next(HELD, path="/messages")
        answer = await answer_of(
            fake_discord, await inject(fake_discord, "digest", permissions=MANAGER)
        )
        assert "Posting the digest of 2025-03-03 here" in answer.text, answer.text
        await fake_discord.wait_until(lambda: len(message_posts(fake_discord)) == 1, within=30)
        await first.kill()  # SIGKILL while the message request is held
        await fake_discord.wait_until(
            lambda: len(fake_discord.default_channel.messages) == 1, within=HELD + 10
        )
        assert await digest_rows(url, channel) == [DeliveryState.IN_FLIGHT]

        second = await started(env, tmp_path, bots)
        await fake_discord.wait_until(lambda: len(message_posts(fake_discord)) == 2, within=60)
        for _ in range(100):  # the restarted worker records the outcome right after
            if await digest_rows(url, channel) == [DeliveryState.SENT]:
                break
            await asyncio.sleep(0.1)
        assert await digest_rows(url, channel) == [DeliveryState.SENT]
        assert await second.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()

    nonces = message_posts(fake_discord)
    assert len(set(nonces)) == 1, nonces  # the same message, re-sent with its own nonce
    [message] = fake_discord.default_channel.messages
    titles = [embed["title"] for embed in message["embeds"]]
    assert titles[0] == "Hugging Face Daily Papers · 2025-03-03"
    assert len(titles) == 4  # the header and the channel's top 3


async def test_two_instances_on_postgres_post_the_digest_once(
    tmp_path: Path, postgres_url: str, fake_source: FakeSource, fake_discord: FakeDiscord
) -> None:
    channel = await arrange(postgres_url, fake_discord)
    env = run_env(tmp_path / "data", fake_source, fake_discord, DATABASE_URL=postgres_url)
    bots: list[BotProcess] = []
    try:
        await started(env, tmp_path, bots)
        await started(env, tmp_path, bots)
        await fake_discord.wait_until(
            lambda: len(fake_discord.gateway.sessions_of(fake_discord.guild_id)) == 1,
            within=30,
        )
        interaction = await inject(fake_discord, "digest", permissions=MANAGER)
        answer = await answer_of(fake_discord, interaction)
        assert "the digest of 2025-03-03" in answer.text.lower(), answer.text
        await fake_discord.wait_until(
            lambda: len(fake_discord.default_channel.messages) == 1, within=30
        )
        for _ in range(100):
            if await digest_rows(postgres_url, channel) == [DeliveryState.SENT]:
                break
            await asyncio.sleep(0.1)
        assert await digest_rows(postgres_url, channel) == [DeliveryState.SENT]
        # One instance holds the shard: one answer, and none refused as already acknowledged.
        assert len(fake_discord.gateway.sessions_of(fake_discord.guild_id)) == 1
        callbacks = [
            r for r in fake_discord.interaction_responses
            if r["interaction_id"] == interaction["id"]
        ]  # fmt: skip
        assert len(callbacks) == 1
        assert fake_discord.refused_answers == []
        for bot in bots:
            assert await bot.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()

    assert len(fake_discord.default_channel.messages) == 1
    assert collections.Counter(message_posts(fake_discord)).most_common(1)[0][1] == 1
