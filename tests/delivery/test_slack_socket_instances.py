"""Two `papers-bot run` processes on one PostgreSQL database, both connected to Slack over
Socket Mode: Slack hands each envelope to one of an app's connections, so each instance
answers the commands that reach it, once, and `/digest` asked through either instance is
posted once."""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.models import ChannelRef, Platform, SourceKind
from bot.store import open_store
from bot.store.rows import SubscriptionSettings
from tests.app.process import BotProcess
from tests.commands.slack_requests import over_socket
from tests.commands.slack_users import COMMAND_CHANNEL, SlackWithUsers
from tests.delivery.test_digest_once import DAY, READY
from tests.delivery.world import post_time_not_due, store_digest, synthetic_entries
from tests.fakes.source import FakeSource

pytestmark = pytest.mark.timeout(180)

FLEET_SIZE = re.compile(r"^papers_bot_fleet_instances (\S+)$", re.MULTILINE)


async def fleet_size(port: int, *, reaches: float, within: float = 30) -> float:
    """The instance's papers_bot_fleet_instances once it shows `reaches` (or the last
    value seen after `within` seconds)."""
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                found = FLEET_SIZE.search(await response.text())
            assert found is not None
            size = float(found.group(1))
            if size == reaches or asyncio.get_running_loop().time() > deadline:
                return size
            await asyncio.sleep(0.5)


@pytest.fixture
async def slack() -> AsyncIterator[SlackWithUsers]:
    fake = SlackWithUsers(channel_burst=40)
    await fake.start()
    yield fake
    await fake.stop()


async def test_two_instances_on_socket_mode_answer_each_command_once(
    tmp_path: Path, postgres_url: str, fake_source: FakeSource, slack: SlackWithUsers
) -> None:
    channel = ChannelRef(Platform.SLACK, slack.team_id, COMMAND_CHANNEL)
    async with open_store(postgres_url) as store:
        await store_digest(store, DAY, synthetic_entries(3))
        settings = SubscriptionSettings(
            top_n=3, sources=(SourceKind.MARKDOWN,), post_time=post_time_not_due()
        )
        await store.subscriptions.save(channel, settings, actor="test")
    env = {
        **slack.settings_env(),
        "DATABASE_URL": postgres_url,
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "SOURCES": "hf",
        "HF_API_URL": fake_source.hf_url,
        "POLL_INTERVAL": "3600",
        "GATEWAY_LEASE_SECONDS": "6",
    }
    bots = [await BotProcess.start(env, tmp_path) for _ in range(2)]
    try:
        for bot in bots:
            await bot.wait_for_log(READY, within=60)
        await slack.wait_until(lambda: len(slack.socket.connections) == 2, within=30)
        # Slack counts its tiers per app: with no Discord gateway to coordinate, each
        # instance still counts the fleet and takes half of every per-workspace budget.
        # The first to start counts the second at its next renewal (a third of a lease).
        for bot in bots:
            assert await fleet_size(await bot.wait_for_port(), reaches=2) == 2

        answers = []
        for to in (0, 1):  # one command of each kind to each instance's connection
            answers.append(await over_socket(slack, "/papers", "top=2", to=to))
            answers.append(await over_socket(slack, "/subscription", to=to))
        assert all("Synthetic Result" in a.text for a in answers[0::2]), answers
        assert all("markdown" in a.text.lower() for a in answers[1::2]), answers
        digest = [await over_socket(slack, "/digest", to=to) for to in (0, 1)]
        assert "the digest of 2025-03-03" in digest[0].text.lower(), digest[0].text
        await slack.wait_until(lambda: len(slack.channels[COMMAND_CHANNEL].messages) >= 4)
        for bot in bots:
            assert await bot.stop() == 0
    finally:
        for bot in bots:
            await bot.kill()

    # Every command answered once through its response_url.
    per_command = collections.Counter(r["id"] for r in slack.responses)
    assert len(per_command) == 6
    assert set(per_command.values()) == {1}
    # The digest once: a header and the top 3, each a single message.
    texts = [m.get("text", "") for m in slack.channels[COMMAND_CHANNEL].messages]
    assert len(texts) == 4, texts
    assert len(set(texts)) == 4, texts
