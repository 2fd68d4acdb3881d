"""Posting through Discord channel webhooks: no bot account, no gateway, post-only.

A webhook URL is a secret (its last segment is the token), so logs and errors name a webhook
by its id only. The request goes to the host the URL names, which is how a local fake or a
proxy stands in for discord.com.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
from discord.webhook.async_ import async_context

from bot.adapters.base import (
    Adapter,
    Receipt,
    RejectedPayloadError,
    TargetGoneError,
    guarded,
)
from bot.adapters.destinations import DiscordWebhookUrl, parse_webhook_url
from bot.adapters.discord_common import RebasedWebhookAdapter, translate
from bot.models import Platform
from bot.render.forum import THREAD_NAME
from bot.render.message import RenderedMessage

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
_KNOWN_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS


def allowed_mentions_from(value: Any) -> discord.AllowedMentions:
    """The AllowedMentions a body's `allowed_mentions` object describes (none when absent)."""
    if value is None:
        return discord.AllowedMentions.none()
    if not isinstance(value, dict):
        raise RejectedPayloadError("allowed_mentions must be an object")
    parse = value.get("parse", [])
    users: bool | list[discord.Object] = "users" in parse
    roles: bool | list[discord.Object] = "roles" in parse
    if value.get("users"):
        users = [discord.Object(int(u)) for u in value["users"]]
    if value.get("roles"):
        roles = [discord.Object(int(r)) for r in value["roles"]]
    return discord.AllowedMentions(
        everyone="everyone" in parse,
        users=users,
        roles=roles,
        replied_user=bool(value.get("replied_user", False)),
    )


def send_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """discord.py `Webhook.send` arguments for a create-message body.

    Keys a webhook cannot carry are refused here rather than silently dropped.
    """
    kwargs: dict[str, Any] = {
        "allowed_mentions": allowed_mentions_from(body.get("allowed_mentions"))
    }
    for key, value in body.items():
        if key in ("content", "username", "avatar_url", "tts", "thread_name"):
            kwargs[key] = value
        elif key == "embeds":
            kwargs["embeds"] = [discord.Embed.from_dict(embed) for embed in value]
        elif key == "flags":
            if int(value) & ~_KNOWN_FLAGS:
                raise RejectedPayloadError(f"webhook flags {value} not supported")
            kwargs["suppress_embeds"] = bool(int(value) & SUPPRESS_EMBEDS)
            kwargs["silent"] = bool(int(value) & SUPPRESS_NOTIFICATIONS)
        elif key not in ("allowed_mentions", "nonce", "enforce_nonce"):
            raise RejectedPayloadError(f"a Discord webhook message cannot carry {key!r}")
    return kwargs


def edit_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """discord.py `Webhook.edit_message` arguments for a create-message body: the content
    (cleared when the body has none), the embeds and the mentions; flags cannot change."""
    kwargs = send_kwargs(body)
    return {
        "content": kwargs.get("content"),
        "embeds": kwargs.get("embeds", []),
        "allowed_mentions": kwargs["allowed_mentions"],
    }


class DiscordWebhookAdapter(Adapter):
    """Sends to any Discord webhook URL given as the target, over the shared session."""

    def __init__(self, session: aiohttp.ClientSession, *, timeout: float = 20.0) -> None:
        self._session = session
        self._timeout = timeout
        self._transports: dict[str, RebasedWebhookAdapter] = {}

    @property
    def name(self) -> str:
        return "discord-webhook"

    def _transport(self, base: str) -> RebasedWebhookAdapter:
        # One transport per base keeps discord.py's per-webhook rate-limit locks alive.
        return self._transports.setdefault(base, RebasedWebhookAdapter(base))

    @contextlib.asynccontextmanager
    async def _call(self, target: str) -> AsyncIterator[tuple[DiscordWebhookUrl, discord.Webhook]]:
        """The webhook a URL names, for one call bounded in time with its failures as ours.
        discord.py picks its webhook transport from a context variable; setting it here
        scopes our base URL to this one call instead of the whole process."""
        url = parse_webhook_url(target)
        if url is None:
            raise TargetGoneError("not a Discord webhook URL (…/webhooks/<id>/<token>)")
        webhook = discord.Webhook.partial(url.webhook_id, url.token, session=self._session)
        token = async_context.set(self._transport(url.base))
        try:
            async with guarded(url.label, self._timeout, translate):
                yield url, webhook
        except (ValueError, TypeError) as exc:  # discord.py's own checks of the arguments
            raise RejectedPayloadError(f"{url.label}: {exc}", target=url.label) from exc
        finally:
            async_context.reset(token)

    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Webhooks have no nonce and no replies: `reply_to` posts flat in the channel,
        except for a message `in_thread`, which goes into the forum post `reply_to` opened.
        A message marked with a forum post's title opens one (a webhook cannot read the
        forum's tags, so the post has none)."""
        kwargs = send_kwargs(message.body)
        if THREAD_NAME in message.meta:
            kwargs["thread_name"] = message.meta[THREAD_NAME]
        elif message.in_thread and reply_to is not None and reply_to.message_id is not None:
            kwargs["thread"] = discord.Object(int(reply_to.message_id))
        async with self._call(target) as (url, webhook):
            sent = await webhook.send(wait=True, **kwargs)
        return Receipt(
            platform=Platform.DISCORD,
            target=url.label,
            message_id=str(sent.id),
            channel_id=str(sent.channel.id) if sent.channel is not None else None,
        )

    async def edit(
        self,
        target: str,
        message_id: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
    ) -> None:
        """PATCH /webhooks/{id}/{token}/messages/{message_id}: a webhook edits what it
        posted, in the forum post's thread where `send` put it there."""
        if not message_id.isdigit():
            raise TargetGoneError(f"{message_id!r} is not a Discord message id")
        kwargs = edit_kwargs(message.body)
        if THREAD_NAME in message.meta:
            kwargs["thread"] = discord.Object(int(message_id))
        elif message.in_thread and reply_to is not None and reply_to.message_id is not None:
            kwargs["thread"] = discord.Object(int(reply_to.message_id))
        async with self._call(target) as (_url, webhook):
            await webhook.edit_message(int(message_id), **kwargs)
