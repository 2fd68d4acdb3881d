"""The delivery worker's lifecycle of an outbox row: claim, progress, outcome.

A claim takes one platform lane at a time (so a slow Slack workspace never starves
Discord), never hands out a channel's later post while an earlier one is unfinished (posts
arrive in order), skips channels whose subscription is paused, and reports what state each
row was in, because a row that was in flight when its previous owner died may already have
landed and must be reconciled before anything is re-sent. Progress and outcome updates
rewrite the payload (how far the post got).

Leases are dated once the transaction has its connection, not when the call was made: under
load a call can queue for the pool (or SQLite's write lock) for seconds, and a lease dated
before that wait is partly spent, or already over and the row taken by another instance,
by the time it is written. Every write of a claimed row is fenced by its claim count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.models import ChannelRef, Platform
from bot.store.engine import Backend, Database
from bot.store.outbox.repo import channel_of
from bot.store.rows import DeliveryKind, DeliveryState
from bot.store.schema import deliveries, subscriptions

MAX_ERROR_CHARS = 2000
Clock = Callable[[], dt.datetime]
_d = deliveries.c
_s = subscriptions.c
_OPEN = (DeliveryState.PENDING.value, DeliveryState.FAILED.value, DeliveryState.IN_FLIGHT.value)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One row now in flight for us, with where it goes and what it was before."""

    id: int
    subscription_id: int | None
    channel: ChannelRef
    kind: DeliveryKind
    item_key: str
    idempotency_key: str
    payload: dict[str, str]
    attempt: int
    """The row's claim count after this claim: every later write of ours requires it
    unchanged, so an owner whose lease ran out (and the row re-claimed by another) can no
    longer touch the row."""
    orphaned: bool
    """It was in flight under an expired lease: its owner died mid-send."""
    previous_update: dt.datetime
    """The row's last progress or outcome (claims leave it as it was): a send of this row
    whose outcome is unknown started after it."""
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
        earlier.c.platform == _d.platform,
        earlier.c.workspace_id == _d.workspace_id,
        earlier.c.channel_id == _d.channel_id,
        earlier.c.id < _d.id,
        earlier.c.state.in_(_OPEN),
    )


def _not_paused() -> sa.ColumnElement[bool]:
    """A post without a subscription, or one whose subscription is active."""
    return sa.or_(_d.subscription_id.is_(None), _s.paused.is_(False))


def _channel_key(channel: ChannelRef) -> tuple[str, str, str]:
    return (channel.platform.value, channel.workspace_id, channel.channel_id)


async def claim(
    db: Database,
    *,
    platforms: Sequence[Platform],
    limit: int,
    lease: dt.timedelta,
    clock: Clock,
    exclude: Sequence[ChannelRef] = (),
    only: Sequence[int] | None = None,
) -> list[Claimed]:
    """Up to `limit` due rows on `platforms` whose channel is not paused, oldest first, at
    most the earliest open row per channel; `exclude` are channels we are sending to, and
    `only`, when given, the rows that may be claimed."""
    if limit <= 0:
        return []
    async with db.write() as conn:
        now = clock()
        query = _claimable(db.backend, platforms, limit, now, exclude)
        if only is not None:
            query = query.where(_d.id.in_(list(only)))
        picked = (await conn.execute(query)).all()
        if not picked:
            return []
        before = {row.id: (row.state, row.updated_at) for row in picked}
        taken = deliveries.update().where(_d.id.in_(list(before)))
        updated = (
            (
                await conn.execute(
                    # `updated_at` stays the time of the row's last progress or outcome: a
                    # send whose outcome is unknown started after it, so a look-up from
                    # there finds it, however many claims (and crashes) came in between.
                    taken.values(
                        state=DeliveryState.IN_FLIGHT.value,
                        attempts=_d.attempts + 1,
                        lease_until=now + lease,
                    ).returning(*deliveries.c)
                )
            )
            .mappings()
            .all()
        )
    claimed = []
    for row in updated:
        state, previous = before[row["id"]]
        claimed.append(
            Claimed(
                id=row["id"],
                subscription_id=row["subscription_id"],
                channel=channel_of(row),
                kind=DeliveryKind(row["kind"]),
                item_key=row["item_key"],
                idempotency_key=row["idempotency_key"],
                payload=dict(row["payload"]),
                attempt=row["attempts"],
                orphaned=state == DeliveryState.IN_FLIGHT.value,
                previous_update=_aware(previous),
                next_attempt_at=_aware(row["next_attempt_at"]),
                created_at=_aware(row["created_at"]),
            )
        )
    return sorted(claimed, key=lambda c: (c.next_attempt_at, c.id))


