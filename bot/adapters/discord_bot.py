"""Posting as a Discord bot account through discord.py.

The client runs with the least it needs: the guilds intent only (to learn when the bot is
removed), no member or message cache, and no mention able to fire unless a body asks for it.
Sends go through discord.py's HTTP layer with the renderer's exact body, so discord.py still
handles buckets and 429s, and our own nonce with `enforce_nonce` turns a retried send into
a no-op on Discord's side.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import discord
from discord import app_commands
from discord.http import Route

from bot.adapters.base import (
    LOOKBACK_MARGIN,
    Adapter,
    Receipt,
    TargetGoneError,
    guarded,
    nonce_for,
)
from bot.adapters.discord_common import DEFAULT_API_BASE, translate
from bot.adapters.discord_gateway import PapersClient, ShardDirector, ShardedGateway
from bot.models import Platform
from bot.render.message import RenderedMessage

log = logging.getLogger(__name__)

NO_MENTIONS: dict[str, Any] = {"parse": []}
NONCE_TRUST = dt.timedelta(minutes=2)
"""Discord's nonce dedupe lasts "a few minutes"; inside this a re-send is safe by itself."""
DISCORD_EPOCH_MS = 1_420_070_400_000
HISTORY_LIMIT = 100


def snowflake_at(moment: dt.datetime) -> int:
    """The smallest message id Discord could have given at `moment`."""
    return max(0, int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def _fingerprint(body: dict[str, Any]) -> tuple[object, ...]:
    embeds = body.get("embeds") or []
    return (
        body.get("content") or "",
        tuple((e.get("title"), e.get("url"), e.get("description")) for e in embeds),
    )


def minimal_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class DiscordBotAdapter(Adapter):
    """Posts to channels by id and, with the gateway on, receives slash commands.

    Command handlers attach to `tree` before `start()`; `register_commands()` then
    publishes them. With a shard director the gateway connects after the login, on the
    shards the director chooses; posting alone (`papers-bot post`) needs no gateway.
    """

    def __init__(
        self,
        *,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        gateway_url: str | None = None,
        application_id: str | None = None,
        timeout: float = 20.0,
        shards: ShardDirector | None = None,
    ) -> None:
        self._token = token
        self._api_base = api_base.rstrip("/")
        self._gateway_url = gateway_url
        self._timeout = timeout
        self._shards = shards
        self.client = PapersClient(
            api_base=self._api_base,
            gateway_url=gateway_url,
            intents=minimal_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            application_id=int(application_id) if application_id else None,
        )
        self.tree = app_commands.CommandTree(self.client)
        self.gateway = ShardedGateway(
            self.client, api_base=self._api_base, gateway_url=gateway_url, timeout=timeout
        )

    @property
    def name(self) -> str:
        return "discord"

    async def start(self) -> None:
        async with guarded("discord login", self._timeout, translate):
            await self.client.login(self._token)
        if self._shards is not None:
            await self._shards.start(self.gateway)

    async def wait_until_ready(self, within: float) -> None:
        await self.gateway.wait_until_ready(within)

    async def stop(self) -> None:
        await self.gateway.close()
        if self._shards is not None:
            await self._shards.stop()
        if not self.client.is_closed():
            await self.client.close()

    async def register_commands(self) -> None:
        async with guarded("discord command sync", self._timeout, translate):
            await self.tree.sync()

    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        if not target.isdigit():
            raise TargetGoneError(f"{target!r} is not a Discord channel id", target=target)
        payload = dict(message.body)
        payload.setdefault("allowed_mentions", NO_MENTIONS)
        if reply_to is not None and reply_to.message_id is not None:
            payload["message_reference"] = {
                "message_id": reply_to.message_id,
                "fail_if_not_exists": False,
            }
        payload["nonce"] = nonce_for(idempotency_key)
        payload["enforce_nonce"] = True
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(target))
        async with guarded(f"discord channel {target}", self._timeout, translate):
            data = await self.client.http.request(route, json=payload)
        return Receipt(
            platform=Platform.DISCORD,
            target=target,
            message_id=str(data["id"]),
            channel_id=str(data.get("channel_id", target)),
        )

    async def edit(self, target: str, message_id: str, message: RenderedMessage) -> None:
        """PATCH the message with the renderer's whole body; content left out of it is
        cleared (null), so the message shows exactly the body."""
        if not target.isdigit() or not message_id.isdigit():
            raise TargetGoneError(
                f"{message_id!r} in {target!r} is no Discord message", target=target
            )
        payload = {"content": None, **message.body}
        payload.setdefault("allowed_mentions", NO_MENTIONS)
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=int(target),
            message_id=int(message_id),
        )
        async with guarded(f"discord channel {target}", self._timeout, translate):
            await self.client.http.request(route, json=payload)

    async def find_sent(
        self,
        target: str,
        message: RenderedMessage,
        idempotency_key: str,
        *,
        since: dt.datetime,
        now: dt.datetime,
    ) -> Receipt | None:
        """Every send carries a nonce derived from its key with `enforce_nonce`, so inside
        Discord's dedupe window a re-send returns the earlier message instead of posting a
        new one: nothing to look up. Past that window (the bot was down for long), the
        channel's messages since the attempt are read back and matched by nonce, or by
        content from our bot user."""
        if now - since <= NONCE_TRUST:
            return None
        nonce = nonce_for(idempotency_key)
        wanted = _fingerprint(message.body)
        me = self.client.user
        route = Route("GET", "/channels/{channel_id}/messages", channel_id=int(target))
        params = {"after": str(snowflake_at(since - LOOKBACK_MARGIN)), "limit": HISTORY_LIMIT}
        async with guarded(f"discord channel {target}", self._timeout, translate):
            found = await self.client.http.request(route, params=params)
        for item in found or []:
            ours = me is not None and str((item.get("author") or {}).get("id")) == str(me.id)
            if str(item.get("nonce", "")) == nonce or (ours and _fingerprint(item) == wanted):
                return Receipt(Platform.DISCORD, target, str(item["id"]), target)
        return None
