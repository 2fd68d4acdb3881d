"""Which instance serves which Discord gateway shard, and when a shard may next identify.

Several `papers-bot run` processes on one PostgreSQL database act as one bot: each shard is
served by exactly one of them, under a lease it renews. A lease names its owner and runs
until `lease_until`; a shard whose lease ran out (its owner died or lost the database) is
free to take. Every renewal also renews the instance's row (bot.store.fleet), so each knows how many
are alive and takes no more than its fair share: shards spread over instances, and move
when one joins or leaves. Times come from the callers' clocks (instances keep them in sync
with NTP); a lease is several renewals long, so a second of skew does not matter.

On SQLite there is only ever one instance (the file is locked), and the same tables give
it every shard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Backend, Database
from bot.store.fleet import forget_instance, renew_instance
from bot.store.schema import gateway_identify, gateway_shards

_s = gateway_shards.c


@dataclass(frozen=True)
class Tenure:
    """What one renewal found: the shards still ours, the fleet's shard count, and how
    many instances are alive (this one included)."""

    owned: frozenset[int]
    shard_count: int
    live_instances: int

    @property
    def fair_share(self) -> int:
        """The most shards this instance should serve: the count spread evenly, rounded up."""
        return -(-self.shard_count // max(1, self.live_instances))


class ShardRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def agree_count(self, instance: str, wanted: int, *, now: dt.datetime) -> int:
        """The fleet's shard count. `wanted` becomes it when no other instance holds a live
        lease (the first to start, or every instance restarted together); otherwise the
        running fleet's count stands, since two counts would send a guild's events to
        two shards. Instances that start together take turns (on PostgreSQL a table lock
        that this statement's other callers wait for; SQLite writes one at a time), so
        the second finds the count the first wrote instead of writing the rows again."""
        async with self._db.write() as conn:
            if self._db.backend is Backend.POSTGRES:
                await conn.execute(sa.text("LOCK TABLE gateway_shards IN SHARE ROW EXCLUSIVE MODE"))
            current = await _shard_count(conn)
            if current == wanted:
                return wanted
            others = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(gateway_shards)
                .where(_s.owner.is_not(None), _s.owner != instance, _s.lease_until > now)
            )
            if current and others:
                return current
            await conn.execute(gateway_shards.delete())
            free = {"owner": None, "lease_until": None, "fence": 0, "updated_at": now}
            await conn.execute(
                gateway_shards.insert(), [{"shard_id": n, **free} for n in range(wanted)]
            )
            return wanted

    async def renew(self, instance: str, *, now: dt.datetime, ttl: dt.timedelta) -> Tenure:
        """Extend this instance's row and every lease it still holds; a lease that another
        instance took after it ran out is no longer ours and is not in `owned`."""
        until = now + ttl
        async with self._db.write() as conn:
            live = await renew_instance(self._db, conn, instance, now=now, ttl=ttl)
            owned = await conn.scalars(
                gateway_shards.update()
                .where(_s.owner == instance)
                .values(lease_until=until, updated_at=now)
                .returning(_s.shard_id)
            )
            return Tenure(frozenset(owned), await _shard_count(conn), live)

    async def take(
        self, instance: str, most: int, *, now: dt.datetime, ttl: dt.timedelta
    ) -> frozenset[int]:
        """Take up to `most` free shards (never leased, released, or with a lease run out),
        lowest ids first; two instances taking at once never get the same shard."""
        if most <= 0:
            return frozenset()
        async with self._db.write() as conn:
            free = (
                sa.select(_s.shard_id)
                .where(sa.or_(_s.owner.is_(None), _s.lease_until <= now))
                .order_by(_s.shard_id)
                .limit(most)
                .with_for_update(skip_locked=True)
            )
            ids = list(await conn.scalars(free))
            if not ids:
                return frozenset()
            taken = await conn.scalars(
                gateway_shards.update()
                .where(_s.shard_id.in_(ids), sa.or_(_s.owner.is_(None), _s.lease_until <= now))
                .values(owner=instance, lease_until=now + ttl, fence=_s.fence + 1, updated_at=now)
                .returning(_s.shard_id)
            )
            return frozenset(taken)

    async def release(self, instance: str, shard_ids: frozenset[int], *, now: dt.datetime) -> None:
        """Give shards back (after their connections closed), for another instance to take."""
        if not shard_ids:
            return
        async with self._db.write() as conn:
            await conn.execute(
                gateway_shards.update()
                .where(_s.owner == instance, _s.shard_id.in_(sorted(shard_ids)))
                .values(owner=None, lease_until=None, updated_at=now)
            )

    async def leave(self, instance: str, *, now: dt.datetime) -> None:
        """A clean stop: every lease released and the instance no longer counted, so the
        others take its shards at their next renewal instead of after the lease runs out."""
        async with self._db.write() as conn:
            await conn.execute(
                gateway_shards.update()
                .where(_s.owner == instance)
                .values(owner=None, lease_until=None, updated_at=now)
            )
            await forget_instance(conn, instance)

    async def owners(self, *, now: dt.datetime) -> dict[int, str | None]:
        """Each shard's live owner (None: free), for health and metrics."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(_s.shard_id, _s.owner, _s.lease_until).order_by(_s.shard_id)
            )
            return {
                shard: owner if until is not None and until > now else None
                for shard, owner, until in rows
            }

    async def claim_identify(
        self, bucket: int, *, now: dt.datetime, interval: dt.timedelta
    ) -> dt.timedelta:
        """Ask to identify a session in `bucket` now. Granted (zero returned, and `now`
        recorded) when the bucket's last identify is at least `interval` old; otherwise
        how long to wait before asking again."""
        async with self._db.write() as conn:
            await conn.execute(
                self._db.insert(gateway_identify)
                .values(bucket=bucket, last_at=now - interval)
                .on_conflict_do_nothing(index_elements=[gateway_identify.c.bucket])
            )
            _g = gateway_identify.c
            granted = await conn.execute(
                gateway_identify.update()
                .where(_g.bucket == bucket, _g.last_at <= now - interval)
                .values(last_at=now)
            )
            if granted.rowcount:
                return dt.timedelta(0)
            last = await conn.scalar(
                sa.select(gateway_identify.c.last_at).where(gateway_identify.c.bucket == bucket)
            )
            return max(dt.timedelta(0), last + interval - now) if last else interval


async def _shard_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(gateway_shards)) or 0)
