"""Outbox statements the store's `DeliveryRepo` does not have, on the store's own tables.

Claiming here differs from `DeliveryRepo.claim_due` in three ways the worker needs: it takes
one platform lane at a time (so a slow Slack workspace never starves Discord), it never hands
out a channel's later post while an earlier one is unfinished (posts arrive in order), and it
reports what state each row was in, because a row that was in flight when its previous owner
died may already have landed and must be reconciled before anything is re-sent. Progress and
outcome updates also rewrite the payload, which the repo's `mark_*` calls do not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.models import SourceKind
from bot.store.engine import Backend, Database
from bot.store.rows import DeliveryKind, DeliveryState, Platform
from bot.store.schema import deliveries, digests, subscriptions

MAX_ERROR_CHARS = 2000
_d = deliveries.c
_s = subscriptions.c
_OPEN = (DeliveryState.PENDING.value, DeliveryState.FAILED.value, DeliveryState.IN_FLIGHT.value)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One row now in flight for us, with where it goes and what it was before."""

    id: int
    subscription_id: int
    kind: DeliveryKind
    item_key: str
    idempotency_key: str
    payload: dict[str, str]
    platform: Platform
    workspace_id: str
    channel_id: str
    orphaned: bool
    """It was in flight under an expired lease: its owner died mid-send."""
    previous_update: dt.datetime
    next_attempt_at: dt.datetime
    created_at: dt.datetime


def _due(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(
            _d.state.in_([DeliveryState.PENDING.value, DeliveryState.FAILED.value]),
            _d.next_attempt_at <= now,
        ),
        sa.and_(_d.state == DeliveryState.IN_FLIGHT.value, _d.lease_until <= now),
    )


def _nothing_earlier_open() -> sa.ColumnElement[bool]:
    earlier = deliveries.alias("earlier")
    return ~sa.exists().where(
        earlier.c.subscription_id == _d.subscription_id,
        earlier.c.id < _d.id,
        earlier.c.state.in_(_OPEN),
    )


