"""The wiring `run` relies on, in-process against the fakes: the pool hands every adapter it
builds (again after a failed login) to the commands before starting it, the Slack endpoint
waits for a logged-in Slack, and settings pick how commands arrive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.base import Adapter, AdapterError
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_gateway import EveryShard
from bot.adapters.factory import AdapterPool
from bot.commands.spec import COMMANDS
from bot.delivery.planner import Planner
from bot.models import Platform, Transport
from bot.poller import utc_now
from bot.store import Store, open_store
from bot.wiring import CommandHealth, CommandTransport, CommandWiring, command_transports
from tests.adapters.support import settings_for
from tests.commands.slack_requests import over_http
from tests.commands.slack_users import SlackWithUsers
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack_signing import post_slash_command


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(f"sqlite:///{tmp_path / 'wiring.db'}") as opened:
        yield opened


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as shared:
        yield shared


async def test_every_adapter_the_pool_builds_gets_the_commands_before_it_starts(
    monkeypatch: pytest.MonkeyPatch,
    fake_discord: FakeDiscord,
    store: Store,
    session: aiohttp.ClientSession,
) -> None:
    settings = settings_for(monkeypatch, fake_discord.settings_env())
    wiring = CommandWiring(store, Planner(store, clock=utc_now), settings)
    built: list[tuple[Adapter, bool, int]] = []

    def on_built(adapter: Adapter) -> None:
        assert isinstance(adapter, DiscordBotAdapter)
        logged_in = adapter.client.user is not None
        wiring.on_built(adapter)
        built.append((adapter, logged_in, len(adapter.tree.get_commands())))

    fake_discord.fail_next(401, path="/users/@me")
    async with AdapterPool(settings, session, on_built=on_built) as pool:
        with pytest.raises(AdapterError):
            await pool.get(Platform.DISCORD, Transport.BOT)
        assert pool.started(Platform.DISCORD, Transport.BOT) is None
        retried = await pool.get(Platform.DISCORD, Transport.BOT)
        assert pool.started(Platform.DISCORD, Transport.BOT) is retried
        assert (
            await pool.get(Platform.DISCORD, Transport.BOT) is retried
        )  # built once when it works

    [(failed, failed_logged_in, failed_count), (kept, kept_logged_in, kept_count)] = built
    assert kept is retried
    assert failed is not kept
    assert not failed_logged_in
    assert not kept_logged_in
    assert failed_count == kept_count == len(COMMANDS)


async def test_callers_asking_at_once_share_one_login(
    monkeypatch: pytest.MonkeyPatch, fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    """The worker and the run's login retry may both want Discord at the same moment."""
    settings = settings_for(monkeypatch, fake_discord.settings_env())
    built: list[Adapter] = []
    async with AdapterPool(settings, session, on_built=built.append) as pool:
        first, second = await asyncio.gather(
            pool.get(Platform.DISCORD, Transport.BOT), pool.get(Platform.DISCORD, Transport.BOT)
        )
    assert first is second
    assert built == [first]
    assert len(fake_discord.requests_to("/users/@me")) == 1


async def test_slack_endpoint_waits_for_slack_to_log_in(
    monkeypatch: pytest.MonkeyPatch,
    fake_slack: SlackWithUsers,
    store: Store,
    session: aiohttp.ClientSession,
) -> None:
    env = {k: v for k, v in fake_slack.settings_env().items() if k != "SLACK_APP_TOKEN"}
    settings = settings_for(monkeypatch, env)
    wiring = CommandWiring(store, Planner(store, clock=utc_now), settings)
    fake_slack.fail_next(500, path="auth.test")
    async with AdapterPool(settings, session, on_built=wiring.on_built) as pool:
        web_app = web.Application()
        web_app.add_routes(wiring.routes(pool))
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}{wiring.events_path}"
        try:
            with pytest.raises(AdapterError):
                await pool.get(Platform.SLACK, Transport.BOT)
            early = await post_slash_command(
                session, url, fake_slack.signing_secret, command="/papers"
            )
            assert early.status == 503
            assert "not connected yet" in early.body

            await pool.get(Platform.SLACK, Transport.BOT)
            answer = await over_http(fake_slack, session, url, "/papers")
            assert answer.ack_status == 200
            assert "The archive has no digests yet." in answer.text, answer.text
        finally:
            await runner.cleanup()


@pytest.mark.parametrize(
    ("names", "slack"),
    [
        (
            ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"),
            CommandTransport.SOCKET_MODE,
        ),
        (("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"), CommandTransport.HTTP),
        (("SLACK_BOT_TOKEN",), CommandTransport.OFF),
        (("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"), None),
    ],
)
def test_settings_pick_how_slack_commands_arrive(
    monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...], slack: CommandTransport | None
) -> None:
    settings = settings_for(monkeypatch, dict.fromkeys(names, "x-configured-value"))
    assert command_transports(settings).get(Platform.SLACK) is slack
    assert Platform.DISCORD not in command_transports(settings)


async def test_start_up_says_how_commands_arrive_and_when_slack_has_none(
    monkeypatch: pytest.MonkeyPatch, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"DISCORD_TOKEN": "discord-token", "SLACK_BOT_TOKEN": "xoxb-token"}
    wiring = CommandWiring(store, Planner(store, clock=utc_now), settings_for(monkeypatch, env))
    with caplog.at_level(logging.INFO, logger="bot.wiring"):
        wiring.log_transports()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[0] == ("INFO", "slash commands: discord over the gateway")
    assert messages[1][0] == "WARNING"
    assert "slack slash commands are off" in messages[1][1]


async def test_health_follows_the_discord_gateway(
    monkeypatch: pytest.MonkeyPatch,
    fake_discord: FakeDiscord,
    store: Store,
    session: aiohttp.ClientSession,
) -> None:
    settings = settings_for(monkeypatch, fake_discord.settings_env())
    wiring = CommandWiring(store, Planner(store, clock=utc_now), settings)
    assert wiring.health(Platform.DISCORD, None) is None
    pool = AdapterPool(settings, session, shards=EveryShard(), on_built=wiring.on_built)
    async with pool:
        adapter = await pool.get(Platform.DISCORD, Transport.BOT)
        assert isinstance(adapter, DiscordBotAdapter)
        await adapter.wait_until_ready(within=10)
        assert wiring.health(Platform.DISCORD, adapter) == CommandHealth(CommandTransport.GATEWAY)
        await adapter.stop()  # what a fatal gateway error leaves behind: a closed client
        gone = wiring.health(Platform.DISCORD, adapter)
        assert gone == CommandHealth(
            CommandTransport.GATEWAY, "the Discord gateway is not connected"
        )
