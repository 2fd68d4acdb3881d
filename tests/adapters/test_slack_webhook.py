"""slack-sdk's AsyncWebhookClient against the fake incoming-webhook endpoint."""

from __future__ import annotations

import aiohttp
import pytest

from bot.adapters.base import RateLimitedError, RejectedPayloadError, TargetGoneError
from bot.adapters.slack_webhook import SlackWebhookAdapter
from tests.adapters.support import slack_message
from tests.fakes.slack import FakeSlack


async def test_posts_to_the_webhook_channel(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    url = fake_slack.add_webhook()
    receipt = await SlackWebhookAdapter(session).send(url, slack_message("hi"))
    [stored] = fake_slack.default_channel.messages
    assert stored["text"] == "hi"
    assert receipt.message_id is None
    assert url.rsplit("/", 1)[-1] not in receipt.target


async def test_unknown_webhook_is_target_gone(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(TargetGoneError) as caught:
        await SlackWebhookAdapter(session).send(
            f"{fake_slack.base_url}/services/T0/B0/revoked", slack_message()
        )
    assert caught.value.status == 404


async def test_archived_channel_is_target_gone(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    url = fake_slack.add_webhook(fake_slack.add_channel("C0OLD00001", "is_archived"))
    with pytest.raises(TargetGoneError) as caught:
        await SlackWebhookAdapter(session).send(url, slack_message())
    assert caught.value.status == 410


async def test_invalid_payload_is_rejected(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    url = fake_slack.add_webhook()
    bad = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    with pytest.raises(RejectedPayloadError):
        await SlackWebhookAdapter(session).send(url, slack_message("t", blocks=bad))


async def test_429_waited_out_or_surfaced(
    fake_slack: FakeSlack, session: aiohttp.ClientSession
) -> None:
    url = fake_slack.add_webhook()
    adapter = SlackWebhookAdapter(session)
    fake_slack.rate_limit_next(1, path="/services/")
    await adapter.send(url, slack_message("after wait"))
    assert [m["text"] for m in fake_slack.default_channel.messages] == ["after wait"]
    fake_slack.rate_limit_next(120, path="/services/")
    with pytest.raises(RateLimitedError) as caught:
        await adapter.send(url, slack_message("later"))
    assert caught.value.retry_after == 120
    assert len(fake_slack.default_channel.messages) == 1
