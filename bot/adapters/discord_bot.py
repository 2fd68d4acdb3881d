"""Posting as a Discord bot account through discord.py.

The client runs with the least it needs: the guilds intent only (to learn when the bot is
removed), no member or message cache, and no mention able to fire unless a body asks for it.
Sends go through discord.py's HTTP layer with the renderer's exact body, so discord.py still
handles buckets and 429s, and our own nonce with `enforce_nonce` turns a retried send into
a no-op on Discord's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import discord
from discord import app_commands
from discord.http import Route
from discord.webhook.async_ import async_context

from bot.adapters.base import (
    LOOKBACK_MARGIN,
    Adapter,
    Receipt,
    TargetGoneError,
    guarded,
    nonce_for,
)
from bot.adapters.discord_common import (
    DEFAULT_API_BASE,
    MAX_RATELIMIT_WAIT,
    RebasedHTTPClient,
    RebasedWebhookAdapter,
    translate,
)
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


class PapersClient(discord.Client):
    """A discord.Client whose REST and gateway traffic goes to configured URLs."""

    http: RebasedHTTPClient

    def __init__(self, *, api_base: str, gateway_url: str | None, **options: Any) -> None:
        # discord.py warns once per process that voice needs PyNaCl and davey, through
        # these two flags; the bot never joins a voice channel, so there is nothing to warn.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(**options)
        self.http = RebasedHTTPClient(
            self.loop,
            api_base=api_base,
            gateway_url=gateway_url,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        )
        # The connection state was handed the stock HTTP client in super().__init__.
        self._connection.http = self.http


def minimal_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class DiscordBotAdapter(Adapter):
    """Posts to channels by id and, with the gateway on, receives slash commands.

    Command handlers (issue 6) attach to `tree` before `start()`; `register_commands()`
    then publishes them. Posting alone (`papers-bot post`) needs no gateway connection.
    """

    def __init__(
        self,
        *,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        gateway_url: str | None = None,
        application_id: str | None = None,
        timeout: float = 20.0,
        connect_gateway: bool = True,
    ) -> None:
        self._token = token
        self._api_base = api_base.rstrip("/")
        self._gateway_url = gateway_url
        self._timeout = timeout
        self._connect_gateway = connect_gateway
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
        self._gateway_task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return "discord"

    async def start(self) -> None:
        async with guarded("discord login", self._timeout, translate):
            await self.client.login(self._token)
        if not self._connect_gateway:
            return
        if self._gateway_url is None and self._api_base != DEFAULT_API_BASE:
            # A proxy or fake API knows where its gateway is; the public default needs no call.
            async with guarded("discord gateway lookup", self._timeout, translate):
                _, url, _ = await self.client.http.get_bot_gateway()
            self.client.http.gateway_url = url
        self._gateway_task = asyncio.create_task(self._run_gateway(), name="discord-gateway")

    async def _run_gateway(self) -> None:
        # Interaction responses go through discord.py's webhook transport, chosen by a
        # context variable. Event handlers run in tasks spawned from this one and inherit
        # its context, so setting it here routes their replies to our API base only.
        async_context.set(RebasedWebhookAdapter(self._api_base))
        try:
            await self.client.connect(reconnect=True)
        except Exception:
            log.exception("discord gateway connection ended with an error")

    async def wait_until_ready(self, within: float) -> None:
        """Wait for on_ready; the gateway task's own failure ends the wait early."""
        if self._gateway_task is None:
            raise RuntimeError("the gateway is not connected (connect_gateway=False)")
        ready = asyncio.ensure_future(self.client.wait_until_ready())
        async with asyncio.timeout(within):
            await asyncio.wait({ready, self._gateway_task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise ConnectionError("the Discord gateway closed before the client was ready")

    async def stop(self) -> None:
        # Cancel the gateway reader first: discord.py then closes with 1000 (session over);
        # closing the client while the reader runs sends 4000, which Discord keeps resumable
        # and so shows the bot online for a while after it has gone.
        if self._gateway_task is not None:
            self._gateway_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gateway_task
            self._gateway_task = None
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
