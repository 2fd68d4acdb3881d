"""The fake Discord gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME,
and a hook for tests to dispatch events (INTERACTION_CREATE for slash commands).

Sharding as Discord does it: IDENTIFY carries `shard: [id, count]` (none means [0, 1]); a
guild's events go to the sessions of shard `(guild_id >> 22) % count`, direct messages to
shard 0. A session whose count is below `required_shards` is closed with 4011, an id out
of range with 4010. At most one IDENTIFY per bucket (`shard_id % max_concurrency`) every 5
seconds: a faster one is recorded in `identify_violations` and answered with op 9 (invalid
session), as Discord answers an identify over its session start limit.

Frames are plain JSON text; discord.py only inflates binary frames, so asking for
zlib-stream compression and receiving text is fine.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_state import InteractionAnswers

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord

HELLO, HEARTBEAT, IDENTIFY, RESUME, DISPATCH, HEARTBEAT_ACK = 10, 1, 2, 6, 0, 11
INVALID_SESSION = 9
HEARTBEAT_INTERVAL_MS = 41_250
IDENTIFY_INTERVAL = 5.0
SHARDING_REQUIRED, INVALID_SHARD = 4011, 4010


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that gets a guild's events (direct messages: shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


class GatewaySession:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session_id = secrets.token_hex(16)
        self.seq = itertools.count(1)
        self.identify: dict[str, Any] | None = None
        self.client_close_code: int | None = None
        """The code of the client's close frame; None when it just dropped the connection."""
        self.shard: tuple[int, int] = (0, 1)

    def serves(self, guild_id: int | None) -> bool:
        """Whether this identified session gets the events of `guild_id`."""
        shard_id, count = self.shard
        return self.identify is not None and shard_of(guild_id, count) == shard_id

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self.ws.send_json({"op": DISPATCH, "s": next(self.seq), "t": event, "d": data})


