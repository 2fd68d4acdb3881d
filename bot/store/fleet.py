"""Which `papers-bot run` instances share this database now.

Every instance on a shared PostgreSQL database keeps a row in `bot_instances` alive by
renewing it well inside its time to live; an instance whose row ran out is gone. The count
of live rows is how many instances split the budgets the platforms count per bot (Discord's
global 50 requests/s, Slack's per-workspace tiers), whether or not they serve the Discord
gateway. The Discord shard leases (bot.store.shards) renew the same row in the same
transaction as the leases; `FleetRepo` renews it for instances that serve no gateway.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Database
from bot.store.schema import bot_instances

_i = bot_instances.c


def instance_name() -> str:
    """This process among the instances: host, pid and a random tail (a restarted process
    can reuse a pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


FORGET_AFTER_LEASES = 10
"""Rows of instances gone for good (no renewal for this many leases) are dropped."""


async def renew_instance(
    db: Database, conn: AsyncConnection, instance: str, *, now: dt.datetime, ttl: dt.timedelta
) -> int:
    """Keep `instance` alive until now + ttl, inside the caller's transaction; returns how
    many instances are alive (this one included)."""
    until = now + ttl
    await conn.execute(
        db.insert(bot_instances)
        .values(instance_id=instance, started_at=now, seen_until=until)
        .on_conflict_do_update(index_elements=[_i.instance_id], set_={"seen_until": until})
    )
    await conn.execute(
        bot_instances.delete().where(_i.seen_until < now - FORGET_AFTER_LEASES * ttl)
    )
    live = await conn.scalar(
        sa.select(sa.func.count()).select_from(bot_instances).where(_i.seen_until > now)
    )
    return int(live or 1)


async def forget_instance(conn: AsyncConnection, instance: str) -> None:
    """A clean stop: the instance is no longer counted."""
    await conn.execute(bot_instances.delete().where(_i.instance_id == instance))


class FleetRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def renew(self, instance: str, *, now: dt.datetime, ttl: dt.timedelta) -> int:
        """Renew this instance's row; the number of live instances."""
        async with self._db.write() as conn:
            return await renew_instance(self._db, conn, instance, now=now, ttl=ttl)

    async def leave(self, instance: str) -> None:
        async with self._db.write() as conn:
            await forget_instance(conn, instance)
