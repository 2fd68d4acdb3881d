"""A local Discord: the REST API (v10) and the gateway on one 127.0.0.1 port.

The real discord.py client logs in to it, connects its gateway, posts and edits messages
(as the bot and through webhooks, keeping every edit in `edits`), syncs commands and
answers interactions (the first answer accepted once and only within 3 seconds,
follow-ups and edits through the token for 15 minutes after). It
enforces the documented message limits (400 with Discord's error shape), nonce dedupe,
per-channel / per-webhook and global rate buckets, and a per-channel bucket of its own for
message edits (429 with `Via` and a JSON `retry_after`, which discord.py needs to retry),
and answers 403/404 for channels a test marks forbidden or deleted. An edit of an unknown
message is 404 (10008), of someone else's message 403 (50005); every edit answered with an
error is also kept in `refused_edits`. Forum channels, their posts (threads) and the bot's
permissions in a channel are `tests.fakes.discord_forum`.

Run by hand: `python -m tests.fakes.discord [--port N]` prints the settings to point the bot
at it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import time
from typing import Any

from aiohttp import web

from tests.fakes.discord_forum import ForumApi
from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_state import (
    EPHEMERAL,
    GUILD_FORUM,
    GUILD_MEDIA,
    LOADING,
    Bucket,
    Edit,
    FakeChannel,
    FakeWebhook,
    InteractionAnswers,
    Snowflakes,
    apply_edit,
    message_json,
    user_json,
)
from tests.fakes.platform_faults import ARRIVED_AT, FakeServer, Fault
from tests.render.validators import discord_message_violations

API = "/api/v10"
VIA = "1.1 google"
NONCE_WINDOW = 300.0
CHANNEL_MESSAGE, DEFERRED = 4, 5
"""Interaction callback types that answer with a message (or, deferred, a thinking one)."""


def jsonify(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the bare content type: discord.py parses a body only when the header is
    exactly `application/json`, as Discord sends it."""
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=headers)
    response.headers["Content-Type"] = "application/json"
    return response


def discord_error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return jsonify({"message": message, "code": code, **extra}, status=status)


