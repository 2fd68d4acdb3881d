"""Live cards: every SQL statement on `live_cards`, the posted messages of digests whose
vote counts are kept current.

A sent digest post gets one row per message (`register`), carrying the message's platform
id and the hash of what it shows. Planning (`want`) records the newest content a message
should show under the next version number, compare-and-set on the version it read, so two
planners never step back to older votes. The editor claims a message with a pending
version under a lease (`claim`, fenced by the claim count like the outbox), sends the
whole content, and records that version as applied (`edited`): an edit repeated after a
crash sends the same content again, and one claimed later always carries a newer version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.models import WEBHOOK_WORKSPACE, ChannelRef, Platform
from bot.store.engine import Backend, Database
from bot.store.outbox.repo import channel_of
from bot.store.rows import DeliveryKind, DeliveryState
from bot.store.schema import deliveries, live_cards, subscriptions

Clock = Callable[[], dt.datetime]
MAX_ERROR_CHARS = 2000
WANT_CHUNK = 200
REGISTER_PAGE = 200
"""Sent posts read (with their payloads) per page when registering their cards."""
"""Cards planned per transaction: one vote change can touch every live card."""
LIVE, GONE, ENDED = "live", "gone", "ended"
"""Card states: edited while its window lasts; its message is gone (deleted, or no longer
the bot's to edit); given up on (its post no longer renders to the same messages, or the
platform refused the content)."""

_c = live_cards.c
_d = deliveries.c
_s = subscriptions.c


@dataclass(frozen=True, slots=True)
class SentPost:
    """A sent digest post whose messages have no card rows yet."""

    delivery_id: int
    channel: ChannelRef
    payload: dict[str, str]
    sent_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewCard:
    delivery_id: int
    position: int
    message_id: str
    thread_id: str | None
    """The message whose thread holds this one, if it was posted into a thread."""
    shape: str
    """What the message carries (role, thread, papers): a re-render whose message at this
    position carries something else no longer fits the post."""
    shown_hash: str
    """The hash of the content the message was posted with."""
    live_until: dt.datetime
    next_edit_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Card:
    """A live card as planning reads it."""

    id: int
    position: int
    shape: str
    wanted_version: int
    wanted_hash: str | None
    applied_hash: str

    @property
    def showing(self) -> str:
        """The hash of the newest content planned for it (or shown, if none is pending)."""
        return self.wanted_hash if self.wanted_hash is not None else self.applied_hash


@dataclass(frozen=True, slots=True)
class LivePost:
    """A post with live cards, with what re-rendering it needs (read out of its payload in
    SQL: the rendered messages stay in the database)."""

    delivery_id: int
    channel: ChannelRef
    day: str
    papers: tuple[str, ...]
    look: str
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class ClaimedEdit:
    """One message to edit, ours under a lease."""

    id: int
    claims: int
    """The row's claim count after this claim; every later write of ours requires it."""
    channel: ChannelRef
    delivery_id: int
    position: int
    message_id: str
    thread_id: str | None
    version: int
    message: dict[str, Any]
    """The content to show, as `bot.delivery.payload.message_to_json` wrote it."""
    failures: int


def _live_subscription() -> sa.ColumnElement[bool]:
    return sa.and_(_s.paused.is_(False), _s.live_votes.is_(True))


def _editable() -> sa.ColumnElement[bool]:
    """Slack incoming webhooks answer without a message id and cannot edit."""
    return ~sa.and_(_d.platform == Platform.SLACK.value, _d.workspace_id == WEBHOOK_WORKSPACE)


