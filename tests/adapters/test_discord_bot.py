"""The real discord.py client against the fake Discord: login, gateway, posting, and every
failure the fake can really answer with, surfaced as our error classes."""

from __future__ import annotations

import discord
import pytest

from bot.adapters.base import (
    AuthenticationError,
    RateLimitedError,
    RejectedPayloadError,
    TargetGoneError,
    TransientError,
)
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_gateway import EveryShard
from bot.adapters.factory import build_adapter
from bot.models import Platform, Transport
from tests.adapters.support import discord_message, settings_for
from tests.fakes.discord import FakeDiscord


async def test_client_configured_by_settings_reaches_ready_and_answers_a_command(
    fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(monkeypatch, fake_discord.settings_env())
    adapter = build_adapter(
        Platform.DISCORD,
        Transport.BOT,
        settings,
        session=None,  # type: ignore[arg-type]
        shards=EveryShard(),
    )
    assert isinstance(adapter, DiscordBotAdapter)

    @adapter.tree.command(name="ping", description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    await adapter.start()
    try:
        await adapter.wait_until_ready(within=15)
        assert adapter.client.user is not None
        assert adapter.client.user.name == "papers-bot"
        assert [g.id for g in adapter.client.guilds] == [fake_discord.guild_id]
        identify = fake_discord.gateway.sessions[0].identify
        assert identify is not None
        assert identify["token"] == fake_discord.token
        assert identify["intents"] == discord.Intents(guilds=True).value

        await adapter.register_commands()
        assert [c["name"] for c in fake_discord.commands["global"]] == ["ping"]

        await fake_discord.gateway.inject_command("ping")
        await fake_discord.wait_until(lambda: bool(fake_discord.interaction_responses))
        response = fake_discord.interaction_responses[0]
        assert response["type"] == 4
        assert response["data"]["content"] == "pong"
        assert response["data"]["flags"] == 64
    finally:
        await adapter.stop()
    assert adapter.client.is_closed()


async def test_send_posts_the_exact_body_with_a_nonce(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.default_channel
    embed = {"title": "A paper", "description": "Why it matters", "url": "https://arxiv.org/abs/1"}
    receipt = await discord_rest.send(
        str(channel.id), discord_message("hi", embeds=[embed]), idempotency_key="d1"
    )
    [stored] = channel.messages
    assert receipt.message_id == stored["id"]
    [request] = fake_discord.requests_to(f"/channels/{channel.id}/messages", "POST")
    sent = request.json()
    assert sent["embeds"] == [embed]
    assert sent["allowed_mentions"] == {"parse": []}
    assert sent["enforce_nonce"] is True
    assert len(sent["nonce"]) <= 25


async def test_missing_allowed_mentions_defaults_to_none(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.default_channel
    message = discord_message("plain text")
    message.body.pop("allowed_mentions")
    await discord_rest.send(str(channel.id), message)
    [request] = fake_discord.requests_to("/messages", "POST")
    assert request.json()["allowed_mentions"] == {"parse": []}


async def test_a_body_that_could_ping_is_refused_by_the_fake(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    """The fake holds every body to the renderers' safety rules, so e2e passes mean no ping."""
    channel = fake_discord.default_channel
    with pytest.raises(RejectedPayloadError):
        await discord_rest.send(str(channel.id), discord_message("@everyone look"))
    assert channel.messages == []


async def test_retry_with_the_same_key_posts_once(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    target = str(fake_discord.default_channel.id)
    first = await discord_rest.send(target, discord_message(), idempotency_key="digest:1")
    again = await discord_rest.send(target, discord_message(), idempotency_key="digest:1")
    other = await discord_rest.send(target, discord_message(), idempotency_key="digest:2")
    assert first.message_id == again.message_id != other.message_id
    assert len(fake_discord.default_channel.messages) == 2


async def test_reply_references_the_parent(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    target = str(fake_discord.default_channel.id)
    parent = await discord_rest.send(target, discord_message("header"))
    await discord_rest.send(target, discord_message("paper"), reply_to=parent)
    assert fake_discord.default_channel.messages[1]["message_reference"]["message_id"] == (
        parent.message_id
    )


async def test_deleted_channel_is_target_gone(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.add_channel("old")
    channel.state = "deleted"
    with pytest.raises(TargetGoneError) as caught:
        await discord_rest.send(str(channel.id), discord_message())
    assert caught.value.status == 404


async def test_forbidden_channel_is_target_gone(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.add_channel("private")
    channel.state = "forbidden"
    with pytest.raises(TargetGoneError) as caught:
        await discord_rest.send(str(channel.id), discord_message())
    assert caught.value.status == 403


async def test_oversized_embed_is_rejected_not_retried(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.default_channel
    message = discord_message("x", embeds=[{"title": "t", "description": "d" * 4097}])
    with pytest.raises(RejectedPayloadError) as caught:
        await discord_rest.send(str(channel.id), message)
    assert caught.value.status == 400
    assert "50035" in str(caught.value)
    assert channel.messages == []
    assert len(fake_discord.requests_to("/messages", "POST")) == 1


async def test_short_429_is_waited_out_and_lands_once(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.default_channel
    fake_discord.rate_limit_next(0.3, path="/messages")
    receipt = await discord_rest.send(str(channel.id), discord_message(), idempotency_key="k")
    assert len(fake_discord.requests_to("/messages", "POST")) == 2
    assert [m["id"] for m in channel.messages] == [receipt.message_id]


async def test_long_429_surfaces_as_rate_limited(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    fake_discord.rate_limit_next(120.0, path="/messages")
    with pytest.raises(RateLimitedError) as caught:
        await discord_rest.send(str(fake_discord.default_channel.id), discord_message())
    assert caught.value.retry_after == pytest.approx(120.0)
    assert fake_discord.default_channel.messages == []


async def test_buckets_are_obeyed_without_any_429(fake_discord: FakeDiscord) -> None:
    fast = FakeDiscord(channel_limit=(2, 0.3))
    await fast.start()
    adapter = DiscordBotAdapter(token=fast.token, api_base=fast.api_base)
    try:
        await adapter.start()
        target = str(fast.default_channel.id)
        for i in range(5):
            await adapter.send(target, discord_message(f"m{i}"))
    finally:
        await adapter.stop()
        await fast.stop()
    assert [m["content"] for m in fast.default_channel.messages] == [f"m{i}" for i in range(5)]
    assert len(fast.requests_to("/messages", "POST")) == 5  # discord.py waited, never 429ed


async def test_server_error_is_transient(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    fake_discord.fail_next(503, path="/messages")
    with pytest.raises(TransientError) as caught:
        await discord_rest.send(str(fake_discord.default_channel.id), discord_message())
    assert caught.value.status == 503


async def test_one_500_is_retried_by_discord_py_and_lands_once(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    fake_discord.fail_next(500, path="/messages")
    await discord_rest.send(str(fake_discord.default_channel.id), discord_message())
    assert len(fake_discord.requests_to("/messages", "POST")) == 2
    assert len(fake_discord.default_channel.messages) == 1


async def test_slow_answer_times_out_and_the_retry_does_not_duplicate(
    fake_discord: FakeDiscord,
) -> None:
    adapter = DiscordBotAdapter(
        token=fake_discord.token,
        api_base=fake_discord.api_base,
        timeout=0.5,
    )
    await adapter.start()
    try:
        target = str(fake_discord.default_channel.id)
        fake_discord.slow_next(1.0, path="/messages")
        with pytest.raises(TransientError):
            await adapter.send(target, discord_message(), idempotency_key="slow")
        await fake_discord.wait_until(lambda: len(fake_discord.default_channel.messages) == 1)
        retried = await adapter.send(target, discord_message(), idempotency_key="slow")
    finally:
        await adapter.stop()
    assert [m["id"] for m in fake_discord.default_channel.messages] == [retried.message_id]


async def test_dropped_connection_is_transient(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    fake_discord.drop_next(path="/messages")
    with pytest.raises(TransientError):
        await discord_rest.send(str(fake_discord.default_channel.id), discord_message())


async def test_bad_token_is_an_authentication_error(fake_discord: FakeDiscord) -> None:
    adapter = DiscordBotAdapter(token="wrong", api_base=fake_discord.api_base)
    with pytest.raises(AuthenticationError):
        await adapter.start()
    await adapter.stop()


async def test_non_numeric_target_is_refused_without_a_call(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    with pytest.raises(TargetGoneError):
        await discord_rest.send("general", discord_message())
    assert fake_discord.requests_to("/messages") == []


async def test_persistent_500_ends_as_transient_within_the_timeout(
    fake_discord: FakeDiscord,
) -> None:
    """discord.py retries 500s for ~25 s; our timeout turns that into a TransientError."""
    adapter = DiscordBotAdapter(
        token=fake_discord.token,
        api_base=fake_discord.api_base,
        timeout=1.5,
    )
    await adapter.start()
    fake_discord.fail_next(500, path="/messages", times=5)
    try:
        with pytest.raises(TransientError):
            await adapter.send(str(fake_discord.default_channel.id), discord_message())
    finally:
        await adapter.stop()
    assert fake_discord.default_channel.messages == []


async def test_global_429_is_waited_out_and_every_message_lands_once() -> None:
    fake = FakeDiscord(global_limit=(2, 1.5))
    await fake.start()
    adapter = DiscordBotAdapter(token=fake.token, api_base=fake.api_base)
    channels = [fake.default_channel, fake.add_channel("second")]
    try:
        await adapter.start()
        for i in range(4):
            await adapter.send(str(channels[i % 2].id), discord_message(f"m{i}"))
    finally:
        await adapter.stop()
        await fake.stop()
    landed = sorted(m["content"] for m in fake.all_messages())
    assert landed == ["m0", "m1", "m2", "m3"]
    assert len(fake.requests_to("/messages", "POST")) > 4  # at least one global 429 retried
