"""The bot account's gateway connection, in shards.

Discord splits a bot's guilds over shards (a guild belongs to shard `(guild_id >> 22) %
shard_count`; direct messages to shard 0), and every event of a guild, slash commands
included, reaches only the sessions of its shard. `ShardedGateway` opens and closes shard
sessions on one discord.py `AutoShardedClient`, so a process can serve any subset of the
shards and change that subset while it runs. Which shards a process serves is decided
outside the adapter, by a `ShardDirector`: `EveryShard` here for a bot that runs alone, or
the composition root's coordinator that shares them between instances (bot.sharding).

Before each IDENTIFY (a new session, or a session Discord refused to resume) discord.py
calls the client's hook, which waits on the director's `IdentifyGate`: Discord starts at
most one session per identify bucket (`shard_id % max_concurrency`) every 5 seconds for the
whole bot, and a gate that spans processes keeps several instances inside that.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord.gateway import DiscordWebSocket
from discord.webhook.async_ import async_context

from bot.adapters.base import guarded
from bot.adapters.discord_common import (
    DEFAULT_API_BASE,
    MAX_RATELIMIT_WAIT,
    RebasedHTTPClient,
    RebasedWebhookAdapter,
    translate,
)

log = logging.getLogger(__name__)

IDENTIFY_INTERVAL = 5.0 + 0.5
"""Seconds between two identifies in one bucket: Discord's session start limit (one per 5 s)
plus a margin, since Discord counts when a frame arrives, and frames travel unevenly."""

IdentifyGate = Callable[[int], Awaitable[None]]
"""Returns when shard `shard_id` may send its IDENTIFY."""


@dataclass(frozen=True)
class GatewayPlan:
    """What `GET /gateway/bot` tells the bot: the shard count Discord recommends and how
    many sessions may identify at once (one per bucket)."""

    recommended_shards: int
    max_concurrency: int


class PapersClient(discord.AutoShardedClient):
    """An AutoShardedClient whose REST and gateway traffic goes to configured URLs, and
    whose identifies wait on a gate set by the shard director."""

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
        self.identify_gate: IdentifyGate | None = None

    async def launch_shards(self) -> None:
        """`connect()` launches no shard itself: `ShardedGateway` opens each in a task of
        its own, which it can cancel when the shard is given up while still connecting.
        `connect()` still runs the loop that reconnects and re-identifies the shards."""
        self._connection.shard_count = self.shard_count
        self._connection.shard_ids = list(self.shard_ids or [])

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait on the director's gate (discord.py's own default sleeps 5 s per shard)."""
        if self.identify_gate is not None:
            await self.identify_gate(shard_id or 0)


class LocalIdentifyGate:
    """The identify rate limit kept by one process: enough when it is the only one."""

    def __init__(self, max_concurrency: int, *, interval: float = IDENTIFY_INTERVAL) -> None:
        self._buckets = max(1, max_concurrency)
        self._interval = interval
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, shard_id: int) -> None:
        bucket = shard_id % self._buckets
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            last = self._last.get(bucket)
            if last is not None:
                await asyncio.sleep(max(0.0, last + self._interval - time.monotonic()))
            self._last[bucket] = time.monotonic()


