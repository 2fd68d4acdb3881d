"""slack-sdk's AsyncWebClient (inside bolt's AsyncApp) against the fake Slack Web API."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.base import (
    AuthenticationError,
    RateLimitedError,
    RejectedPayloadError,
    TargetGoneError,
    TransientError,
)
from bot.adapters.factory import build_adapter
from bot.adapters.slack_bot import METADATA_EVENT_TYPE, SlackBotAdapter
from bot.models import Platform, Transport
from tests.adapters.support import settings_for, slack_message
from tests.fakes.slack import FakeSlack

BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Daily Papers"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*<https://arxiv.org/abs/1|A paper>*"}},
]


def http_only(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "SLACK_APP_TOKEN"}


@pytest.fixture
async def slack(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackBotAdapter]:
    settings = settings_for(
        monkeypatch, http_only(fake_slack.settings_env()), {"HTTP_TIMEOUT": "3"}
    )
    adapter = build_adapter(Platform.SLACK, Transport.BOT, settings, session)
    assert isinstance(adapter, SlackBotAdapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def test_start_checks_the_token(fake_slack: FakeSlack, slack: SlackBotAdapter) -> None:
    assert slack.bot_user_id == fake_slack.bot_user_id
    [auth] = fake_slack.requests_to("/api/auth.test")
    assert auth.headers["Authorization"] == f"Bearer {fake_slack.bot_token}"


async def test_posts_blocks_with_metadata_and_threads_replies(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    channel = fake_slack.default_channel.id
    header = await slack.send(channel, slack_message("papers", blocks=BLOCKS), idempotency_key="h")
    reply = await slack.send(channel, slack_message("one"), reply_to=header, idempotency_key="p1")
    first, second = fake_slack.default_channel.messages
    assert first["ts"] == header.message_id
    assert first["blocks"] == BLOCKS
    assert first["metadata"] == {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": "h"}}
    assert second["thread_ts"] == header.message_id
    assert second["ts"] == reply.message_id


async def test_find_sent_reads_the_key_back_from_history(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    channel = fake_slack.default_channel.id
    message = slack_message()
    attempt = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    sent = await slack.send(channel, message, idempotency_key="digest:7")
    await slack.send(channel, message, idempotency_key="digest:8")
    now = dt.datetime.now(dt.UTC)
    found = await slack.find_sent(channel, message, "digest:7", since=attempt, now=now)
    assert found is not None
    assert found.message_id == sent.message_id
    assert await slack.find_sent(channel, message, "digest:9", since=attempt, now=now) is None
    [history, _] = fake_slack.requests_to("/api/conversations.history")
    assert history.query["include_all_metadata"] in ("1", "true")


@pytest.mark.parametrize("state", ["deleted", "not_in_channel", "is_archived"])
async def test_unusable_channels_are_target_gone(
    fake_slack: FakeSlack, slack: SlackBotAdapter, state: str
) -> None:
    fake_slack.add_channel("C0GONE0001", state)  # type: ignore[arg-type]
    with pytest.raises(TargetGoneError):
        await slack.send("C0GONE0001", slack_message())


async def test_invalid_blocks_are_rejected(fake_slack: FakeSlack, slack: SlackBotAdapter) -> None:
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    with pytest.raises(RejectedPayloadError) as caught:
        await slack.send(fake_slack.default_channel.id, slack_message("t", blocks=too_long))
    assert "invalid_blocks" in str(caught.value)
    assert fake_slack.default_channel.messages == []


async def test_short_429_is_waited_out_and_lands_once(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    fake_slack.rate_limit_next(1, path="chat.postMessage")
    await slack.send(fake_slack.default_channel.id, slack_message())
    assert len(fake_slack.requests_to("chat.postMessage")) == 2
    assert len(fake_slack.default_channel.messages) == 1


async def test_channel_rate_limit_is_real_and_honoured(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeSlack(channel_burst=1, channel_per_second=1.0)
    await fake.start()
    adapter = SlackBotAdapter(token=fake.bot_token, session=session, api_base=fake.api_base)
    try:
        await adapter.send(fake.default_channel.id, slack_message("a"))
        await adapter.send(fake.default_channel.id, slack_message("b"))
    finally:
        await fake.stop()
    posts = fake.requests_to("chat.postMessage")
    assert len(posts) == 3  # the second post met a real 429 and was retried
    assert [m["text"] for m in fake.default_channel.messages] == ["a", "b"]


async def test_long_429_surfaces_as_rate_limited(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    fake_slack.rate_limit_next(90, path="chat.postMessage")
    with pytest.raises(RateLimitedError) as caught:
        await slack.send(fake_slack.default_channel.id, slack_message())
    assert caught.value.retry_after == 90
    assert fake_slack.default_channel.messages == []


async def test_server_error_is_transient(fake_slack: FakeSlack, slack: SlackBotAdapter) -> None:
    fake_slack.fail_next(500, path="chat.postMessage")
    with pytest.raises(TransientError) as caught:
        await slack.send(fake_slack.default_channel.id, slack_message())
    assert caught.value.status == 500


async def test_slow_answer_is_transient(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    adapter = SlackBotAdapter(
        token=fake_slack.bot_token, session=session, api_base=fake_slack.api_base, timeout=0.5
    )
    fake_slack.slow_next(1.5, path="chat.postMessage")
    with pytest.raises(TransientError):
        await adapter.send(fake_slack.default_channel.id, slack_message())


async def test_dropped_connection_is_transient(
    fake_slack: FakeSlack, slack: SlackBotAdapter
) -> None:
    fake_slack.drop_next(path="chat.postMessage")
    with pytest.raises(TransientError):
        await slack.send(fake_slack.default_channel.id, slack_message())


async def test_bad_token_is_an_authentication_error(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    adapter = SlackBotAdapter(token="xoxb-wrong", session=session, api_base=fake_slack.api_base)
    with pytest.raises(AuthenticationError):
        await adapter.start()
