"""A local Slack: the Web API methods the bot calls, Socket Mode, incoming webhooks and
response_urls (five uses each, `replace_original` honoured), on one 127.0.0.1 port.

Point `AsyncWebClient(base_url=fake.api_base)` (or SLACK_API_BASE) at it. It checks tokens,
validates Block Kit limits (`invalid_blocks`), keeps messages with their metadata for
conversations.history, rate-limits chat.postMessage per channel (a token bucket: short
bursts, then about 1/s) and per workspace with real 429 + Retry-After, and answers
`channel_not_found` / `not_in_channel` / `is_archived` for channels a test marks so.
chat.update edits a message in place (Tier 3: about 50 a minute per workspace, its own
bucket), keeping its metadata unless given new; an unknown ts is `message_not_found`, a
message not posted by the bot `cant_update_message`. Every edit carried out is kept in
`edits`, every one answered with an error in `refused_edits`.

Run by hand: `python -m tests.fakes.slack [--port N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.platform_faults import FakeServer, Fault
from tests.fakes.slack_socket import FakeSocketMode
from tests.render.validators import slack_message_violations

ChannelState = Literal["ok", "not_in_channel", "is_archived", "deleted"]
TEXT_TRUNCATED_AT = 40_000
RESPONSE_URL_USES = 5
"""How many times Slack lets an app use one response_url (within 30 minutes)."""


@dataclass
class SlackChannel:
    id: str
    state: ChannelState = "ok"
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SlackEdit:
    """One chat.update the fake carried out, or refused (with its error)."""

    channel: str
    ts: str
    body: dict[str, Any]
    error: str | None = None


@dataclass
class TokenBucket:
    """Slack's "about one per second, short bursts allowed", as a refilling bucket."""

    capacity: float
    per_second: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self) -> float | None:
        """Seconds until a token is available if none is; else spends one and returns None."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens < 1:
            return (1 - self.tokens) / self.per_second
        self.tokens -= 1
        return None


class FakeSlack(FakeServer):
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
        signing_secret: str = "fake-signing-secret",
        channel_burst: int = 5,
        channel_per_second: float = 1.0,
        workspace_per_minute: int = 600,
        update_burst: int = 3,
        updates_per_minute: int = 50,
    ) -> None:
        super().__init__()
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.team_id, self.app_id = "T0FAKE0001", "A0FAKE0001"
        self.bot_user_id, self.bot_id = "U0FAKEBOT1", "B0FAKEBOT1"
        self.channels: dict[str, SlackChannel] = {}
        self.webhooks: dict[str, SlackChannel] = {}
        self.responses: list[dict[str, Any]] = []
        """Every body posted to a response_url, in order."""
        self._shown: dict[str, list[dict[str, Any]]] = {}
        self._uses: dict[str, int] = {}
        self._channel_rate = (channel_burst, channel_per_second)
        self._channel_buckets: dict[str, TokenBucket] = {}
        self._workspace = TokenBucket(workspace_per_minute, workspace_per_minute / 60)
        self._updates = TokenBucket(update_burst, updates_per_minute / 60)
        self.edits: list[SlackEdit] = []
        """Every chat.update carried out, in order."""
        self.refused_edits: list[SlackEdit] = []
        """Every chat.update answered with an error (429 included)."""
        self._ts = itertools.count(1)
        self.socket = FakeSocketMode(self.app_id)
        self.add_channel("C0PAPERS01")
        r = self.app.router
        r.add_route("*", "/api/{method}", self._api)
        r.add_post("/services/{a}/{b}/{c}", self._incoming_webhook)
        r.add_post("/response/{id}", self._response_url)
        r.add_get("/socket-mode", self.socket.handle)

    # -- arranging the world -------------------------------------------------------------
    def add_channel(self, channel_id: str, state: ChannelState = "ok") -> SlackChannel:
        channel = SlackChannel(channel_id, state)
        self.channels[channel_id] = channel
        return channel

    @property
    def default_channel(self) -> SlackChannel:
        return next(iter(self.channels.values()))

    def add_webhook(self, channel: SlackChannel | None = None) -> str:
        path = f"T0FAKE0001/B{secrets.token_hex(4).upper()}/{secrets.token_urlsafe(18)}"
        self.webhooks[path] = channel or self.default_channel
        return f"{self.base_url}/services/{path}"

    def response_url(self) -> str:
        return f"{self.base_url}/response/{secrets.token_hex(6)}"

    @property
    def api_base(self) -> str:
        return self.base_url + "/api/"

    def settings_env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_APP_TOKEN": self.app_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_BASE": self.api_base,
        }

    def all_messages(self) -> list[dict[str, Any]]:
        return [m for c in self.channels.values() for m in c.messages]

    # -- faults --------------------------------------------------------------------------
    def error_response(self, status: int) -> web.StreamResponse:
        return web.json_response({"ok": False, "error": "internal_error"}, status=status)

    def rate_limit_response(self, fault: Fault) -> web.StreamResponse:
        return self._ratelimited(fault.retry_after)

    @staticmethod
    def _ratelimited(wait: float) -> web.Response:
        headers = {"Retry-After": str(max(math.ceil(wait), 1))}
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)

    # -- Web API -------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.method == "POST":
            args.update(await request.post())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token or str(args.get("token", ""))
        method = request.match_info["method"]
        if method == "apps.connections.open":
            return self._connections_open(token)
        if token != self.bot_token:
            error = "not_authed" if not token else "invalid_auth"
            return web.json_response({"ok": False, "error": error})
        handlers = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "conversations.history": self._history,
        }
        handler = handlers.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        return handler(args)

    def _connections_open(self, token: str) -> web.Response:
        if token != self.app_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        url = f"ws://127.0.0.1:{self.port}/socket-mode?ticket={self.socket.issue_ticket()}"
        return web.json_response({"ok": True, "url": url})

    def _auth_test(self, args: dict[str, Any]) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "papers-bot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        )

    def _channel(self, channel_id: str) -> SlackChannel | web.Response:
        channel = self.channels.get(channel_id)
        if channel is None or channel.state == "deleted":
            return web.json_response({"ok": False, "error": "channel_not_found"})
        if channel.state != "ok":
            return web.json_response({"ok": False, "error": channel.state})
        return channel

    def _post_message(self, args: dict[str, Any]) -> web.Response:
        channel = self._channel(str(args.get("channel", "")))
        if isinstance(channel, web.Response):
            return channel
        bucket = self._channel_buckets.setdefault(channel.id, TokenBucket(*self._channel_rate))
        wait = self._workspace.take()
        wait = bucket.take() if wait is None else wait
        if wait is not None:
            return self._ratelimited(wait)
        body = {k: v for k, v in args.items() if k not in ("channel", "token")}
        for key in ("blocks", "metadata"):
            if isinstance(body.get(key), str):  # form-encoded callers send JSON strings
                body[key] = json.loads(body[key])
        rejected = self._rejected(body)
        if rejected is not None:
            return rejected
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {
            "type": "message",
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            **{k: v for k, v in body.items() if k != "metadata"},
            "text": str(body.get("text", ""))[:TEXT_TRUNCATED_AT],
        }
        channel.messages.append({**message, "metadata": body.get("metadata")})
        return web.json_response({"ok": True, "channel": channel.id, "ts": ts, "message": message})

    def _update_message(self, args: dict[str, Any]) -> web.Response:
        """chat.update: text and blocks replaced, the ts kept; metadata kept unless given."""
        channel_id, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        body = {k: v for k, v in args.items() if k not in ("channel", "token", "ts")}
        for key in ("blocks", "metadata"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        channel = self._channel(channel_id)
        if isinstance(channel, web.Response):
            return self._refuse_edit(channel_id, ts, body, channel)
        wait = self._updates.take()
        if wait is not None:
            return self._refuse_edit(channel_id, ts, body, self._ratelimited(wait))
        message = next((m for m in channel.messages if m["ts"] == ts), None)
        if message is None:
            refusal = web.json_response({"ok": False, "error": "message_not_found"})
            return self._refuse_edit(channel_id, ts, body, refusal)
        if message.get("user") != self.bot_user_id:
            refusal = web.json_response({"ok": False, "error": "cant_update_message"})
            return self._refuse_edit(channel_id, ts, body, refusal)
        rejected = self._rejected(body)
        if rejected is not None:
            return self._refuse_edit(channel_id, ts, body, rejected)
        for key in ("text", "blocks", "metadata"):
            if key in body:
                message[key] = body[key]
        message["edited"] = {"user": self.bot_user_id, "ts": f"{time.time():.6f}"}
        self.edits.append(SlackEdit(channel_id, ts, body))
        shown = {k: v for k, v in message.items() if k != "metadata"}
        return web.json_response(
            {"ok": True, "channel": channel_id, "ts": ts, "text": message["text"], "message": shown}
        )

    def _refuse_edit(
        self, channel: str, ts: str, body: dict[str, Any], response: web.Response
    ) -> web.Response:
        error = str(json.loads(response.text or "{}").get("error", response.status))
        self.refused_edits.append(SlackEdit(channel, ts, body, error))
        return response

    def _rejected(self, body: dict[str, Any]) -> web.Response | None:
        if not body.get("text") and not body.get("blocks"):
            return web.json_response({"ok": False, "error": "no_text"})
        problems = slack_message_violations(body)
        if not problems:
            return None
        return web.json_response(
            {
                "ok": False,
                "error": "invalid_blocks",
                "errors": problems,
                "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
            }
        )

    def _history(self, args: dict[str, Any]) -> web.Response:
        channel = self._channel(str(args.get("channel", "")))
        if isinstance(channel, web.Response):
            return channel
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        oldest = float(args.get("oldest", 0) or 0)
        limit = int(args.get("limit", 100) or 100)
        messages = []
        for stored in reversed(channel.messages):
            if float(stored["ts"]) <= oldest:
                continue
            shown = {k: v for k, v in stored.items() if k != "metadata" or with_metadata}
            if shown.get("metadata") is None:
                shown.pop("metadata", None)
            messages.append(shown)
        return web.json_response({"ok": True, "messages": messages[:limit], "has_more": False})

    # -- incoming webhooks and response_url ----------------------------------------------
    async def _incoming_webhook(self, request: web.Request) -> web.Response:
        path = "/".join(request.match_info[k] for k in ("a", "b", "c"))
        channel = self.webhooks.get(path)
        if channel is None:
            return web.Response(status=404, text="no_service")
        if channel.state == "is_archived":
            return web.Response(status=410, text="channel_is_archived")
        if channel.state != "ok":
            return web.Response(status=404, text="channel_not_found")
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        bucket = self._channel_buckets.setdefault("hook:" + path, TokenBucket(*self._channel_rate))
        wait = bucket.take()
        if wait is not None:
            headers = {"Retry-After": str(max(math.ceil(wait), 1))}
            return web.Response(status=429, text="rate_limited", headers=headers)
        if not body.get("text") and not body.get("blocks"):
            return web.Response(status=400, text="no_text")
        if slack_message_violations(body):
            return web.Response(status=400, text="invalid_blocks")
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        channel.messages.append({"type": "message", "ts": ts, "via_webhook": True, **body})
        return web.Response(text="ok")

    def visible_responses(self, response_url: str) -> list[dict[str, Any]]:
        """The messages a user reads that came through this response_url."""
        return list(self._shown.get(response_url.rsplit("/", 1)[-1], []))

    async def _response_url(self, request: web.Request) -> web.Response:
        """A message per use, at most RESPONSE_URL_USES; `replace_original` replaces the
        last message this URL posted (one posted by nothing is a new message)."""
        response_id = request.match_info["id"]
        shown = self._shown.setdefault(response_id, [])
        self._uses[response_id] = self._uses.get(response_id, 0) + 1
        if self._uses[response_id] > RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        body = await request.json()
        self.responses.append({"id": response_id, **body})
        message = {k: v for k, v in body.items() if k != "replace_original"}
        if body.get("replace_original") and shown:
            shown[-1] = message
        else:
            shown.append(message)
        return web.json_response({"ok": True})


async def _serve(port: int) -> None:
    fake = FakeSlack()
    await fake.start(port)
    print("fake Slack listening; point the bot at it with:")
    for name, value in fake.settings_env().items():
        print(f"  export {name}={value}")
    print(f"  export SLACK_WEBHOOK_URLS={fake.add_webhook()}")
    print(f"channel id to post to: {fake.default_channel.id}")
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A local fake Slack Web API.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
