"""Fixtures for the adapter tests: the fake platforms on random 127.0.0.1 ports, one shared
aiohttp session, and settings built only from the documented environment variables."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from tests.fakes.discord import FakeDiscord


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as shared:
        yield shared


@pytest.fixture
async def discord_rest(fake_discord: FakeDiscord) -> AsyncIterator[DiscordBotAdapter]:
    """A logged-in Discord adapter without a gateway connection (what posting needs)."""
    adapter = DiscordBotAdapter(
        token=fake_discord.token,
        api_base=fake_discord.api_base,
        timeout=5.0,
    )
    await adapter.start()
    yield adapter
    await adapter.stop()
