"""The world the fake Discord keeps: ids, channels, webhooks, rate buckets, and the JSON
objects Discord answers with (shaped closely enough for discord.py to parse them)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

DISCORD_EPOCH_MS = 1_420_070_400_000
ChannelState = Literal["ok", "deleted", "forbidden"]

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class Snowflakes:
    """Increasing ids with a real timestamp part, as discord.py derives created_at from them."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


GUILD_TEXT, PUBLIC_THREAD, GUILD_FORUM, GUILD_MEDIA = 0, 11, 15, 16
FORUM_TYPES = frozenset({GUILD_FORUM, GUILD_MEDIA})
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, 12})
REQUIRE_TAG = 1 << 4
"""Forum channel flag: a post must carry a tag."""


@dataclass
class FakeChannel:
    id: int
    guild_id: int
    name: str
    state: ChannelState = "ok"
    messages: list[dict[str, Any]] = field(default_factory=list)
    type: int = GUILD_TEXT
    bot_permissions: int | None = None
    """The bot's permissions here, overwrites applied (what `app_permissions` carries);
    None lets it do everything, as in the channels tests made before permissions were
    modelled. A thread has its parent's."""
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    """A forum's tags: {id, name, moderated, emoji_id, emoji_name}."""
    flags: int = 0
    parent_id: int | None = None
    owner_id: int | None = None
    applied_tags: list[str] = field(default_factory=list)
    auto_archive_duration: int = 1440
    archived: bool = False
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def find(self, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["id"] == message_id), None)

    def to_json(self, position: int) -> dict[str, Any]:
        """The channel object Discord answers with: a thread's carries its parent, owner,
        tags and thread metadata; a forum's its tags."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "type": self.type,
            "flags": self.flags,
            "nsfw": False,
        }
        if self.is_thread:
            return data | self._thread_fields()
        data |= {"position": position, "permission_overwrites": []}
        if self.type in FORUM_TYPES:
            data |= {
                "available_tags": self.available_tags,
                "default_auto_archive_duration": 1440,
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "rate_limit_per_user": 0,
                "topic": None,
                "last_message_id": None,
            }
        return data

    def _thread_fields(self) -> dict[str, Any]:
        last = self.messages[-1]["id"] if self.messages else None
        return {
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "message_count": len(self.messages),
            "member_count": 1,
            "total_message_sent": len(self.messages),
            "applied_tags": list(self.applied_tags),
            "thread_metadata": {
                "archived": self.archived,
                "auto_archive_duration": self.auto_archive_duration,
                "archive_timestamp": self.created_at,
                "locked": False,
                "create_timestamp": self.created_at,
            },
        }


@dataclass
class FakeWebhook:
    id: int
    token: str
    channel: FakeChannel
    revoked: bool = False


ANSWER_WINDOW = 3.0
"""Seconds Discord waits for an interaction's first answer before it drops the interaction."""
TOKEN_LIFETIME = 15 * 60.0
"""Seconds an answered interaction's token stays valid for follow-ups and edits."""
EPHEMERAL, LOADING = 1 << 6, 1 << 7


@dataclass
class InteractionAnswers:
    """What one interaction has shown its user: the original answer (a message, or the
    "thinking" message of a deferral until the first follow-up replaces it) and any
    further follow-ups."""

    token: str
    created_at: float
    acknowledged: bool = False
    original: dict[str, Any] | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)

    def open_for_first_answer(self, at: float) -> bool:
        return at - self.created_at <= ANSWER_WINDOW

    def token_valid(self, at: float) -> bool:
        return self.acknowledged and at - self.created_at <= TOKEN_LIFETIME

    @property
    def thinking(self) -> bool:
        return self.original is not None and bool(self.original["flags"] & LOADING)

    @property
    def visible(self) -> list[dict[str, Any]]:
        """The messages the user reads (a thinking message is not an answer)."""
        shown = [] if self.original is None or self.thinking else [self.original]
        return shown + self.extra

    def find(self, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original":
            return self.original
        found = [m for m in [self.original, *self.extra] if m and m["id"] == message_id]
        return found[0] if found else None


@dataclass
class Bucket:
    """A fixed-window counter with the numbers Discord puts in X-RateLimit-* headers."""

    name: str
    limit: int
    window: float
    count: int = 0
    reset_at: float = 0.0

    def hit(self) -> float | None:
        """Count one request; seconds to wait if it is over the limit, else None."""
        now = time.monotonic()
        if now >= self.reset_at:
            self.count, self.reset_at = 0, now + self.window
        if self.count >= self.limit:
            return self.reset_at - now
        self.count += 1
        return None

    def headers(self) -> dict[str, str]:
        reset_after = max(self.reset_at - time.monotonic(), 0.0)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }


def user_json(user_id: int, username: str, *, bot: bool = True) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username,
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def fired_mentions(body: dict[str, Any]) -> dict[str, Any]:
    """Which pings Discord would deliver for this body (only `content` can ping).

    Without `allowed_mentions` Discord parses users, roles and everyone; with it, only
    what it lists.
    """
    content = body.get("content") or ""
    allowed = body.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
    explicit_users = set((allowed or {}).get("users", []))
    explicit_roles = set((allowed or {}).get("roles", []))
    users = [u for u in _USER_MENTION.findall(content) if "users" in parse or u in explicit_users]
    roles = [r for r in _ROLE_MENTION.findall(content) if "roles" in parse or r in explicit_roles]
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    return {"users": users, "roles": roles, "everyone": everyone}


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit the fake carried out (its history) or refused."""

    channel_id: str
    message_id: str
    body: dict[str, Any]
    via: str
    """"bot" (PATCH /channels/...) or "webhook" (PATCH /webhooks/...)."""
    status: int = 200


def apply_edit(message: dict[str, Any], body: dict[str, Any]) -> None:
    """What an edit body changes in a stored message: the fields it names (null clears the
    content), and the edit's time."""
    if "content" in body:
        message["content"] = body["content"] or ""
    if "embeds" in body:
        message["embeds"] = [dict(embed, type="rich") for embed in body["embeds"] or []]
    if "allowed_mentions" in body:
        message["mention_everyone"] = fired_mentions(body)["everyone"]
    message["edited_timestamp"] = dt.datetime.now(dt.UTC).isoformat()


def message_json(
    message_id: int,
    channel: FakeChannel,
    body: dict[str, Any],
    author: dict[str, Any],
    *,
    webhook_id: int | None = None,
) -> dict[str, Any]:
    fired = fired_mentions(body)
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "type": 0,
        "author": author,
        "content": body.get("content") or "",
        "embeds": [dict(embed, type="rich") for embed in body.get("embeds") or []],
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": fired["everyone"],
        "mentions": [user_json(int(u), f"user{u}", bot=False) for u in fired["users"]],
        "mention_roles": fired["roles"],
        "attachments": [],
        "pinned": False,
        "flags": int(body.get("flags", 0)),
        "components": body.get("components", []),
    }
    if "nonce" in body:
        data["nonce"] = body["nonce"]
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if "message_reference" in body:
        data["message_reference"] = dict(body["message_reference"], channel_id=str(channel.id))
    return data