class ShardedGateway:
    """Opens and closes this process's shard sessions; reports which are served."""

    def __init__(
        self, client: PapersClient, *, api_base: str, gateway_url: str | None, timeout: float
    ) -> None:
        self._client = client
        self._api_base = api_base
        self._gateway_url = gateway_url
        self._timeout = timeout
        self._served: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._launches: dict[int, asyncio.Task[None]] = {}
        # Interaction answers go through discord.py's webhook transport, chosen by a context
        # variable. Shard readers run in tasks created inside this context and handlers in
        # tasks they spawn, so replies go to our API base only.
        self._context = contextvars.copy_context()
        self._context.run(async_context.set, RebasedWebhookAdapter(api_base))

    @property
    def shard_count(self) -> int | None:
        return self._client.shard_count

    def served(self) -> frozenset[int]:
        return frozenset(self._served)

    def latencies(self) -> dict[int, float]:
        """Heartbeat round trip per served shard, in seconds (NaN before the first ack)."""
        return {
            shard_id: info.latency
            for shard_id, info in self._client.shards.items()
            if shard_id in self._served
        }

    async def plan(self) -> GatewayPlan:
        async with guarded("discord gateway lookup", self._timeout, translate):
            shards, url, limits = await self._client.http.get_bot_gateway()
        if self._gateway_url is None and self._api_base != DEFAULT_API_BASE:
            # A proxy or fake API knows where its gateway is; the public default needs none.
            self._client.http.gateway_url = url
        return GatewayPlan(max(1, int(shards)), max(1, int(limits.get("max_concurrency", 1))))

    async def serve(self, shard_count: int, shard_ids: Collection[int], gate: IdentifyGate) -> None:
        """Open sessions for `shard_ids` that are not open yet. The count is fixed by the
        first call; later calls add shards (after another instance left, say). Each shard
        connects in its own task; its identify waits on `gate`."""
        client = self._client
        client.identify_gate = gate
        new = sorted(set(shard_ids) - self._served)
        if not new:
            return
        if client.shard_count is None:
            client.shard_count = shard_count
        elif shard_count != client.shard_count:
            raise ValueError(f"serving {client.shard_count} shards, asked for {shard_count}")
        self._served.update(new)
        self._remember_served()
        if self._task is None:
            self._task = asyncio.create_task(
                self._connect(), name="discord-gateway", context=self._context
            )
        for shard_id in new:
            launch = client.launch_shard(DiscordWebSocket.DEFAULT_GATEWAY, shard_id)
            self._launches[shard_id] = asyncio.create_task(
                launch, name=f"discord-shard-{shard_id}", context=self._context
            )

    async def drop(self, shard_id: int) -> None:
        """Close one shard's session (code 1000: the session ends, nothing resumes it), or
        stop it connecting."""
        self._served.discard(shard_id)
        self._remember_served()
        launch = self._launches.pop(shard_id, None)
        if launch is not None and not launch.done():
            launch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await launch
            return
        info = self._client.get_shard(shard_id)
        if info is not None:
            await info.disconnect()

    def _remember_served(self) -> None:
        # discord.py's ready bookkeeping counts the shards it was told it serves.
        self._client.shard_ids = sorted(self._served)
        self._client._connection.shard_ids = sorted(self._served)

    async def _connect(self) -> None:
        try:
            await self._client.connect(reconnect=True)
        except discord.ConnectionClosed as exc:
            log.error("discord gateway closed the connection: %s", _closed_reason(exc))
        except Exception:
            log.exception("discord gateway connection ended with an error")

    async def wait_until_ready(self, within: float) -> None:
        """Wait until the first shards are ready; the connection's own end stops the wait."""
        if self._task is None:
            raise RuntimeError("no shard is served yet")
        ready = asyncio.ensure_future(self._client.wait_until_ready())
        async with asyncio.timeout(within):
            await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise ConnectionError("the Discord gateway closed before the client was ready")

    async def close(self) -> None:
        """Cancel the connection first: discord.py then closes each session with 1000
        (session over); closing the client while the readers run sends 4000, which Discord
        keeps resumable, and so shows the bot online for a while after it has gone."""
        launches = [task for task in self._launches.values() if not task.done()]
        for task in launches:
            task.cancel()
        await asyncio.gather(*launches, return_exceptions=True)
        self._launches.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._served.clear()


def _closed_reason(exc: discord.ConnectionClosed) -> str:
    if exc.code == 4011:
        return "4011: the bot is in too many guilds for this shard count; set DISCORD_SHARD_COUNT"
    if exc.code == 4010:
        return "4010: invalid shard (DISCORD_SHARD_COUNT too small for the running instances?)"
    return f"{exc.code}: {exc.reason or 'no reason given'}"


class ShardDirector(Protocol):
    """Decides which shards this process serves: `start` opens the first ones (and may keep
    changing them while the bot runs); `stop` runs after every session closed."""

    async def start(self, gateway: ShardedGateway) -> None: ...

    async def stop(self) -> None: ...


class EveryShard:
    """The director of a bot that runs alone: every shard, from `DISCORD_SHARD_COUNT` or
    Discord's recommendation, identified no faster than Discord allows."""

    def __init__(self, shard_count: int | None = None) -> None:
        self._shard_count = shard_count

    async def start(self, gateway: ShardedGateway) -> None:
        plan = await gateway.plan()
        count = self._shard_count or plan.recommended_shards
        await gateway.serve(count, range(count), LocalIdentifyGate(plan.max_concurrency))

    async def stop(self) -> None:
        return None
