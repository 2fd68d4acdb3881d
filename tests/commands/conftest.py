"""Fixtures for command tests: a seeded SQLite store on a temp file, the neutral command
service with a fixed clock, and the real discord.py / slack-bolt stacks wired to the fakes
(Discord over its gateway, Slack over signed HTTP and over Socket Mode)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_commands import DiscordCommands
from bot.adapters.discord_gateway import EveryShard
from bot.adapters.slack_bot import EVENTS_PATH, SlackBotAdapter
from bot.adapters.slack_commands import SlackCommands
from bot.commands.env import CommandDefaults, CommandEnv
from bot.commands.router import Commands
from bot.delivery.planner import Planner
from bot.store import Store, open_store
from tests.adapters.conftest import session
from tests.commands.samples import NOW, database_url, seed
from tests.commands.slack_users import SlackWithUsers
from tests.delivery.support import Engine, engine_on
from tests.fakes.discord import FakeDiscord

__all__ = ["session"]

ALLOWLISTED = "U0ALLOWED1"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(database_url(tmp_path)) as opened:
        await seed(opened)
        yield opened


@pytest.fixture
def commands(store: Store) -> Commands:
    """The handlers on the seeded store; /digest plans into its outbox (sent only where a
    test also starts a delivery engine)."""
    return Commands(
        CommandEnv(
            store,
            Planner(store, clock=lambda: NOW),
            CommandDefaults(post_time="09:00", timezone="UTC"),
            clock=lambda: NOW,
        )
    )


@pytest.fixture
async def discord_delivery(fake_discord: FakeDiscord, store: Store) -> AsyncIterator[Engine]:
    """A delivery engine on the same store sending to the fake Discord."""
    async with engine_on(
        store, discord_token=fake_discord.token, discord_api_base=fake_discord.api_base
    ) as engine:
        yield engine


@pytest.fixture
async def slack_delivery(fake_slack: SlackWithUsers, store: Store) -> AsyncIterator[Engine]:
    """A delivery engine on the same store sending to the fake Slack."""
    async with engine_on(
        store, slack_bot_token=fake_slack.bot_token, slack_api_base=fake_slack.api_base
    ) as engine:
        yield engine


@pytest.fixture
async def discord_bot(
    fake_discord: FakeDiscord, commands: Commands
) -> AsyncIterator[DiscordBotAdapter]:
    """The real discord.py client on the fake gateway, with every command installed."""
    adapter = DiscordBotAdapter(
        token=fake_discord.token,
        api_base=fake_discord.api_base,
        gateway_url=fake_discord.gateway_url,
        application_id=str(fake_discord.application_id),
        timeout=5.0,
        shards=EveryShard(),
    )
    DiscordCommands(adapter, commands).install()
    await adapter.start()
    await asyncio.wait_for(fake_discord.gateway.identified.wait(), 10)
    yield adapter
    await adapter.stop()


@pytest.fixture
async def fake_slack() -> AsyncIterator[SlackWithUsers]:
    fake = SlackWithUsers(channel_burst=40)
    await fake.start()
    yield fake
    await fake.stop()


def slack_adapter(
    fake: SlackWithUsers, session: aiohttp.ClientSession, *, socket_mode: bool
) -> SlackBotAdapter:
    return SlackBotAdapter(
        token=fake.bot_token,
        session=session,
        api_base=fake.api_base,
        signing_secret=fake.signing_secret,
        app_token=fake.app_token if socket_mode else None,
        timeout=5.0,
    )


@pytest.fixture
async def slack_http(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, commands: Commands
) -> AsyncIterator[str]:
    """The bolt app behind the bot's HTTP endpoint; yields the URL Slack would POST to."""
    adapter = slack_adapter(fake_slack, session, socket_mode=False)
    SlackCommands(adapter, commands, admin_users={ALLOWLISTED}, timeout=5.0).install()
    web_app = web.Application()
    adapter.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await adapter.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    await adapter.stop()
    await runner.cleanup()


@pytest.fixture
async def slack_socket(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, commands: Commands
) -> AsyncIterator[SlackBotAdapter]:
    adapter = slack_adapter(fake_slack, session, socket_mode=True)
    SlackCommands(adapter, commands, admin_users={ALLOWLISTED}, timeout=5.0).install()
    await adapter.start()
    yield adapter
    await adapter.stop()