def _claimable(
    backend: Backend,
    platforms: Sequence[Platform],
    limit: int,
    now: dt.datetime,
    exclude: Sequence[ChannelRef],
) -> sa.Select[tuple[int, str, dt.datetime]]:
    query = (
        sa.select(_d.id, _d.state, _d.updated_at)
        .outerjoin(subscriptions, _s.id == _d.subscription_id)
        .where(
            _d.state.in_(_OPEN),  # implied by _due; lets the open-rows index serve the order
            _due(now),
            _not_paused(),
            _d.platform.in_([p.value for p in platforms]),
            _nothing_earlier_open(),
        )
        .order_by(_d.next_attempt_at, _d.id)
        .limit(limit)
    )
    if exclude:
        busy = [_channel_key(channel) for channel in exclude]
        query = query.where(sa.tuple_(_d.platform, _d.workspace_id, _d.channel_id).not_in(busy))
    if backend is Backend.POSTGRES:
        # OF deliveries: the joined subscription rows stay unlocked for /pause and friends.
        query = query.with_for_update(of=deliveries, skip_locked=True)
    return query


def _aware(value: Any) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ours(claimed: Claimed) -> sa.ColumnElement[bool]:
    return sa.and_(
        _d.id == claimed.id,
        _d.state == DeliveryState.IN_FLIGHT.value,
        _d.attempts == claimed.attempt,
    )


async def _update_in_flight(
    db: Database,
    claimed: Claimed,
    values: dict[str, Any],
    *,
    renew: tuple[dt.timedelta, Clock] | None = None,
) -> bool:
    """Only a row still in flight under our claim changes: a late answer for a row someone
    re-claimed after our lease ran out is dropped rather than overwriting their progress.
    `renew` (lease, clock) also extends the lease."""
    async with db.write() as conn:
        if renew is not None:
            lease, clock = renew
            values = {**values, "lease_until": clock() + lease}
        result = await conn.execute(deliveries.update().where(_ours(claimed)).values(**values))
    return bool(result.rowcount)


async def save_progress(
    db: Database,
    claimed: Claimed,
    payload: dict[str, str],
    *,
    lease: dt.timedelta,
    clock: Clock,
) -> bool:
    return await _update_in_flight(db, claimed, {"payload": payload}, renew=(lease, clock))


async def mark_sent(
    db: Database,
    claimed: Claimed,
    payload: dict[str, str],
    *,
    message_id: str | None,
    error: str | None,
    now: dt.datetime,
) -> bool:
    return await _update_in_flight(
        db,
        claimed,
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
    claimed: Claimed,
    payload: dict[str, str],
    *,
    error: str,
    retry_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    return await _update_in_flight(
        db,
        claimed,
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
    db: Database, claimed: Claimed, payload: dict[str, str], *, error: str, now: dt.datetime
) -> bool:
    return await _update_in_flight(
        db,
        claimed,
        {
            "state": DeliveryState.DEAD.value,
            "payload": payload,
            "last_error": error[:MAX_ERROR_CHARS],
            "lease_until": None,
            "updated_at": now,
        },
    )


async def extend_leases(
    db: Database, claims: Sequence[Claimed], *, lease: dt.timedelta, clock: Clock
) -> set[int]:
    """The worker's heartbeat: rows it still holds stay its own. Returns the ids it still
    holds; any other was re-claimed by someone else after its lease ran out."""
    if not claims:
        return set()
    async with db.write() as conn:
        stmt = (
            deliveries.update()
            .where(
                sa.tuple_(_d.id, _d.attempts).in_([(c.id, c.attempt) for c in claims]),
                _d.state == DeliveryState.IN_FLIGHT.value,
            )
            .values(lease_until=clock() + lease)
            .returning(_d.id)
        )
        return set((await conn.execute(stmt)).scalars())


async def expire_leases(db: Database, *, now: dt.datetime) -> int:
    """Make every in-flight row claimable now. Only for SQLite at start-up: one process owns
    a SQLite store, so whatever is in flight belonged to a process that is gone."""
    stmt = (
        deliveries.update().where(_d.state == DeliveryState.IN_FLIGHT.value).values(lease_until=now)
    )
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return int(result.rowcount or 0)


async def oldest_open(db: Database) -> dict[Platform, dt.datetime]:
    """Per platform, when the oldest post still to land was planned: pending, failed or in
    flight, and not held by a paused subscription (that waits for a person, not for us).
    Its age is the outbox's lag: a digest planned at its post time and still open."""
    query = (
        sa.select(_d.platform, sa.func.min(_d.created_at))
        .outerjoin(subscriptions, _s.id == _d.subscription_id)
        .where(_d.state.in_(_OPEN), _not_paused())
        .group_by(_d.platform)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return {Platform(platform): _aware(oldest) for platform, oldest in rows}


async def next_due(db: Database, *, platforms: Sequence[Platform]) -> dt.datetime | None:
    """When the next row of these platforms becomes claimable, if any is waiting. A row
    queued behind its channel's unfinished post does not count: it waits for that post,
    and the worker that finishes it claims the next one (counting it made every idle
    worker re-poll every few seconds while a channel sat in backoff)."""
    waiting = sa.case(
        (_d.state == DeliveryState.IN_FLIGHT.value, _d.lease_until), else_=_d.next_attempt_at
    )
    query = (
        sa.select(sa.func.min(waiting))
        .outerjoin(subscriptions, _s.id == _d.subscription_id)
        .where(
            _d.state.in_(_OPEN),
            _not_paused(),
            _d.platform.in_([p.value for p in platforms]),
            _nothing_earlier_open(),
        )
    )
    async with db.read() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else _aware(value)