async def unregistered(
    db: Database, *, since: dt.datetime, after: int = 0, limit: int = REGISTER_PAGE
) -> list[SentPost]:
    """Digest posts sent since `since` for active subscriptions with live votes on, that
    were composed with a look (planned by this version) and have no card rows yet: at
    most `limit` of them, in id order after the id `after`. Each carries its whole payload,
    so a caller pages through them (after a fan-out to 10,000 channels, all at once would
    be every message of every post in memory together)."""
    query = (
        sa.select(deliveries)
        .join(subscriptions, _s.id == _d.subscription_id)
        .outerjoin(live_cards, _c.delivery_id == _d.id)
        .where(
            _d.kind == DeliveryKind.DIGEST.value,
            _d.state == DeliveryState.SENT.value,
            _d.sent_at >= since,
            _d.payload["look"].as_string() != "",
            _live_subscription(),
            _editable(),
            _c.id.is_(None),
            _d.id > after,
        )
        .order_by(_d.id)
        .limit(limit)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        SentPost(row["id"], channel_of(row), dict(row["payload"]), _aware(row["sent_at"]))
        for row in rows
    ]


async def register(db: Database, cards: Sequence[NewCard], *, now: dt.datetime) -> int:
    """Card rows for sent messages, once each (any number of planners may ask)."""
    if not cards:
        return 0
    rows = [
        {
            "delivery_id": card.delivery_id,
            "position": card.position,
            "message_id": card.message_id,
            "thread_id": card.thread_id,
            "shape": card.shape,
            "state": LIVE,
            "live_until": card.live_until,
            "wanted_version": 0,
            "applied_version": 0,
            "applied_hash": card.shown_hash,
            "next_edit_at": card.next_edit_at,
            "claims": 0,
            "failures": 0,
            "created_at": now,
        }
        for card in cards
    ]
    stmt = db.insert(live_cards).on_conflict_do_nothing().returning(_c.id)
    async with db.write() as conn:
        return len((await conn.execute(stmt, rows)).all())