async def claim(
    db: Database,
    *,
    platforms: Sequence[Platform],
    limit: int,
    lease: dt.timedelta,
    now: dt.datetime,
    exclude: Sequence[int] = (),
) -> list[Claimed]:
    """Up to `limit` due rows of active subscriptions on `platforms`, oldest first, at most
    the earliest open row per subscription; `exclude` are subscriptions we are sending to."""
    if limit <= 0:
        return []
    query = (
        sa.select(_d.id, _d.state, _d.updated_at)
        .join(subscriptions, _s.id == _d.subscription_id)
        .where(
            _due(now),
            _s.paused.is_(False),
            _s.platform.in_([p.value for p in platforms]),
            _nothing_earlier_open(),
        )
        .order_by(_d.next_attempt_at, _d.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(_d.subscription_id.not_in(list(exclude)))
    if db.backend is Backend.POSTGRES:
        query = query.with_for_update(of=deliveries, skip_locked=True)
    async with db.write() as conn:
        picked = (await conn.execute(query)).all()
        if not picked:
            return []
        before = {row.id: (row.state, row.updated_at) for row in picked}
        updated = (
            (
                await conn.execute(
                    deliveries.update()
                    .where(_d.id.in_(list(before)))
                    .values(
                        state=DeliveryState.IN_FLIGHT.value,
                        attempts=_d.attempts + 1,
                        lease_until=now + lease,
                        updated_at=now,
                    )
                    .returning(*deliveries.c)
                )
            )
            .mappings()
            .all()
        )
        subs = {
            row.id: row
            for row in (
                await conn.execute(
                    sa.select(_s.id, _s.platform, _s.workspace_id, _s.channel_id).where(
                        _s.id.in_({r["subscription_id"] for r in updated})
                    )
                )
            ).all()
        }
    claimed = []
    for row in updated:
        sub = subs[row["subscription_id"]]
        state, previous = before[row["id"]]
        claimed.append(
            Claimed(
                id=row["id"],
                subscription_id=row["subscription_id"],
                kind=DeliveryKind(row["kind"]),
                item_key=row["item_key"],
                idempotency_key=row["idempotency_key"],
                payload=dict(row["payload"]),
                platform=Platform(sub.platform),
                workspace_id=sub.workspace_id,
                channel_id=sub.channel_id,
                orphaned=state == DeliveryState.IN_FLIGHT.value,
                previous_update=_aware(previous),
                next_attempt_at=_aware(row["next_attempt_at"]),
                created_at=_aware(row["created_at"]),
            )
        )
    return sorted(claimed, key=lambda c: (c.next_attempt_at, c.id))


def _aware(value: Any) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def _update_in_flight(db: Database, delivery_id: int, values: dict[str, Any]) -> bool:
    """Only a row still in flight changes: a late answer for a row someone re-claimed after
    our lease ran out is dropped rather than overwriting their progress."""
    stmt = (
        deliveries.update()
        .where(_d.id == delivery_id, _d.state == DeliveryState.IN_FLIGHT.value)
        .values(**values)
    )
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return bool(result.rowcount)


async def save_progress(
    db: Database, delivery_id: int, payload: dict[str, str], *, lease_until: dt.datetime
) -> bool:
    return await _update_in_flight(
        db, delivery_id, {"payload": payload, "lease_until": lease_until}
    )


async def mark_sent(
    db: Database,
    delivery_id: int,
    payload: dict[str, str],
    *,
    message_id: str | None,
    error: str | None,
    now: dt.datetime,
) -> bool:
    return await _update_in_flight(
        db,
        delivery_id,
        {
            "state": DeliveryState.SENT.value,
            "payload": payload,
            "platform_message_id": message_id,
            "last_error": error[:MAX_ERROR_CHARS] if error else None,
            "lease_until": None,
            "sent_at": now,
            "updated_at": now,
        },
    )


async def mark_failed(
    db: Database,
    delivery_id: int,
    payload: dict[str, str],
    *,
    error: str,
    retry_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    return await _update_in_flight(
        db,
        delivery_id,
        {
            "state": DeliveryState.FAILED.value,
            "payload": payload,
            "next_attempt_at": retry_at,
            "last_error": error[:MAX_ERROR_CHARS],
            "lease_until": None,
            "updated_at": now,
        },
    )


async def mark_dead(
    db: Database, delivery_id: int, payload: dict[str, str], *, error: str, now: dt.datetime
) -> bool:
    return await _update_in_flight(
        db,
        delivery_id,
        {
            "state": DeliveryState.DEAD.value,
            "payload": payload,
            "last_error": error[:MAX_ERROR_CHARS],
            "lease_until": None,
            "updated_at": now,
        },
    )


async def extend_leases(db: Database, ids: Sequence[int], *, until: dt.datetime) -> int:
    """The worker's heartbeat: rows it still holds stay its own."""
    if not ids:
        return 0
    stmt = (
        deliveries.update()
        .where(_d.id.in_(list(ids)), _d.state == DeliveryState.IN_FLIGHT.value)
        .values(lease_until=until)
    )
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return int(result.rowcount or 0)


async def expire_leases(db: Database, *, now: dt.datetime) -> int:
    """Make every in-flight row claimable now. Only for SQLite at start-up: one process owns
    a SQLite store, so whatever is in flight belonged to a process that is gone."""
    stmt = (
        deliveries.update().where(_d.state == DeliveryState.IN_FLIGHT.value).values(lease_until=now)
    )
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return int(result.rowcount or 0)


async def next_due(db: Database, *, platforms: Sequence[Platform]) -> dt.datetime | None:
    """When the next row of these platforms becomes claimable, if any is waiting."""
    waiting = sa.case(
        (_d.state == DeliveryState.IN_FLIGHT.value, _d.lease_until), else_=_d.next_attempt_at
    )
    query = (
        sa.select(sa.func.min(waiting))
        .join(subscriptions, _s.id == _d.subscription_id)
        .where(
            _d.state.in_(_OPEN),
            _s.paused.is_(False),
            _s.platform.in_([p.value for p in platforms]),
        )
    )
    async with db.read() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else _aware(value)


async def newest_day_before(
    db: Database, sources: Sequence[SourceKind], before: dt.date
) -> dt.date | None:
    """The newest digest day strictly before `before` among `sources` (all when empty)."""
    query = sa.select(sa.func.max(digests.c.date)).where(digests.c.date < before)
    if sources:
        query = query.where(digests.c.source.in_([s.value for s in sources]))
    async with db.read() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return value if isinstance(value, dt.date) else None


@dataclass(frozen=True, slots=True)
class PostedDigest:
    subscription_id: int
    day: str
    watch: frozenset[str]
    """Papers left out for too few votes when the post went out."""


async def posted_digests(db: Database, *, since: dt.date) -> list[PostedDigest]:
    """Digest posts that went out for days from `since` on, with their alert watch lists
    (read out of the JSON payload in SQL: the rendered messages stay in the database)."""
    query = sa.select(
        _d.subscription_id, _d.payload["day"].as_string(), _d.payload["watch"].as_string()
    ).where(
        _d.kind == DeliveryKind.DIGEST.value,
        _d.state == DeliveryState.SENT.value,
        # A digest post's key is its ISO day; notes ("note:...") fall outside the range.
        _d.item_key.between(since.isoformat(), "9999-12-31"),
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        PostedDigest(sid, day or "", frozenset(k for k in (watch or "").split("\n") if k))
        for sid, day, watch in rows
    ]


async def alerted_keys(db: Database, subscription_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(subscription, paper key) pairs that already have an alert planned or sent."""
    if not subscription_ids:
        return set()
    query = sa.select(_d.subscription_id, _d.item_key).where(
        _d.kind == DeliveryKind.ALERT.value, _d.subscription_id.in_(list(subscription_ids))
    )
    async with db.read() as conn:
        return {(sid, key) for sid, key in (await conn.execute(query)).all()}


async def delivery_exists(
    db: Database, subscription_id: int, kind: DeliveryKind, item_key: str
) -> bool:
    query = sa.select(_d.id).where(
        _d.subscription_id == subscription_id, _d.kind == kind.value, _d.item_key == item_key
    )
    async with db.read() as conn:
        return (await conn.execute(query.limit(1))).first() is not None
