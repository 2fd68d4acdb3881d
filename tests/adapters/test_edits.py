"""Editing a posted message (live cards) with the real clients against the fakes: Discord
PATCH as the bot and through a webhook, Slack chat.update, the console; and every refusal
the fakes can answer with, surfaced as our error classes."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.base import (
    CannotEditError,
    RateLimitedError,
    RejectedPayloadError,
    TargetGoneError,
)
from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_webhook import DiscordWebhookAdapter
from bot.adapters.factory import build_adapter
from bot.adapters.slack_bot import METADATA_EVENT_TYPE, SlackBotAdapter
from bot.adapters.slack_webhook import SlackWebhookAdapter
from bot.models import Platform, Transport
from tests.adapters.support import discord_message, settings_for, slack_message
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_state import message_json, user_json
from tests.fakes.slack import FakeSlack

EMBED = {"title": "Paper", "description": "Summary", "fields": [{"name": "Votes", "value": "👍 3"}]}
NEWER = {"title": "Paper", "description": "Summary", "fields": [{"name": "Votes", "value": "👍 9"}]}
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "👍 *Votes* 3"}}]
NEWER_BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "👍 *Votes* 9"}}]


@pytest.fixture
async def slack(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackBotAdapter]:
    env = {k: v for k, v in fake_slack.settings_env().items() if k != "SLACK_APP_TOKEN"}
    settings = settings_for(monkeypatch, env, {"HTTP_TIMEOUT": "3"})
    adapter = build_adapter(Platform.SLACK, Transport.BOT, settings, session)
    assert isinstance(adapter, SlackBotAdapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def test_discord_edit_replaces_the_content_in_place(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = str(fake_discord.default_channel.id)
    video = discord_message("🎬 https://example.org/v.mp4", embeds=[EMBED])
    receipt = await discord_rest.send(channel, video, idempotency_key="k")
    assert receipt.message_id is not None
    await discord_rest.edit(channel, receipt.message_id, discord_message("", embeds=[NEWER]))
    [message] = fake_discord.default_channel.messages
    assert message["id"] == receipt.message_id
    assert message["embeds"][0]["fields"][0]["value"] == "👍 9"
    assert message["content"] == ""  # a body without content clears it
    assert message["edited_timestamp"] is not None
    [edit] = fake_discord.edits
    assert (edit.message_id, edit.via) == (receipt.message_id, "bot")
    [request] = fake_discord.requests_to("/messages/", "PATCH")
    assert request.json()["allowed_mentions"] == {"parse": []}
    assert "nonce" not in request.json()
    assert fake_discord.refused_edits == []


async def test_discord_edit_of_a_deleted_or_foreign_message_is_target_gone(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = fake_discord.default_channel
    stranger = user_json(fake_discord.ids.next(), "someone", bot=False)
    theirs = message_json(fake_discord.ids.next(), channel, {"content": "hi"}, stranger)
    channel.messages.append(theirs)
    with pytest.raises(TargetGoneError, match="404"):
        await discord_rest.edit(str(channel.id), "12345", discord_message("x"))
    with pytest.raises(TargetGoneError, match="403"):
        await discord_rest.edit(str(channel.id), theirs["id"], discord_message("x"))
    assert [r.status for r in fake_discord.refused_edits] == [404, 403]
    assert theirs["content"] == "hi"


async def test_discord_edit_breaking_a_limit_is_rejected(
    fake_discord: FakeDiscord, discord_rest: DiscordBotAdapter
) -> None:
    channel = str(fake_discord.default_channel.id)
    receipt = await discord_rest.send(channel, discord_message("before"))
    assert receipt.message_id is not None
    with pytest.raises(RejectedPayloadError):
        await discord_rest.edit(channel, receipt.message_id, discord_message("x" * 2001))
    assert fake_discord.default_channel.messages[0]["content"] == "before"


async def test_discord_edits_have_their_own_per_channel_bucket(
    session: aiohttp.ClientSession,
) -> None:
    """Three edits in a channel whose edit bucket holds two a second: the fake answers
    with the edit bucket's headers, which discord.py waits out instead of running into a
    429; posting in the channel is counted apart."""
    async with FakeDiscord(channel_limit=(5, 5.0), edit_limit=(2, 1.0)) as fake:
        assert isinstance(fake, FakeDiscord)
        adapter = DiscordBotAdapter(token=fake.token, api_base=fake.api_base, timeout=10.0)
        await adapter.start()
        try:
            channel = str(fake.default_channel.id)
            receipt = await adapter.send(channel, discord_message("0"))
            assert receipt.message_id is not None
            for n in range(1, 4):
                await adapter.edit(channel, receipt.message_id, discord_message(str(n)))
            await adapter.send(channel, discord_message("a post"))
        finally:
            await adapter.stop()
        assert fake.default_channel.messages[0]["content"] == "3"
        assert len(fake.edits) == 3
        assert fake.throttled == []  # discord.py read the bucket's headers and waited


async def test_discord_webhook_edits_what_it_posted(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    url = fake_discord.add_webhook()
    adapter = DiscordWebhookAdapter(session)
    receipt = await adapter.send(url, discord_message("", embeds=[EMBED]))
    assert receipt.message_id is not None
    await adapter.edit(url, receipt.message_id, discord_message("", embeds=[NEWER]))
    [message] = fake_discord.default_channel.messages
    assert message["embeds"][0]["fields"][0]["value"] == "👍 9"
    [edit] = fake_discord.edits
    assert edit.via == "webhook"
    with pytest.raises(TargetGoneError, match="404"):
        await adapter.edit(url, "777", discord_message("x"))
    fake_discord.webhooks[int(url.split("/")[-2])].revoked = True
    with pytest.raises(TargetGoneError):
        await adapter.edit(url, receipt.message_id, discord_message("x"))


async def test_slack_update_keeps_the_ts_and_the_metadata(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    channel = fake_slack.default_channel.id
    posted = await slack.send(
        channel,
        slack_message("votes 3", blocks=BLOCKS, unfurl_links=False),
        idempotency_key="key.1",
    )
    assert posted.message_id is not None
    await slack.edit(
        channel,
        posted.message_id,
        slack_message("votes 9", blocks=NEWER_BLOCKS, unfurl_links=False),
    )
    [message] = fake_slack.default_channel.messages
    assert (message["ts"], message["text"], message["blocks"]) == (
        posted.message_id,
        "votes 9",
        NEWER_BLOCKS,
    )
    assert message["metadata"]["event_type"] == METADATA_EVENT_TYPE
    assert message["metadata"]["event_payload"]["key"] == "key.1"  # still found by find_sent
    [request] = fake_slack.requests_to("chat.update")
    assert "unfurl_links" not in (request.json() or {})
    assert [e.ts for e in fake_slack.edits] == [posted.message_id]


async def test_slack_update_of_a_missing_or_foreign_message_is_target_gone(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    channel = fake_slack.default_channel
    channel.messages.append({"type": "message", "ts": "1.000001", "user": "U0SOMEONE", "text": "x"})
    with pytest.raises(TargetGoneError, match="message_not_found"):
        await slack.edit(channel.id, "9.000009", slack_message("new"))
    with pytest.raises(TargetGoneError, match="cant_update_message"):
        await slack.edit(channel.id, "1.000001", slack_message("new"))
    assert [e.error for e in fake_slack.refused_edits] == [
        "message_not_found",
        "cant_update_message",
    ]


async def test_slack_updates_are_tier_3(session: aiohttp.ClientSession) -> None:
    """Past the burst, chat.update is 429 with Retry-After (posting is not held back)."""
    async with FakeSlack(update_burst=1, updates_per_minute=1) as fake:
        assert isinstance(fake, FakeSlack)
        adapter = SlackBotAdapter(token=fake.bot_token, session=session, api_base=fake.api_base)
        await adapter.start()
        channel = fake.default_channel.id
        posted = await adapter.send(channel, slack_message("0"))
        assert posted.message_id is not None
        await adapter.edit(channel, posted.message_id, slack_message("1"))
        with pytest.raises(RateLimitedError):
            await adapter.edit(channel, posted.message_id, slack_message("2"))
        await adapter.send(channel, slack_message("a post"))
        assert fake.throttled == ["/api/chat.update"]
        assert [e.error for e in fake.refused_edits] == ["ratelimited"]


async def test_slack_webhooks_cannot_edit(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(CannotEditError):
        await SlackWebhookAdapter(session).edit(fake_slack.add_webhook(), "1.0", slack_message())


async def test_console_prints_the_edit() -> None:
    out = io.StringIO()
    adapter = ConsoleAdapter(out)
    await adapter.edit("stdout", "console-1", discord_message("", embeds=[NEWER]))
    line = json.loads(out.getvalue())
    assert (line["edit"], line["body"]["embeds"]) == ("console-1", [NEWER])
    drawn = io.StringIO()
    await ConsoleAdapter(drawn, drawn=True).edit("stdout", "console-1", discord_message("now"))
    assert "edited console-1" in drawn.getvalue()
