"""What a channel was already given: posted digests with their alert watch lists, alerts
planned, the papers its posts carry, and whether a post exists. These only read; the planner
and the alerts ask them before they plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bot.models import ChannelRef
from bot.store.engine import Database
from bot.store.outbox.repo import channel_of, for_channel
from bot.store.rows import DeliveryKind, DeliveryState
from bot.store.schema import deliveries

_d = deliveries.c
NOTE_PREFIX = "note:"
"""Item keys of "nothing new" notes; a digest post's key is its ISO day."""


@dataclass(frozen=True, slots=True)
class PostedDigest:
    subscription_id: int
    day: str
    watch: frozenset[str]
    """Papers left out for too few votes when the post went out."""
    papers: frozenset[str] = frozenset()
    """Papers the post carried as cards."""


async def posted_digests(db: Database, *, since: dt.date) -> list[PostedDigest]:
    """Subscriptions' digest posts that went out for days from `since` on, with their alert
    watch lists and their papers (read out of the JSON payload in SQL: the rendered
    messages stay in the database)."""
    query = sa.select(
        _d.subscription_id,
        _d.payload["day"].as_string(),
        _d.payload["watch"].as_string(),
        _d.payload["papers"].as_string(),
    ).where(
        _d.subscription_id.is_not(None),
        _d.kind == DeliveryKind.DIGEST.value,
        _d.state == DeliveryState.SENT.value,
        # Notes ("note:...") sort after every ISO day, so they fall outside the range.
        _d.item_key.between(since.isoformat(), "9999-12-31"),
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        PostedDigest(sid, day or "", _keys(watch), _keys(papers))
        for sid, day, watch, papers in rows
    ]


def _keys(joined: str | None) -> frozenset[str]:
    return frozenset(k for k in (joined or "").split("\n") if k)


async def alerted_keys(db: Database, subscription_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(subscription, paper key) pairs that already have an alert planned or sent."""
    if not subscription_ids:
        return set()
    query = sa.select(_d.subscription_id, _d.item_key).where(
        _d.kind == DeliveryKind.ALERT.value, _d.subscription_id.in_(list(subscription_ids))
    )
    async with db.read() as conn:
        return {(sid, key) for sid, key in (await conn.execute(query)).all()}


async def digest_channels_since(db: Database, since: dt.datetime) -> set[ChannelRef]:
    """The channels with a digest post (not a note) planned at or after `since`: at a post
    time, the posts another instance (or this one before a restart) already planned."""
    query = sa.select(_d.platform, _d.workspace_id, _d.channel_id).where(
        _d.kind == DeliveryKind.DIGEST.value,
        _d.created_at >= since,
        ~_d.item_key.startswith(NOTE_PREFIX),
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {channel_of(row) for row in rows}


async def channels_with(
    db: Database, kind: DeliveryKind, item_keys: Collection[str]
) -> set[tuple[ChannelRef, str]]:
    """Every (channel, item) already planned among these items of this kind."""
    if not item_keys:
        return set()
    query = sa.select(_d.platform, _d.workspace_id, _d.channel_id, _d.item_key).where(
        _d.kind == kind.value, _d.item_key.in_(list(item_keys))
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {(channel_of(row), row["item_key"]) for row in rows}


async def carried(
    db: Database, channel: ChannelRef, keys: Collection[str], *, since: dt.date
) -> set[str]:
    """Which of these papers a post planned in this channel carries already: an alert, or
    a digest post of a day from `since` on (a paper first seen on a day can be in no
    earlier day's digest). Whatever its state: a post on its way counts as made."""
    if not keys:
        return set()
    query = sa.select(_d.payload["papers"].as_string()).where(
        for_channel(channel),
        sa.or_(
            sa.and_(_d.kind == DeliveryKind.ALERT.value, _d.item_key.in_(list(keys))),
            sa.and_(
                _d.kind == DeliveryKind.DIGEST.value,
                _d.item_key.between(since.isoformat(), "9999-12-31"),
            ),
        ),
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).scalars().all()
    wanted = set(keys)
    return {key for papers in rows for key in (papers or "").split("\n") if key in wanted}


async def find(db: Database, channel: ChannelRef, kind: DeliveryKind, item_key: str) -> int | None:
    """The id of this channel's post of `item_key`, if one was planned."""
    query = sa.select(_d.id).where(
        for_channel(channel), _d.kind == kind.value, _d.item_key == item_key
    )
    async with db.read() as conn:
        row = (await conn.execute(query.limit(1))).first()
    return None if row is None else int(row.id)
