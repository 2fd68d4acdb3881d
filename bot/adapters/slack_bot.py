"""Posting and receiving commands as a Slack app, on slack-bolt's AsyncApp.

Two ways in for commands, picked by configuration: Socket Mode when an app-level token is
set (no public URL needed), otherwise Slack's HTTP requests, verified by bolt against the
signing secret and served by the bot's own aiohttp web server (`add_routes`). Posting is
the same either way: chat.postMessage with the renderer's body, carrying our idempotency
key as message metadata so a delivery can be found again after a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import LOOKBACK_MARGIN, Adapter, Receipt, RejectedPayloadError, guarded
from bot.adapters.slack_common import BoundedRateLimitRetryHandler, translate
from bot.models import Platform
from bot.render.message import RenderedMessage

DEFAULT_API_BASE = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
METADATA_EVENT_TYPE = "papers_bot_delivery"
HISTORY_PAGE = 200
UPDATABLE = frozenset({"text", "blocks"})
"""What chat.update takes of a chat.postMessage body."""


class _UnusedTokenNotice(logging.Filter):
    """Drops the one bolt warning every start would log: AsyncApp reads SLACK_BOT_TOKEN
    from the environment even when handed a client, then warns that the token is unused."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


BOLT_LOG = logging.getLogger("slack_bolt.papers_bot")
"""Bolt's and Socket Mode's logger: under `slack_bolt`, so it follows the level `bot.logs`
gives libraries, and ours, so the filter below touches no one else's."""
BOLT_LOG.addFilter(_UnusedTokenNotice())


def _with_key(metadata: Any, meta: dict[str, str], key: str) -> dict[str, Any]:
    """The renderer's metadata (or ours) with the idempotency key added to its payload."""
    if isinstance(metadata, dict) and isinstance(metadata.get("event_payload"), dict):
        return {**metadata, "event_payload": {**metadata["event_payload"], "key": key}}
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {**meta, "key": key}}


class SlackBotAdapter(Adapter):
    """Command handlers (issue 6) register on `app` (e.g. `app.command("/papers")`)."""

    def __init__(
        self,
        *,
        token: str,
        session: aiohttp.ClientSession,
        api_base: str = DEFAULT_API_BASE,
        signing_secret: str | None = None,
        app_token: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._timeout = timeout
        self._app_token = app_token
        self.client = AsyncWebClient(
            token=token,
            base_url=api_base,
            session=session,
            timeout=max(int(timeout), 1),
            retry_handlers=[BoundedRateLimitRetryHandler()],
        )
        # Without a signing secret every HTTP request fails verification (never skipped).
        self.app = AsyncApp(
            name="papers-bot",
            client=self.client,
            signing_secret=signing_secret or "",
            logger=BOLT_LOG,
        )
        self._socket: AsyncSocketModeHandler | None = None
        self.bot_user_id: str | None = None

    @property
    def name(self) -> str:
        return "slack"

    async def start(self) -> None:
        """Check the token (auth.test) and, in Socket Mode, open the websocket."""
        async with guarded("slack auth.test", self._timeout, translate):
            identity = await self.client.auth_test()
        self.bot_user_id = identity.get("user_id")
        if self._app_token is not None:
            # slack-sdk's Socket Mode client owns its own aiohttp session (not configurable).
            self._socket = AsyncSocketModeHandler(self.app, self._app_token, logger=BOLT_LOG)
            async with guarded("slack socket mode", self._timeout, translate):
                await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None

    def add_routes(self, web_app: web.Application, path: str = EVENTS_PATH) -> None:
        """Serve Slack's HTTP requests (slash commands, events) from the bot's web server."""
        web_app.router.add_post(path, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Bolt verifies the signature and timestamp: failures get 401 and run no handler."""
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        body: dict[str, Any] = dict(message.body)
        if "channel" in body:
            raise RejectedPayloadError("a Slack body must not name its channel", target=target)
        if reply_to is not None and reply_to.message_id is not None:
            body["thread_ts"] = reply_to.message_id
        if idempotency_key is not None:
            body["metadata"] = _with_key(body.get("metadata"), message.meta, idempotency_key)
        async with guarded(f"slack channel {target}", self._timeout, translate):
            response = await self.client.chat_postMessage(channel=target, **body)
        return Receipt(
            platform=Platform.SLACK,
            target=target,
            message_id=str(response["ts"]),
            channel_id=str(response.get("channel", target)),
        )

    async def edit(
        self,
        target: str,
        message_id: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
    ) -> None:
        """chat.update of the message `message_id` (its ts) with the renderer's text and
        blocks; a thread reply too is named by its channel and ts. Metadata is left out,
        so the message keeps the idempotency key it was posted with; the unfurl flags are
        postMessage's only."""
        body = {k: v for k, v in message.body.items() if k in UPDATABLE}
        async with guarded(f"slack channel {target}", self._timeout, translate):
            await self.client.chat_update(channel=target, ts=message_id, **body)

    async def find_sent(
        self,
        target: str,
        message: RenderedMessage,
        idempotency_key: str,
        *,
        since: dt.datetime,
        now: dt.datetime,
        reply_to: Receipt | None = None,
    ) -> Receipt | None:
        """The message an earlier attempt posted with this key, if it landed: Slack has no
        nonce, but every send carries the key in its metadata, which the channel's history
        since the attempt returns."""
        oldest = (since - LOOKBACK_MARGIN).timestamp()
        async with guarded(f"slack channel {target}", self._timeout, translate):
            history = await self.client.conversations_history(
                channel=target,
                oldest=str(oldest),
                include_all_metadata=True,
                limit=HISTORY_PAGE,
            )
        for item in history.get("messages") or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if payload.get("key") == idempotency_key:
                return Receipt(Platform.SLACK, target, str(item["ts"]), target)
        return None
