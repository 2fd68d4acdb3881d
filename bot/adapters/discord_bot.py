"""Posting as a Discord bot account through discord.py.

The client runs with the least it needs: the guilds intent only (to learn when the bot is
removed), no member or message cache, and no mention able to fire unless a body asks for it.
Sends go through discord.py's HTTP layer with the renderer's exact body, so discord.py still
handles buckets and 429s, and our own nonce with `enforce_nonce` turns a retried send into
a no-op on Discord's side.

In a forum channel the renderer marks a post's first message with a title
(`bot.render.forum`): it opens a forum post, tagged with the forum's matching tags, and the
post's other messages go into that post's thread (`bot.adapters.discord_forum`).
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
    RejectedPayloadError,
    TargetGoneError,
    guarded,
    nonce_for,
)
from bot.adapters.discord_common import DEFAULT_API_BASE, answered_once, translate
from bot.adapters.discord_forum import FORUM_TYPES, PostKey, matching_tags, thread_body
from bot.adapters.discord_gateway import PapersClient, ShardDirector, ShardedGateway
from bot.models import Platform
from bot.render.forum import THREAD_NAME, THREAD_TAGS
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
        """A message marked with a forum post's title opens that post. A reply goes into
        the thread of the message it answers when the message is `in_thread` (a forum
        post's thread has its starter message's id), else it references that message."""
        if not target.isdigit():
            raise TargetGoneError(f"{target!r} is not a Discord channel id", target=target)
        payload = dict(message.body)
        payload.setdefault("allowed_mentions", NO_MENTIONS)
        if THREAD_NAME in message.meta:
            return await self._open_post(target, message, payload)
        channel = target
        if reply_to is not None and reply_to.message_id is not None:
            if message.in_thread:
                channel = reply_to.message_id
            else:
                payload["message_reference"] = {
                    "message_id": reply_to.message_id,
                    "fail_if_not_exists": False,
                }
        payload["nonce"] = nonce_for(idempotency_key)
        payload["enforce_nonce"] = True
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(channel))
        async with guarded(f"discord channel {channel}", self._timeout, translate):
            data = await self.client.http.request(route, json=payload)
        return Receipt(
            platform=Platform.DISCORD,
            target=target,
            message_id=str(data["id"]),
            channel_id=str(data.get("channel_id", channel)),
        )

    async def edit(
        self,
        target: str,
        message_id: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
    ) -> None:
        """PATCH the message with the renderer's whole body; content left out of it is
        cleared (null), so the message shows exactly the body. A message lives where
        `send` put it: a forum post's opening message in the post's thread (which has its
        id), a message `in_thread` in the thread of `reply_to`, any other in `target`."""
        channel = target
        if THREAD_NAME in message.meta:
            channel = message_id
        elif message.in_thread and reply_to is not None and reply_to.message_id is not None:
            channel = reply_to.message_id
        if not channel.isdigit() or not message_id.isdigit():
            raise TargetGoneError(
                f"{message_id!r} in {channel!r} is no Discord message", target=target
            )
        payload = {"content": None, **message.body}
        payload.setdefault("allowed_mentions", NO_MENTIONS)
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=int(channel),
            message_id=int(message_id),
        )
        async with guarded(f"discord channel {channel}", self._timeout, translate):
            await self.client.http.request(route, json=payload)

    async def _get(self, route: Route, where: str) -> Any:
        async with guarded(where, self._timeout, translate):
            return await self.client.http.request(route)

    async def _forum(self, target: str) -> dict[str, Any]:
        """The forum channel as Discord describes it now (type, guild, tags)."""
        where = f"discord channel {target}"
        route = Route("GET", "/channels/{channel_id}", channel_id=int(target))
        forum: dict[str, Any] = await self._get(route, where)
        if forum.get("type") not in FORUM_TYPES:
            raise RejectedPayloadError(
                f"{where} is not a forum (type {forum.get('type')}); "
                "/subscribe there again records what it is",
                target=target,
            )
        return forum

    async def _open_post(
        self, target: str, message: RenderedMessage, payload: dict[str, Any]
    ) -> Receipt:
        forum = await self._forum(target)
        wanted = message.meta.get(THREAD_TAGS, "").splitlines()
        tags = matching_tags(forum.get("available_tags") or [], wanted)
        body = thread_body(message.meta[THREAD_NAME], payload, tags)
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=int(target))
        async with guarded(f"discord forum {target}", self._timeout, translate):
            data = await self.client.http.request(route, json=body, raise_for_status=answered_once)
        return Receipt(Platform.DISCORD, target, str(data["id"]), str(data["id"]))

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
        """Every message carries a nonce derived from its key with `enforce_nonce`, so
        inside Discord's dedupe window a re-send returns the earlier message instead of
        posting a new one: nothing to look up. Past that window (the bot was down for
        long), the channel's (or the forum post's thread's) messages since the attempt are
        read back and matched by nonce, or by content from our bot user. Opening a forum
        post has no nonce: the post is always looked for (`_find_post`)."""
        if THREAD_NAME in message.meta:
            return await self._find_post(target, message.meta[THREAD_NAME], since)
        if now - since <= NONCE_TRUST:
            return None
        channel = target
        if message.in_thread and reply_to is not None and reply_to.message_id is not None:
            channel = reply_to.message_id
        nonce = nonce_for(idempotency_key)
        wanted = _fingerprint(message.body)
        me = self.client.user
        route = Route("GET", "/channels/{channel_id}/messages", channel_id=int(channel))
        params = {"after": str(snowflake_at(since - LOOKBACK_MARGIN)), "limit": HISTORY_LIMIT}
        async with guarded(f"discord channel {channel}", self._timeout, translate):
            found = await self.client.http.request(route, params=params)
        for item in found or []:
            ours = me is not None and str((item.get("author") or {}).get("id")) == str(me.id)
            if str(item.get("nonce", "")) == nonce or (ours and _fingerprint(item) == wanted):
                return Receipt(Platform.DISCORD, target, str(item["id"]), channel)
        return None

    async def _find_post(self, target: str, name: str, since: dt.datetime) -> Receipt | None:
        """The forum post an attempt since `since` opened: among the guild's active threads
        (where a post stays for a week), then the forum's archived ones (a moderator may
        have closed it)."""
        me = self.client.user
        if me is None:
            return None
        forum = await self._forum(target)
        where = f"discord forum {target}"
        key = PostKey(target, name, str(me.id), snowflake_at(since - LOOKBACK_MARGIN))
        guild = int(forum["guild_id"])
        active = Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild)
        found = key.find((await self._get(active, where)).get("threads") or [])
        if found is None:
            found = await self._find_closed_post(key, where)
        return None if found is None else Receipt(Platform.DISCORD, target, found, found)

    async def _find_closed_post(self, key: PostKey, where: str) -> str | None:
        """Closed posts are listed only with Read Message History: without it, none is
        found (as reading a channel's messages without it finds none)."""
        path = "/channels/{channel_id}/threads/archived/public"
        try:
            archived = await self._get(Route("GET", path, channel_id=int(key.forum_id)), where)
        except TargetGoneError as exc:
            log.info("%s: closed posts not listed (%s); taking none as there", where, exc)
            return None
        return key.find(archived.get("threads") or [])
