"""discord.py's Webhook against the fake Discord's webhook endpoint, over our session."""

from __future__ import annotations

import aiohttp
import pytest

from bot.adapters.base import RejectedPayloadError, TargetGoneError, TransientError
from bot.adapters.destinations import parse_webhook_url
from bot.adapters.discord_webhook import DiscordWebhookAdapter, send_kwargs
from tests.adapters.support import discord_message
from tests.fakes.discord import FakeDiscord


async def test_posts_and_returns_the_message_id(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    embed = {"title": "Paper", "description": "Summary", "color": 0xFFD21E}
    receipt = await DiscordWebhookAdapter(session).send(url, discord_message("new", embeds=[embed]))
    [stored] = fake_discord.default_channel.messages
    assert receipt.message_id == stored["id"]
    assert receipt.channel_id == str(fake_discord.default_channel.id)
    assert url.rsplit("/", 1)[-1] not in receipt.target
    [request] = fake_discord.requests_to("/webhooks/", "POST")
    assert request.query["wait"] in ("true", "1")
    sent = request.json()
    assert sent["allowed_mentions"] == {"parse": []}
    assert sent["embeds"][0]["title"] == "Paper"
    assert sent["embeds"][0]["color"] == 0xFFD21E


async def test_revoked_webhook_is_target_gone(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    next(iter(fake_discord.webhooks.values())).revoked = True
    with pytest.raises(TargetGoneError) as caught:
        await DiscordWebhookAdapter(session).send(url, discord_message())
    assert caught.value.status == 404
    assert url.rsplit("/", 1)[-1] not in str(caught.value)


async def test_invalid_body_is_rejected_by_the_platform(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    message = discord_message("x", embeds=[{"title": "t", "description": "d" * 4097}])
    with pytest.raises(RejectedPayloadError) as caught:
        await DiscordWebhookAdapter(session).send(url, message)
    assert caught.value.status == 400
    assert fake_discord.default_channel.messages == []


async def test_body_discord_py_refuses_is_rejected_without_a_request(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    too_many = [{"title": f"e{i}"} for i in range(11)]
    with pytest.raises(RejectedPayloadError):
        await DiscordWebhookAdapter(session).send(url, discord_message("x", embeds=too_many))
    assert fake_discord.requests_to("/webhooks/") == []


async def test_429_is_waited_out_and_lands_once(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    fake_discord.rate_limit_next(0.2, path="/webhooks/")
    await DiscordWebhookAdapter(session).send(url, discord_message())
    assert len(fake_discord.requests_to("/webhooks/", "POST")) == 2
    assert len(fake_discord.default_channel.messages) == 1


async def test_timeout_is_transient(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    fake_discord.slow_next(1.0, path="/webhooks/")
    with pytest.raises(TransientError):
        await DiscordWebhookAdapter(session, timeout=0.3).send(url, discord_message())


def test_webhook_urls_are_split_into_base_id_and_token() -> None:
    url = parse_webhook_url("https://discord.com/api/webhooks/123/abc-DEF_9")
    assert url is not None
    assert (url.base, url.webhook_id, url.token) == ("https://discord.com/api", 123, "abc-DEF_9")
    assert parse_webhook_url("https://hooks.slack.com/services/T/B/X") is None


def test_keys_a_webhook_cannot_carry_are_refused() -> None:
    with pytest.raises(RejectedPayloadError):
        send_kwargs({"content": "x", "sticker_ids": ["1"]})
    kwargs = send_kwargs({"content": "x", "flags": 4})
    assert kwargs["suppress_embeds"] is True
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
