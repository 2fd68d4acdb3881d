"""Planning outbox rows once, and reading them back.

Planning is insert-if-absent on (channel, kind, item), so any number of planners, in any
number of processes, create each post once, whether a schedule, `/digest` or `post` asked
for it. Claiming rows and recording how each attempt ended is `claims`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa

from bot.models import ChannelRef, Platform
from bot.store.engine import Database
from bot.store.rows import Delivery, DeliveryKind, DeliveryState, PlannedDelivery
from bot.store.schema import deliveries, on_channel

_t = deliveries.c


def idempotency_key(channel: ChannelRef, kind: DeliveryKind, item_key: str) -> str:
    """Stable across processes and restarts, so platforms' own dedupe (nonces) can use it."""
    parts = (channel.platform.value, channel.workspace_id, channel.channel_id, kind.value, item_key)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def channel_of(row: sa.RowMapping) -> ChannelRef:
    return ChannelRef(Platform(row["platform"]), row["workspace_id"], row["channel_id"])


def for_channel(channel: ChannelRef) -> sa.ColumnElement[bool]:
    return on_channel(deliveries, channel)


def _from_row(row: sa.RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        channel=channel_of(row),
        kind=DeliveryKind(row["kind"]),
        item_key=row["item_key"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        lease_until=row["lease_until"],
        idempotency_key=row["idempotency_key"],
        platform_message_id=row["platform_message_id"],
        last_error=row["last_error"],
        payload=dict(row["payload"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )


def _order(rows: Sequence[Delivery]) -> list[Delivery]:
    return sorted(rows, key=lambda d: (d.next_attempt_at, d.id))


class DeliveryRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def plan(
        self, items: Sequence[PlannedDelivery], *, now: dt.datetime | None = None
    ) -> set[tuple[ChannelRef, str]]:
        """Create the deliveries not planned before, in one transaction; returns the
        (channel, item) of those created now."""
        if not items:
            return set()
        now = now or dt.datetime.now(dt.UTC)
        rows = [
            {
                "subscription_id": item.subscription_id,
                "platform": item.channel.platform.value,
                "workspace_id": item.channel.workspace_id,
                "channel_id": item.channel.channel_id,
                "kind": item.kind.value,
                "item_key": item.item_key,
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": item.not_before or now,
                "idempotency_key": idempotency_key(item.channel, item.kind, item.item_key),
                "payload": item.payload,
                "created_at": now,
                "updated_at": now,
            }
            for item in items
        ]
        stmt = (
            self._db.insert(deliveries)
            .on_conflict_do_nothing()
            .returning(_t.platform, _t.workspace_id, _t.channel_id, _t.item_key)
        )
        async with self._db.write() as conn:
            created = (await conn.execute(stmt, rows)).mappings().all()
        return {(channel_of(r), r["item_key"]) for r in created}

    async def get(self, delivery_id: int) -> Delivery | None:
        async with self._db.read() as conn:
            result = await conn.execute(sa.select(deliveries).where(_t.id == delivery_id))
            row = result.mappings().first()
        return None if row is None else _from_row(row)

    async def list(
        self,
        *,
        subscription_id: int | None = None,
        channel: ChannelRef | None = None,
        state: DeliveryState | None = None,
    ) -> list[Delivery]:
        query = sa.select(deliveries).order_by(_t.id)
        if subscription_id is not None:
            query = query.where(_t.subscription_id == subscription_id)
        if channel is not None:
            query = query.where(for_channel(channel))
        if state is not None:
            query = query.where(_t.state == state.value)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_from_row(r) for r in rows]

    async def counts(self) -> dict[DeliveryState, int]:
        """Rows per state, for metrics and the health endpoint."""
        query = sa.select(_t.state, sa.func.count()).group_by(_t.state)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        found = {DeliveryState(state): int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in DeliveryState}

    async def refresh_statistics(self) -> None:
        """Let the database's planner see the outbox as it is now. After thousands of rows
        are planned at once, statistics from before make it read every due row to claim a
        few; the server's own auto-analyze would catch up only a minute or so later."""
        async with self._db.write() as conn:
            await conn.exec_driver_sql("ANALYZE deliveries")
