"""What planning and alerts read from the store: the newest digest day, what a channel
was already given, and the alert watch lists of the digests that went out.

Separate from `queries` (the worker's claims and leases): these only read, and they answer
questions about content, not about who is sending what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bot.models import SourceKind
from bot.store.engine import Database
from bot.store.rows import DeliveryKind, DeliveryState
from bot.store.schema import deliveries, digests

_d = deliveries.c


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


async def digest_planned_since(db: Database, subscription_id: int, since: dt.datetime) -> bool:
    """Whether a digest post (not a note) for this subscription was planned at or after
    `since`."""
    query = sa.select(_d.id).where(
        _d.subscription_id == subscription_id,
        _d.kind == DeliveryKind.DIGEST.value,
        _d.created_at >= since,
        ~_d.item_key.startswith("note:"),
    )
    async with db.read() as conn:
        return (await conn.execute(query.limit(1))).first() is not None


async def delivery_exists(
    db: Database, subscription_id: int, kind: DeliveryKind, item_key: str
) -> bool:
    query = sa.select(_d.id).where(
        _d.subscription_id == subscription_id, _d.kind == kind.value, _d.item_key == item_key
    )
    async with db.read() as conn:
        return (await conn.execute(query.limit(1))).first() is not None