async def live_posts(db: Database, *, now: dt.datetime) -> list[LivePost]:
    """Posts with cards still inside their window, of active subscriptions with live votes
    on; each with its live cards in message order."""
    query = (
        sa.select(
            _d.id.label("delivery_id"),
            _d.platform,
            _d.workspace_id,
            _d.channel_id,
            _d.payload["day"].as_string().label("day"),
            _d.payload["papers"].as_string().label("papers"),
            _d.payload["look"].as_string().label("look"),
            _c.id,
            _c.position,
            _c.shape,
            _c.wanted_version,
            _c.wanted_hash,
            _c.applied_hash,
        )
        .join(deliveries, _d.id == _c.delivery_id)
        .join(subscriptions, _s.id == _d.subscription_id)
        .where(_c.state == LIVE, _c.live_until > now, _live_subscription())
        .order_by(_d.id, _c.position)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    heads: dict[int, sa.RowMapping] = {}
    cards: dict[int, list[Card]] = {}
    for row in rows:
        heads.setdefault(row["delivery_id"], row)
        cards.setdefault(row["delivery_id"], []).append(
            Card(
                row["id"],
                row["position"],
                row["shape"],
                row["wanted_version"],
                row["wanted_hash"],
                row["applied_hash"],
            )
        )
    return [
        LivePost(
            delivery_id,
            channel_of(head),
            head["day"] or "",
            tuple(k for k in (head["papers"] or "").split("\n") if k),
            head["look"] or "",
            tuple(cards[delivery_id]),
        )
        for delivery_id, head in heads.items()
    ]


async def live_days(db: Database, *, now: dt.datetime) -> set[dt.date]:
    """The digest days whose posted cards are still kept current: the days the HF API must
    be read again for their votes."""
    query = (
        sa.select(_d.payload["day"].as_string())
        .distinct()
        .join(live_cards, _c.delivery_id == _d.id)
        .join(subscriptions, _s.id == _d.subscription_id)
        .where(_c.state == LIVE, _c.live_until > now, _live_subscription())
    )
    async with db.read() as conn:
        days = (await conn.execute(query)).scalars().all()
    return {dt.date.fromisoformat(day) for day in days if day}


@dataclass(frozen=True, slots=True)
class Wanted:
    """A card's next content, planned from votes read after the card was."""

    card: Card
    content_hash: str
    message: dict[str, Any]


async def want(db: Database, wanted: Sequence[Wanted]) -> int:
    """Plan each message as its card's next version, unless another planner planned one
    since this one read the card (its votes are at least as new: it read them later).
    Written in transactions of WANT_CHUNK; returns how many were planned."""
    planned = 0
    for start in range(0, len(wanted), WANT_CHUNK):
        async with db.write() as conn:
            for item in wanted[start : start + WANT_CHUNK]:
                card = item.card
                result = await conn.execute(
                    live_cards.update()
                    .where(
                        _c.id == card.id,
                        _c.wanted_version == card.wanted_version,
                        _c.state == LIVE,
                    )
                    .values(
                        wanted_version=card.wanted_version + 1,
                        wanted_hash=item.content_hash,
                        wanted=item.message,
                    )
                )
                planned += int(result.rowcount or 0)
    return planned


async def end(db: Database, card_ids: Sequence[int], *, reason: str) -> None:
    """Stop editing these cards (their post no longer renders to the same messages)."""
    if not card_ids:
        return
    stmt = (
        live_cards.update()
        .where(_c.id.in_(list(card_ids)), _c.state == LIVE)
        .values(state=ENDED, last_error=reason[:MAX_ERROR_CHARS], lease_until=None)
    )
    async with db.write() as conn:
        await conn.execute(stmt)


# -- the editor's side -----------------------------------------------------------------------


def _pending(now: dt.datetime, settle: dt.timedelta) -> sa.ColumnElement[bool]:
    """A newer version than shown, due, inside the window, not held by anyone: a lease that
    ran out counts only once its owner's request can no longer be on its way, or that
    older edit could land after a newer one."""
    return sa.and_(
        _c.state == LIVE,
        _c.wanted_version > _c.applied_version,
        _c.next_edit_at <= now,
        _c.live_until > now,
        sa.or_(_c.lease_until.is_(None), _c.lease_until <= now - settle),
    )


async def claim(
    db: Database,
    *,
    platforms: Sequence[Platform],
    limit: int,
    lease: dt.timedelta,
    settle: dt.timedelta,
    clock: Clock,
    holding: Collection[int] = (),
) -> list[ClaimedEdit]:
    """Up to `limit` due edits on `platforms`, oldest due first; `holding` are cards the
    caller is still at (waiting for room to send): never taken from under it."""
    if limit <= 0 or not platforms:
        return []
    async with db.write() as conn:
        now = clock()
        query = (
            sa.select(_c.id)
            .join(deliveries, _d.id == _c.delivery_id)
            .join(subscriptions, _s.id == _d.subscription_id)
            .where(
                _pending(now, settle),
                _live_subscription(),
                _d.platform.in_([p.value for p in platforms]),
            )
            .order_by(_c.next_edit_at, _c.id)
            .limit(limit)
        )
        if holding:
            query = query.where(_c.id.not_in(list(holding)))
        if db.backend is Backend.POSTGRES:
            query = query.with_for_update(of=live_cards, skip_locked=True)
        ids = list((await conn.execute(query)).scalars())
        if not ids:
            return []
        taken = (
            live_cards.update()
            .where(_c.id.in_(ids))
            .values(claims=_c.claims + 1, lease_until=now + lease)
            .returning(*live_cards.c)
        )
        cards = (await conn.execute(taken)).mappings().all()
        places = sa.select(deliveries.c.id, _d.platform, _d.workspace_id, _d.channel_id).where(
            _d.id.in_({card["delivery_id"] for card in cards})
        )
        channels = {row["id"]: channel_of(row) for row in (await conn.execute(places)).mappings()}
    claimed = [
        ClaimedEdit(
            id=card["id"],
            claims=card["claims"],
            channel=channels[card["delivery_id"]],
            delivery_id=card["delivery_id"],
            position=card["position"],
            message_id=card["message_id"],
            thread_id=card["thread_id"],
            version=card["wanted_version"],
            message=dict(card["wanted"]),
            failures=card["failures"],
        )
        for card in cards
    ]
    return sorted(claimed, key=lambda c: c.id)


async def next_due(
    db: Database, *, platforms: Sequence[Platform], now: dt.datetime
) -> dt.datetime | None:
    """When the next pending edit on these platforms falls due, if any waits; edits held
    under a lease that has not run out do not count (their owner is at them)."""
    query = (
        sa.select(sa.func.min(_c.next_edit_at))
        .join(deliveries, _d.id == _c.delivery_id)
        .join(subscriptions, _s.id == _d.subscription_id)
        .where(
            _c.state == LIVE,
            _c.wanted_version > _c.applied_version,
            _c.live_until > now,
            sa.or_(_c.lease_until.is_(None), _c.lease_until <= now),
            _live_subscription(),
            _d.platform.in_([p.value for p in platforms]),
        )
    )
    async with db.read() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else _aware(value)


def _ours(claimed: ClaimedEdit) -> sa.ColumnElement[bool]:
    return sa.and_(_c.id == claimed.id, _c.claims == claimed.claims)


async def _update_ours(db: Database, claimed: ClaimedEdit, values: dict[str, Any]) -> bool:
    """Only a card still held under our claim changes: a late answer for a card someone
    claimed after our lease ran out is dropped."""
    async with db.write() as conn:
        result = await conn.execute(
            live_cards.update().where(_ours(claimed)).values(lease_until=None, **values)
        )
    return bool(result.rowcount)


async def renew(db: Database, claimed: ClaimedEdit, *, lease: dt.timedelta, clock: Clock) -> bool:
    """Extend our lease right before sending, if the card is still ours (nobody claimed it
    since): the edit then lands, or times out, before anyone else may claim it."""
    async with db.write() as conn:
        stmt = live_cards.update().where(_ours(claimed)).values(lease_until=clock() + lease)
        result = await conn.execute(stmt)
    return bool(result.rowcount)


async def edited(
    db: Database,
    claimed: ClaimedEdit,
    *,
    content_hash: str,
    now: dt.datetime,
    next_at: dt.datetime,
) -> bool:
    """The message shows `claimed.version` now; the next edit waits until `next_at`."""
    return await _update_ours(
        db,
        claimed,
        {
            "applied_version": claimed.version,
            "applied_hash": content_hash,
            "edited_at": now,
            "next_edit_at": next_at,
            "failures": 0,
            "last_error": None,
        },
    )


async def retry_at(
    db: Database, claimed: ClaimedEdit, *, at: dt.datetime, error: str, counted: bool
) -> bool:
    """Try the edit again at `at`; `counted` failures lengthen the next backoff."""
    return await _update_ours(
        db,
        claimed,
        {
            "next_edit_at": at,
            "failures": claimed.failures + int(counted),
            "last_error": error[:MAX_ERROR_CHARS],
        },
    )


async def stop(db: Database, claimed: ClaimedEdit, *, state: str, error: str) -> bool:
    """Never edit this card again: its message is gone, or its content was refused."""
    return await _update_ours(db, claimed, {"state": state, "last_error": error[:MAX_ERROR_CHARS]})


async def release(db: Database, claimed: ClaimedEdit) -> bool:
    """Hand a claimed edit back, due as it was (shutdown, or posts came first)."""
    return await _update_ours(db, claimed, {})


async def expire_leases(db: Database) -> int:
    """Make every held edit claimable now. Only for SQLite at start-up: one process owns a
    SQLite store, so whatever it held belonged to a process that is gone."""
    stmt = live_cards.update().where(_c.lease_until.is_not(None)).values(lease_until=None)
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return int(result.rowcount or 0)


def _aware(value: Any) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
