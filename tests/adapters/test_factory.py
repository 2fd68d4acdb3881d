"""Destination strings, settings -> adapters, and the console adapter."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest

from bot.adapters.base import nonce_for
from bot.adapters.console import ConsoleAdapter
from bot.adapters.destinations import DestinationError, configured_webhooks, parse_destination
from bot.adapters.discord_webhook import DiscordWebhookAdapter
from bot.adapters.factory import AdapterPool, build_adapter
from bot.adapters.slack_webhook import SlackWebhookAdapter
from bot.config import ConfigError
from bot.models import Platform, Transport
from tests.adapters.support import discord_message, settings_for

DISCORD_HOOK = "https://discord.com/api/webhooks/123456/sEcReT-token_1"
SLACK_HOOK = "https://hooks.slack.com/services/T000/B0ABC/sEcReTsEcReT"


BOT, HOOK = Transport.BOT, Transport.WEBHOOK


@pytest.mark.parametrize(
    ("text", "platform", "transport", "address"),
    [
        ("discord:1234567890", Platform.DISCORD, BOT, "1234567890"),
        ("slack:C0123ABC", Platform.SLACK, BOT, "C0123ABC"),
        (f"webhook:{DISCORD_HOOK}", Platform.DISCORD, HOOK, DISCORD_HOOK),
        (f"webhook:{SLACK_HOOK}", Platform.SLACK, HOOK, SLACK_HOOK),
        ("webhook:http://127.0.0.1:8/api/webhooks/9/t", Platform.DISCORD, HOOK, None),
    ],
)
def test_destinations_parse(
    text: str, platform: Platform, transport: Transport, address: str | None
) -> None:
    destination = parse_destination(text)
    assert (destination.platform, destination.transport) == (platform, transport)
    if address is not None:
        assert destination.address == address


@pytest.mark.parametrize(
    "text",
    ["discord:general", "slack:", "teams:123", "1234", "webhook:https://example.com/hook",
     "slack:C0 12"],
)  # fmt: skip
def test_bad_destinations_are_refused(text: str) -> None:
    with pytest.raises(DestinationError):
        parse_destination(text)


def test_labels_never_show_the_webhook_secret() -> None:
    for url in (DISCORD_HOOK, SLACK_HOOK):
        label = parse_destination(f"webhook:{url}").label
        assert "sEcReT" not in label


def test_configured_webhooks_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(
        monkeypatch, {"DISCORD_WEBHOOK_URLS": DISCORD_HOOK, "SLACK_WEBHOOK_URLS": SLACK_HOOK}
    )
    kinds = [(d.platform, d.transport) for d in configured_webhooks(settings)]
    assert kinds == [(Platform.DISCORD, HOOK), (Platform.SLACK, HOOK)]


async def test_builder_needs_the_platform_token(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(monkeypatch)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
            build_adapter(Platform.DISCORD, Transport.BOT, settings, session)
        with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
            build_adapter(Platform.SLACK, Transport.BOT, settings, session)
        assert isinstance(
            build_adapter(Platform.DISCORD, Transport.WEBHOOK, settings, session),
            DiscordWebhookAdapter,
        )
        assert isinstance(
            build_adapter(Platform.SLACK, Transport.WEBHOOK, settings, session), SlackWebhookAdapter
        )


async def test_pool_starts_each_adapter_once_and_console_prints_bodies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    async with (
        aiohttp.ClientSession() as session,
        AdapterPool(settings_for(monkeypatch), session, console_stream=stream) as pool,
    ):
        console = await pool.get(Platform.DISCORD, Transport.CONSOLE)
        assert console is await pool.get(Platform.DISCORD, Transport.CONSOLE)
        assert isinstance(console, ConsoleAdapter)
        first = await console.send("discord:1", discord_message("a"))
        await console.send("discord:1", discord_message("b"), reply_to=first)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["body"]["content"] for line in lines] == ["a", "b"]
    assert lines[1]["reply_to"] == first.message_id
    assert first.platform is Platform.DISCORD


def test_nonces_are_stable_per_key_and_fit_discord() -> None:
    assert nonce_for("a") == nonce_for("a") != nonce_for("b")
    assert len(nonce_for("x" * 500)) == 25
    assert nonce_for(None) != nonce_for(None)
    assert len(nonce_for(None)) <= 25