class FakeDiscord(FakeServer):
    """State is plain attributes so tests can read what the bot did and arrange the world."""

    def __init__(
        self,
        *,
        token: str = "fake-discord-token",
        channel_limit: tuple[int, float] = (5, 5.0),
        webhook_limit: tuple[int, float] = (5, 2.0),
        global_limit: tuple[int, float] = (50, 1.0),
        edit_limit: tuple[int, float] = (5, 5.0),
        required_shards: int = 1,
        max_concurrency: int = 1,
    ) -> None:
        super().__init__()
        self.token = token
        self.ids = Snowflakes()
        self.bot_user = user_json(self.ids.next(), "papers-bot")
        self.application_id = self.ids.next()
        self.guild_id = self.ids.next()
        self.guild_ids: list[int] = [self.guild_id]
        self.required_shards = required_shards
        """The shard count `GET /gateway/bot` recommends; fewer gets a session closed (4011)."""
        self.max_concurrency = max_concurrency
        self.channels: dict[int, FakeChannel] = {}
        self.webhooks: dict[int, FakeWebhook] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.interaction_responses: list[dict[str, Any]] = []
        """Every first answer accepted (the interaction callback's body)."""
        self.refused_answers: list[str] = []
        """The interaction of every second first answer, refused with 40060."""
        self.followups: list[dict[str, Any]] = []
        self.answers: dict[str, InteractionAnswers] = {}
        """What each injected interaction has shown its user, by interaction id."""
        self._nonces: dict[str, tuple[float, dict[str, Any]]] = {}
        self._channel_limit = channel_limit
        self._webhook_limit = webhook_limit
        self._edit_limit = edit_limit
        self.edits: list[Edit] = []
        """Every edit carried out, in order (the messages' edit history)."""
        self.refused_edits: list[Edit] = []
        """Every edit answered with an error (4xx, 429), with its status."""
        self._buckets: dict[str, Bucket] = {}
        self._global = Bucket("global", *global_limit)
        self.gateway = FakeGateway(self)
        self.forums = ForumApi(self)
        self.add_channel("papers")
        self._routes()

    # -- arranging the world -------------------------------------------------------------
    def add_guild(self, *, shard: tuple[int, int] | None = None) -> int:
        """Another guild the bot is in (each guild has its own channels); with `shard`
        ([shard_id, shard_count]) one whose events go to that shard."""
        guild_id = self.ids.next()
        if shard is not None:
            shard_id, count = shard
            ms = guild_id >> 22
            ms += (shard_id - ms) % count
            guild_id = (ms << 22) | (guild_id & 0x3FFFFF)
        self.guild_ids.append(guild_id)
        return guild_id

    def add_channel(self, name: str, guild_id: int | None = None) -> FakeChannel:
        channel = FakeChannel(self.ids.next(), guild_id or self.guild_id, name)
        self.channels[channel.id] = channel
        return channel

    def add_forum(
        self,
        name: str,
        tags: tuple[str, ...] = (),
        *,
        guild_id: int | None = None,
        media: bool = False,
        flags: int = 0,
        moderated: tuple[str, ...] = (),
    ) -> FakeChannel:
        """A forum channel (a media channel with `media`) with a tag per name in `tags`
        (those also in `moderated` only for members with Manage Threads)."""
        forum = self.add_channel(name, guild_id)
        forum.type = GUILD_MEDIA if media else GUILD_FORUM
        forum.flags = flags
        forum.available_tags = [
            {
                "id": str(self.ids.next()),
                "name": tag,
                "moderated": tag in moderated,
                "emoji_id": None,
                "emoji_name": None,
            }
            for tag in tags
        ]
        return forum

    def posts_in(self, forum: FakeChannel) -> list[FakeChannel]:
        """The forum's posts (threads), oldest first."""
        return [c for c in self.channels.values() if c.parent_id == forum.id]

    @property
    def default_channel(self) -> FakeChannel:
        return next(iter(self.channels.values()))

    def add_webhook(self, channel: FakeChannel | None = None) -> str:
        """A webhook URL on this fake, shaped like https://discord.com/api/webhooks/ID/TOKEN."""
        hook = FakeWebhook(
            self.ids.next(), secrets.token_urlsafe(24), channel or self.default_channel
        )
        self.webhooks[hook.id] = hook
        return f"{self.base_url}/api/webhooks/{hook.id}/{hook.token}"

    @property
    def api_base(self) -> str:
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def settings_env(self) -> dict[str, str]:
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_APPLICATION_ID": str(self.application_id),
        }

    def all_messages(self) -> list[dict[str, Any]]:
        return [m for c in self.channels.values() for m in c.messages]

    # -- HTTP plumbing -------------------------------------------------------------------
    def _routes(self) -> None:
        r = self.app.router
        for prefix in (API, "/api"):
            r.add_post(prefix + "/webhooks/{webhook_id}/{token}", self._execute_webhook)
            r.add_patch(prefix + "/webhooks/{app}/{token}/messages/@original", self._edit_original)
            r.add_get(
                prefix + "/webhooks/{app}/{token}/messages/{message}", self._get_interaction_message
            )
            r.add_patch(
                prefix + "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                self._edit_webhook_message,
            )
        r.add_get(API + "/users/@me", self._authed(self._me))
        r.add_get(API + "/oauth2/applications/@me", self._authed(self._application))
        r.add_get(API + "/gateway", self._gateway_info)
        r.add_get(API + "/gateway/bot", self._authed(self._gateway_info))
        r.add_post(API + "/channels/{channel_id}/messages", self._authed(self._create_message))
        r.add_get(API + "/channels/{channel_id}/messages", self._authed(self._list_messages))
        r.add_patch(
            API + "/channels/{channel_id}/messages/{message_id}", self._authed(self._edit_message)
        )
        r.add_put(API + "/applications/{app}/commands", self._authed(self._put_commands))
        r.add_get(API + "/applications/{app}/commands", self._authed(self._get_commands))
        guild_commands = API + "/applications/{app}/guilds/{guild}/commands"
        r.add_put(guild_commands, self._authed(self._put_commands))
        r.add_get(guild_commands, self._authed(self._get_commands))
        r.add_post(API + "/interactions/{id}/{token}/callback", self._interaction_callback)
        r.add_get("/gateway", self.gateway.handle)
        self.forums.add_routes(r)

    def _authed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Bot {self.token}":
                return discord_error(401, 0, "401: Unauthorized")
            return await handler(request)  # type: ignore[no-any-return]

        return check

    def error_response(self, status: int) -> web.StreamResponse:
        known = {
            403: (50001, "Missing Access"),
            404: (10003, "Unknown Channel"),
            400: (50035, "Invalid Form Body"),
        }
        code, message = known.get(status, (0, f"{status}: Server Error"))
        response = discord_error(status, code, message)
        response.headers["Via"] = VIA
        return response

    def rate_limit_response(self, fault: Fault) -> web.StreamResponse:
        return self._too_many(fault.retry_after, is_global=fault.is_global)

    def _too_many(
        self, retry_after: float, *, is_global: bool, bucket: Bucket | None = None
    ) -> web.Response:
        response = jsonify(
            {
                "message": "You are being rate limited.",
                "retry_after": round(retry_after, 3),
                "global": is_global,
                "code": 0,
            },
            status=429,
        )
        response.headers.update(bucket.headers() if bucket else {})
        response.headers["Via"] = VIA
        response.headers["Retry-After"] = str(max(int(retry_after + 0.999), 1))
        response.headers["X-RateLimit-Scope"] = "global" if is_global else "user"
        if is_global:
            response.headers["X-RateLimit-Global"] = "true"
        return response

    def _limited(self, key: str, limit: tuple[int, float]) -> tuple[Bucket, web.Response | None]:
        wait = self._global.hit()
        bucket = self._buckets.setdefault(key, Bucket(key.split(":", maxsplit=1)[0], *limit))
        if wait is not None:
            return bucket, self._too_many(wait, is_global=True)
        wait = bucket.hit()
        if wait is not None:
            return bucket, self._too_many(wait, is_global=False, bucket=bucket)
        return bucket, None

    # -- REST handlers -------------------------------------------------------------------
    async def _me(self, request: web.Request) -> web.Response:
        return jsonify(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return jsonify(
            {
                "id": str(self.application_id),
                "name": "papers-bot",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user_json(self.ids.next(), "owner", bot=False),
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self.bot_user,
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return jsonify(
            {
                "url": self.gateway_url,
                "shards": self.required_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    def _channel(self, request: web.Request) -> FakeChannel | web.Response:
        raw = request.match_info["channel_id"]
        channel = self.channels.get(int(raw)) if raw.isdigit() else None
        if channel is None or channel.state == "deleted":
            return discord_error(404, 10003, "Unknown Channel")
        if channel.state == "forbidden":
            return discord_error(403, 50001, "Missing Access")
        return channel

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        refused = self.forums.refuse_message(channel)
        if refused is not None:
            return refused
        bucket, limited = self._limited(f"channel-messages:{channel.id}", self._channel_limit)
        if limited is not None:
            return limited
        body = await request.json()
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get(str(nonce))
            if seen is not None and time.monotonic() - seen[0] < NONCE_WINDOW:
                return jsonify(seen[1], headers=bucket.headers())
        message = message_json(self.ids.next(), channel, body, self.bot_user)
        channel.messages.append(message)
        if nonce is not None:
            self._nonces[str(nonce)] = (time.monotonic(), message)
        return jsonify(message, headers=bucket.headers())

    def _invalid(self, body: Any) -> web.Response | None:
        if not isinstance(body, dict):
            return discord_error(400, 50109, "The request body contains invalid JSON.")
        if len(str(body.get("nonce", ""))) > 25:
            return discord_error(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "nonce": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": "Must be 25 or fewer in length.",
                            }
                        ]
                    }
                },
            )
        problems = discord_message_violations(body)
        if not problems:
            return None
        errors = {"_errors": [{"code": "BASE_TYPE_BAD", "message": p} for p in problems]}
        return discord_error(400, 50035, "Invalid Form Body", errors=errors)

    async def _list_messages(self, request: web.Request) -> web.Response:
        """A channel's messages, newest first; the read counts in the bot's global budget
        (in its own per-route bucket, which reads never come near)."""
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        wait = self._global.hit()
        if wait is not None:
            return self._too_many(wait, is_global=True)
        if not self.forums.readable(channel):
            return jsonify([])
        return jsonify(list(reversed(channel.messages)))

    async def _edit_message(self, request: web.Request) -> web.Response:
        """PATCH /channels/{channel}/messages/{message}: the bot edits one of its messages
        (the same body rules as creating one), in the channel's edit bucket."""
        found = self._channel(request)
        if isinstance(found, web.Response):
            return self._refuse_edit(request, found, "bot")
        channel = found
        bucket, limited = self._limited(f"channel-edits:{channel.id}", self._edit_limit)
        if limited is not None:
            return self._refuse_edit(request, limited, "bot")
        message = channel.find(request.match_info["message_id"])
        if message is None:
            return self._refuse_edit(request, discord_error(404, 10008, "Unknown Message"), "bot")
        if message["author"]["id"] != self.bot_user["id"]:
            refusal = discord_error(403, 50005, "Cannot edit a message authored by another user")
            return self._refuse_edit(request, refusal, "bot")
        return await self._carry_out_edit(request, message, "bot", bucket)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        """PATCH /webhooks/{id}/{token}/messages/{message}[?thread_id=]: a webhook edits
        what it posted, in its channel or in a post of its forum."""
        raw_id, token = request.match_info["webhook_id"], request.match_info["token"]
        hook = self.webhooks.get(int(raw_id)) if raw_id.isdigit() else None
        if hook is None or hook.revoked:
            return self._refuse_edit(
                request, discord_error(404, 10015, "Unknown Webhook"), "webhook"
            )
        if not secrets.compare_digest(hook.token, token):
            refusal = discord_error(401, 50027, "Invalid Webhook Token")
            return self._refuse_edit(request, refusal, "webhook")
        bucket, limited = self._limited(f"webhook-edits:{hook.id}", self._webhook_limit)
        if limited is not None:
            return self._refuse_edit(request, limited, "webhook")
        where: FakeChannel | None = hook.channel
        raw = request.query.get("thread_id")  # a message in one of its forum's posts
        if raw is not None:
            where = self.channels.get(int(raw)) if raw.isdigit() else None
            if where is None or where.parent_id != hook.channel.id:
                refusal = discord_error(404, 10003, "Unknown Channel")
                return self._refuse_edit(request, refusal, "webhook")
        message = where.find(request.match_info["message_id"]) if where else None
        if message is None or message.get("webhook_id") != str(hook.id):
            return self._refuse_edit(
                request, discord_error(404, 10008, "Unknown Message"), "webhook"
            )
        return await self._carry_out_edit(request, message, "webhook", bucket)

    async def _carry_out_edit(
        self, request: web.Request, message: dict[str, Any], via: str, bucket: Bucket
    ) -> web.Response:
        """The body's rules are a new message's (a null field is one it clears)."""
        body = await request.json()
        given = {k: v for k, v in body.items() if v is not None} if isinstance(body, dict) else body
        invalid = self._invalid(given)
        if invalid is not None:
            return self._refuse_edit(request, invalid, via, body)
        apply_edit(message, body)
        self.edits.append(Edit(message["channel_id"], message["id"], body, via))
        return jsonify(message, headers=bucket.headers())

    def _refuse_edit(
        self,
        request: web.Request,
        response: web.Response,
        via: str,
        body: dict[str, Any] | None = None,
    ) -> web.Response:
        info = request.match_info
        refused = Edit(
            info.get("channel_id", ""), info["message_id"], body or {}, via, response.status
        )
        self.refused_edits.append(refused)
        return response

    async def _execute_webhook(self, request: web.Request) -> web.StreamResponse:
        raw_id, token = request.match_info["webhook_id"], request.match_info["token"]
        if raw_id == str(self.application_id):
            return await self._followup(request)
        hook = self.webhooks.get(int(raw_id)) if raw_id.isdigit() else None
        if hook is None or hook.revoked:
            return discord_error(404, 10015, "Unknown Webhook")
        if not secrets.compare_digest(hook.token, token):
            return discord_error(401, 50027, "Invalid Webhook Token")
        bucket, limited = self._limited(f"webhook:{hook.id}", self._webhook_limit)
        if limited is not None:
            return limited
        body = await request.json()
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        author = user_json(hook.id, body.get("username") or "Papers webhook")
        where = self.forums.webhook_channel(hook, request, body)
        if isinstance(where, web.Response):
            return where
        if where is None:  # a new forum post
            tags = [str(tag) for tag in body.get("applied_tags") or []]
            _, message = self.forums.open_post(
                hook.channel, body["thread_name"], body, author, tags=tags, webhook_id=hook.id
            )
        else:
            message = message_json(self.ids.next(), where, body, author, webhook_id=hook.id)
            where.messages.append(message)
        if request.query.get("wait", "false").lower() not in ("true", "1"):
            return web.Response(status=204, headers=bucket.headers())
        return jsonify(message, headers=bucket.headers())

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        stored = []
        for command in await request.json():
            stored.append(
                dict(
                    command,
                    id=str(self.ids.next()),
                    application_id=str(self.application_id),
                    version=str(self.ids.next()),
                    type=command.get("type", 1),
                )
            )
        self.commands[scope] = stored
        return jsonify(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return jsonify(self.commands.get(request.match_info.get("guild", "global"), []))

    def visible_answers(self, interaction: dict[str, Any]) -> list[dict[str, Any]]:
        """The messages a user reads in answer to this interaction."""
        return self.answers[interaction["id"]].visible

    def _by_token(self, request: web.Request) -> InteractionAnswers | None:
        """The interaction a follow-up URL names, while its token is valid."""
        token = request.match_info["token"]
        found = next((a for a in self.answers.values() if a.token == token), None)
        if found is None or not found.token_valid(request[ARRIVED_AT]):
            return None
        return found

    def _interaction_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return message_json(
            self.ids.next(),
            self.default_channel,
            body,
            self.bot_user,
            webhook_id=self.application_id,
        )

    async def _interaction_callback(self, request: web.Request) -> web.StreamResponse:
        """The first answer: accepted once, within the window, as Discord does; a deferral
        (type 5) shows a thinking message until the first follow-up replaces it."""
        interaction = self.gateway.interactions.get(request.match_info["id"])
        answers = self.answers.get(request.match_info["id"])
        if interaction is None or answers is None or answers.token != request.match_info["token"]:
            return discord_error(404, 10062, "Unknown interaction")
        if answers.acknowledged:
            self.refused_answers.append(interaction["id"])
            return discord_error(400, 40060, "Interaction has already been acknowledged.")
        if not answers.open_for_first_answer(request[ARRIVED_AT]):
            return discord_error(404, 10062, "Unknown interaction")
        answers.acknowledged = True
        body = await request.json()
        self.interaction_responses.append({"interaction_id": interaction["id"], **body})
        data = body.get("data") or {}
        message = self._interaction_message(data)
        if body.get("type") == DEFERRED:
            message["flags"] |= LOADING
        if body.get("type") in (CHANNEL_MESSAGE, DEFERRED):
            answers.original = message
        if "with_response" not in request.query:
            return web.Response(status=204)
        return jsonify(
            {
                "interaction": {
                    "id": interaction["id"],
                    "type": interaction["type"],
                    "response_message_id": message["id"],
                    "response_message_loading": body.get("type") == DEFERRED,
                    "response_message_ephemeral": bool(int(data.get("flags", 0)) & EPHEMERAL),
                },
                "resource": {"type": body.get("type"), "message": message},
            }
        )

    async def _followup(self, request: web.Request) -> web.Response:
        """A follow-up: the first after a deferral replaces the thinking message (keeping
        its ephemeral flag), any other is a message of its own. Unknown before the first
        answer was accepted and after the token expired."""
        answers = self._by_token(request)
        if answers is None:
            return discord_error(404, 10015, "Unknown Webhook")
        body = await request.json()
        self.followups.append(body)
        original = answers.original
        if original is not None and answers.thinking:
            kept = original["flags"] & EPHEMERAL
            original.update(self._interaction_message(body), id=original["id"])
            original["flags"] |= kept
            return jsonify(original)
        message = self._interaction_message(body)
        answers.extra.append(message)
        return jsonify(message)

    async def _edit_original(self, request: web.Request) -> web.Response:
        answers = self._by_token(request)
        if answers is None:
            return discord_error(404, 10015, "Unknown Webhook")
        original = answers.original
        if original is None:
            return discord_error(404, 10008, "Unknown Message")
        body = await request.json()
        self.followups.append({"edit_original": True, **body})
        kept = original["flags"] & EPHEMERAL
        original.update(self._interaction_message(body), id=original["id"])
        original["flags"] |= kept
        return jsonify(original)

    async def _get_interaction_message(self, request: web.Request) -> web.Response:
        answers = self._by_token(request)
        if answers is None:
            return discord_error(404, 10015, "Unknown Webhook")
        found = answers.find(request.match_info["message"])
        if found is None:
            return discord_error(404, 10008, "Unknown Message")
        return jsonify(found)


async def _serve(port: int) -> None:
    fake = FakeDiscord()
    await fake.start(port)
    hook = fake.add_webhook()
    print("fake Discord listening; point the bot at it with:")
    for name, value in fake.settings_env().items():
        print(f"  export {name}={value}")
    print(f"  export DISCORD_WEBHOOK_URLS={hook}")
    print(f"channel id to post to: {fake.default_channel.id}")
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
