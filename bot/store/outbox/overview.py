"""The outbox at a glance, for the status page: what is waiting per platform and state, the
posts given up on (dead letters), and the posts sent lately.

Read-only and bounded: the backlog is a count over the open and dead rows (the state
index serves it), the lists are short and take only the columns a person reads (never
the payload, which holds every rendered message of a post). Recent posts are looked for
among the rows planned in a window of days, so the sort never reaches back over an
archive of years.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bot.models import ChannelRef, Platform
from bot.store.engine import Database
from bot.store.outbox.repo import channel_of
from bot.store.rows import DeliveryKind, DeliveryState
from bot.store.schema import deliveries

_d = deliveries.c
WAITING = (DeliveryState.PENDING, DeliveryState.IN_FLIGHT, DeliveryState.FAILED)
"""The open states: rows the worker has still to send."""


@dataclass(frozen=True, slots=True)
class StateCount:
    """The rows of one platform in one state."""

    platform: Platform
    state: DeliveryState
    rows: int
    oldest: dt.datetime
    """When the oldest of them was planned."""
    next_attempt: dt.datetime
    """The soonest any of them may be tried (for a waiting state)."""


@dataclass(frozen=True, slots=True)
class PostLine:
    """One outbox row as a person reads it."""

    channel: ChannelRef
    kind: DeliveryKind
    item_key: str
    """The digest's ISO day (or a note's key), or an alert's paper."""
    attempts: int
    last_error: str | None
    at: dt.datetime
    """When it was sent (a recent post) or given up on (a dead letter)."""


async def backlog(db: Database) -> list[StateCount]:
    """Rows waiting (pending, in flight, failed) and dead, per platform and state."""
    states = [state.value for state in (*WAITING, DeliveryState.DEAD)]
    query = (
        sa.select(
            _d.platform,
            _d.state,
            sa.func.count(),
            sa.func.min(_d.created_at),
            sa.func.min(_d.next_attempt_at),
        )
        .where(_d.state.in_(states))
        .group_by(_d.platform, _d.state)
        .order_by(_d.platform, _d.state)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        StateCount(Platform(platform), DeliveryState(state), int(n), oldest, soon)
        for platform, state, n, oldest, soon in rows
    ]


def _lines(at: sa.ColumnElement[dt.datetime]) -> sa.Select[tuple[object, ...]]:
    return sa.select(
        _d.platform,
        _d.workspace_id,
        _d.channel_id,
        _d.kind,
        _d.item_key,
        _d.attempts,
        _d.last_error,
        at.label("at"),
    )


async def _read_lines(db: Database, query: sa.Select[tuple[object, ...]]) -> list[PostLine]:
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        PostLine(
            channel=channel_of(row),
            kind=DeliveryKind(row["kind"]),
            item_key=row["item_key"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            at=row["at"],
        )
        for row in rows
    ]


async def dead_letters(db: Database, *, limit: int) -> list[PostLine]:
    """The posts given up on most lately, newest first."""
    query = (
        _lines(_d.updated_at)
        .where(_d.state == DeliveryState.DEAD.value)
        .order_by(_d.updated_at.desc(), _d.id.desc())
        .limit(limit)
    )
    return await _read_lines(db, query)


async def recent_posts(db: Database, *, since: dt.datetime, limit: int) -> list[PostLine]:
    """The posts sent most lately among those planned from `since` on, newest first."""
    query = (
        _lines(_d.sent_at)
        .where(_d.state == DeliveryState.SENT.value, _d.created_at >= since)
        .order_by(_d.sent_at.desc(), _d.id.desc())
        .limit(limit)
    )
    return await _read_lines(db, query)
