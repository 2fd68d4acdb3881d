"""Posting through Slack incoming webhooks: post-only mode with no Slack app token.

An incoming webhook is bound to one channel, cannot thread and answers a bare "ok", so a
receipt carries no message id. The URL is a secret; logs name it by its middle segment
(the webhook's B... id) only.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.base import Adapter, Receipt, RejectedPayloadError, TargetGoneError, guarded
from bot.adapters.destinations import is_slack_webhook_url, webhook_label
from bot.adapters.slack_common import BoundedRateLimitRetryHandler, classify, translate
from bot.models import Platform
from bot.render.message import RenderedMessage

_NOT_FOR_WEBHOOKS = frozenset({"channel", "username", "icon_url", "icon_emoji"})
"""Incoming webhooks post as configured in Slack; these keys would be ignored or refused."""


class SlackWebhookAdapter(Adapter):
    """Sends to any incoming-webhook URL given as the target, over the shared session."""

    def __init__(self, session: aiohttp.ClientSession, *, timeout: float = 20.0) -> None:
        self._session = session
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "slack-webhook"

    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Threads and metadata do not exist here: `reply_to` posts flat in the channel."""
        if not is_slack_webhook_url(target):
            raise TargetGoneError("not a Slack incoming-webhook URL (…/services/T/B/X)")
        label = webhook_label(target)
        body: dict[str, Any] = {k: v for k, v in message.body.items() if k != "metadata"}
        refused = sorted(_NOT_FOR_WEBHOOKS & body.keys())
        if refused:
            raise RejectedPayloadError(f"an incoming webhook cannot set {refused}", target=label)
        client = AsyncWebhookClient(
            target,
            timeout=max(int(self._timeout), 1),
            session=self._session,
            retry_handlers=[BoundedRateLimitRetryHandler()],
        )
        async with guarded(label, self._timeout, translate):
            response = await client.send_dict(body)
        if response.status_code != 200:
            error = (response.body or "").strip()
            detail = f"HTTP {response.status_code} {error}"
            raise classify(response.status_code, error, detail, label, response.headers)
        return Receipt(platform=Platform.SLACK, target=label, message_id=None)
