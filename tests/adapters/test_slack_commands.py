"""Slash commands reaching the bolt app: over the bot's HTTP endpoint (signature checked by
bolt) and over Socket Mode. A forged or stale request must get 401 and run no handler."""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.factory import build_adapter
from bot.adapters.slack_bot import EVENTS_PATH, SlackBotAdapter
from bot.models import Platform, Transport
from tests.adapters.support import settings_for
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_signing import Tamper, post_slash_command, slash_command_body


def _with_papers_command(adapter: SlackBotAdapter, calls: list[dict[str, Any]]) -> None:
    @adapter.app.command("/papers")
    async def papers(ack: Any, command: dict[str, Any]) -> None:
        calls.append(command)
        await ack(f"searching for {command['text']}")


@pytest.fixture
async def http_bot(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    env = {k: v for k, v in fake_slack.settings_env().items() if k != "SLACK_APP_TOKEN"}
    adapter = build_adapter(Platform.SLACK, Transport.BOT, settings_for(monkeypatch, env), session)
    assert isinstance(adapter, SlackBotAdapter)
    calls: list[dict[str, Any]] = []
    _with_papers_command(adapter, calls)
    web_app = web.Application()
    adapter.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await adapter.start()
    yield f"http://127.0.0.1:{port}{EVENTS_PATH}", calls
    await adapter.stop()
    await runner.cleanup()


async def test_signed_command_runs_the_handler(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, http_bot: tuple[str, list[Any]]
) -> None:
    url, calls = http_bot
    delivery = await post_slash_command(session, url, fake_slack.signing_secret, text="diffusion")
    assert delivery.status == 200
    assert "searching for diffusion" in delivery.body
    assert [c["text"] for c in calls] == ["diffusion"]


@pytest.mark.parametrize("tamper", ["forged", "stale", "unsigned"])
async def test_forged_or_stale_command_gets_401_and_runs_nothing(
    fake_slack: FakeSlack,
    session: aiohttp.ClientSession,
    http_bot: tuple[str, list[Any]],
    tamper: Tamper,
) -> None:
    url, calls = http_bot
    delivery = await post_slash_command(
        session, url, fake_slack.signing_secret, text="x", tamper=tamper
    )
    assert delivery.status == 401
    assert calls == []


async def test_socket_mode_delivers_commands_and_acks(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(monkeypatch, fake_slack.settings_env())
    adapter = build_adapter(Platform.SLACK, Transport.BOT, settings, session)
    assert isinstance(adapter, SlackBotAdapter)
    calls: list[dict[str, Any]] = []
    _with_papers_command(adapter, calls)
    await adapter.start()
    try:
        form = slash_command_body("/papers", "agents", response_url=fake_slack.response_url())
        payload = dict(urllib.parse.parse_qsl(form))
        ack = await fake_slack.socket.deliver("slash_commands", payload)
    finally:
        await adapter.stop()
    assert [c["text"] for c in calls] == ["agents"]
    assert ack["payload"]["text"] == "searching for agents"
    [opened] = fake_slack.requests_to("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {fake_slack.app_token}"