class FakeGateway:
    """Tracks connected sessions so a test can wait for IDENTIFY and push events."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[GatewaySession] = []
        self.received: list[dict[str, Any]] = []
        self.interactions: dict[str, dict[str, Any]] = {}
        self.identified = asyncio.Event()
        self.identifies: list[tuple[float, tuple[int, int]]] = []
        """Every accepted IDENTIFY: when (monotonic) and for which [shard_id, shard_count]."""
        self.identify_violations: list[tuple[int, int]] = []
        """IDENTIFYs refused for coming too fast in their bucket."""
        self.shared_shards: list[tuple[int, int]] = []
        """Shards identified while another session of the same shard was still open."""
        self._last_identify: dict[int, float] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = GatewaySession(ws)
        self.sessions.append(session)
        try:
            await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.CLOSE:
                    session.client_close_code = int(msg.data)
                if msg.type != WSMsgType.TEXT:
                    break
                await self._on_frame(session, msg.json())
                # Tests wait on session state (identified, which shard): re-check their
                # predicates after every frame, not only after REST requests.
                await self.fake._notify()
        finally:
            self.sessions.remove(session)
            await self.fake._notify()
        return ws

    async def _on_frame(self, session: GatewaySession, frame: dict[str, Any]) -> None:
        self.received.append(frame)
        op = frame.get("op")
        if op == HEARTBEAT:
            await session.ws.send_json({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(session, frame["d"])
        elif op == RESUME:
            await session.dispatch("RESUMED", {})

    async def _identify(self, session: GatewaySession, data: dict[str, Any]) -> None:
        shard_id, count = data.get("shard") or (0, 1)
        if count < self.fake.required_shards:
            await session.ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return
        if not 0 <= shard_id < count:
            await session.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        bucket = shard_id % self.fake.max_concurrency
        now = time.monotonic()
        last = self._last_identify.get(bucket)
        if last is not None and now - last < IDENTIFY_INTERVAL:
            self.identify_violations.append((shard_id, count))
            await session.ws.send_json({"op": INVALID_SESSION, "d": False})
            return
        self._last_identify[bucket] = now
        self.identifies.append((now, (shard_id, count)))
        if any(s.identify is not None and s.shard == (shard_id, count) for s in self.sessions):
            self.shared_shards.append((shard_id, count))
        session.identify = data
        session.shard = (shard_id, count)
        guilds = [g for g in self.fake.guild_ids if shard_of(g, count) == shard_id]
        await session.dispatch("READY", self._ready(session, guilds))
        for guild_id in guilds:
            await session.dispatch("GUILD_CREATE", self._guild(guild_id))
        self.identified.set()

    def sessions_of(self, guild_id: int | None) -> list[GatewaySession]:
        """The identified sessions that receive the events of `guild_id` (None: a DM)."""
        return [s for s in self.sessions if s.serves(guild_id)]

    def _ready(self, session: GatewaySession, guilds: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.fake.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": str(self.fake.application_id), "flags": 0},
            "shard": list(session.shard),
        }

    def _guild(self, guild_id: int) -> dict[str, Any]:
        channels = [c for c in self.fake.channels.values() if c.guild_id == guild_id]
        threads = [c.to_json(0) for c in channels if c.is_thread and not c.archived]
        channels = [c for c in channels if not c.is_thread]
        return {
            "id": str(guild_id),
            "name": "Fake Guild",
            "icon": None,
            "owner_id": str(self.fake.ids.next()),
            "unavailable": False,
            "member_count": 2,
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": "0",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                }
            ],
            "emojis": [],
            "features": [],
            "channels": [c.to_json(i) for i, c in enumerate(channels)],
            "threads": threads,
            "members": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
        }

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None) -> None:
        """Send a guild's event (None: a DM's) to every session of its shard, as Discord
        does for one bot: two sessions on the same shard both get it."""
        for session in self.sessions_of(guild_id):
            await session.dispatch(event, data)

    async def inject_command(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        channel_id: int | None = None,
        interaction_type: int = 2,
        permissions: str = "2147483647",
        app_permissions: str | None = None,
        in_dm: bool = False,
    ) -> dict[str, Any]:
        """Deliver a slash-command INTERACTION_CREATE as if a user had typed it: in a guild
        channel by a member with `permissions`, or in a DM (no member, no guild). The bot's
        own permissions there (`app_permissions`) are the channel's unless given.

        Returns the interaction; its callback and followups are recorded on the fake.
        """
        fake = self.fake
        user = {
            "id": str(fake.ids.next()),
            "username": "reader",
            "discriminator": "0",
            "avatar": None,
            "global_name": "Reader",
        }
        interaction: dict[str, Any] = {
            "id": str(fake.ids.next()),
            "application_id": str(fake.application_id),
            "type": interaction_type,
            "token": secrets.token_urlsafe(32),
            "version": 1,
            "locale": "en-US",
            "app_permissions": app_permissions or "2147483647",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(fake.guild_id)},
            "attachment_size_limit": 8 * 1024 * 1024,
            "data": {"id": str(fake.ids.next()), "name": name, "type": 1, "options": options or []},
        }
        if in_dm:
            dm_channel_id = str(fake.ids.next())
            interaction |= {
                "channel_id": dm_channel_id,
                "channel": {"id": dm_channel_id, "type": 1, "recipients": [user]},
                "user": user,
                "context": 1,
            }
        else:
            channel = fake.channels[channel_id] if channel_id else fake.default_channel
            if app_permissions is None:
                granted = fake.forums.permissions(channel)
                interaction["app_permissions"] = str(2147483647 if granted is None else granted)
            interaction |= {
                "guild_id": str(channel.guild_id),
                "guild_locale": "en-US",
                "channel_id": str(channel.id),
                "channel": channel.to_json(0),
                "member": {
                    "user": user,
                    "roles": [],
                    "joined_at": "2024-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "permissions": permissions,
                    "flags": 0,
                },
                "context": 0,
            }
        self.interactions[interaction["id"]] = interaction
        fake.answers[interaction["id"]] = InteractionAnswers(interaction["token"], time.monotonic())
        guild = None if in_dm else int(interaction["guild_id"])
        await self.dispatch("INTERACTION_CREATE", interaction, guild_id=guild)
        return interaction
