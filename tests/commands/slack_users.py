"""The fake Slack plus the three Web API methods slash commands need and the shared fake
lacks: users.info (who is an admin), conversations.info (can the bot post here) and
chat.postEphemeral (the fallback answer). Kept here so tests/fakes/slack.py stays as its
owner wrote it; the methods answer in Slack's documented shapes and errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.slack import FakeSlack
from tests.render.validators import slack_message_violations

ADMIN = "U0FAKE0001"
"""The user `slash_command_body` sends by default: a workspace admin here."""
OWNER = "U0OWNER001"
MEMBER = "U0MEMBER01"
GUEST = "U0GUEST001"
COMMAND_CHANNEL = "C0FAKE0001"
"""The channel `slash_command_body` sends by default."""


class SlackWithUsers(FakeSlack):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.users: dict[str, dict[str, Any]] = {
            ADMIN: {"id": ADMIN, "is_admin": True, "is_owner": False},
            OWNER: {"id": OWNER, "is_admin": False, "is_owner": True, "is_primary_owner": True},
            MEMBER: {"id": MEMBER, "is_admin": False, "is_owner": False},
            GUEST: {"id": GUEST, "is_admin": False, "is_restricted": True},
        }
        self.channel_info: dict[str, dict[str, Any]] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.add_channel(COMMAND_CHANNEL)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        handlers = {
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "chat.postEphemeral": self._post_ephemeral,
        }
        handler = handlers.get(method)
        if handler is None:
            return await super()._api(request)
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.method == "POST":
            args.update(await request.post())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if (token or str(args.get("token", ""))) != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return handler(args)

    def _users_info(self, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return web.json_response({"ok": False, "error": "user_not_found"})
        full = {"team_id": self.team_id, "name": user["id"].lower(), "deleted": False, **user}
        return web.json_response({"ok": True, "user": full})

    def _conversations_info(self, args: dict[str, Any]) -> web.Response:
        channel_id = str(args.get("channel", ""))
        channel = self.channels.get(channel_id)
        if channel is None or channel.state == "deleted":
            return web.json_response({"ok": False, "error": "channel_not_found"})
        info = {
            "id": channel_id,
            "is_channel": True,
            "is_private": False,
            "is_member": True,
            "is_archived": channel.state == "is_archived",
            **self.channel_info.get(channel_id, {}),
        }
        return web.json_response({"ok": True, "channel": info})

    def _post_ephemeral(self, args: dict[str, Any]) -> web.Response:
        channel = self._channel(str(args.get("channel", "")))
        if isinstance(channel, web.Response):
            return channel
        body = {k: v for k, v in args.items() if k not in ("token",)}
        if isinstance(body.get("blocks"), str):
            body["blocks"] = json.loads(body["blocks"])
        problems = slack_message_violations(
            {k: v for k, v in body.items() if k not in ("channel", "user")}
        )
        if problems:
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems})
        self.ephemeral.append(body)
        return web.json_response({"ok": True, "message_ts": "1.000001"})
