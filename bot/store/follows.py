"""What each subscription follows (`/follow`): authors and Hugging Face accounts.

A follow belongs to a subscription and goes with it. It is unique per (subscription, kind,
matching key), so "Kim Min-jun" and "kim minjun" are one follow: the first spelling given
is kept for showing. Matching papers against follows is the composer's work
(`bot.compose.follows`); this only keeps the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from bot.store.engine import Database
from bot.store.papers import chunks
from bot.store.rows import Follow, FollowKind
from bot.store.schema import follows

_f = follows.c
_ORDER = (_f.subscription_id, _f.kind, _f.id)


def _follow(kind: str, name: str) -> Follow:
    return Follow(FollowKind(kind), name)


class FollowRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, subscription_id: int, follow: Follow, *, actor: str | None, now: dt.datetime
    ) -> Follow | None:
        """Follow it; None when the subscription follows it already (under any spelling
        with the same key)."""
        stmt = (
            self._db.insert(follows)
            .values(
                subscription_id=subscription_id,
                kind=follow.kind.value,
                name=follow.name,
                name_key=follow.key,
                created_by=actor,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "kind", "name_key"])
            .returning(_f.id)
        )
        async with self._db.write() as conn:
            added = (await conn.execute(stmt)).first()
        return None if added is None else follow

    async def remove(self, subscription_id: int, kind: FollowKind, key: str) -> Follow | None:
        """Stop following; the follow as it was stored, None when there was none."""
        stmt = (
            follows.delete()
            .where(_f.subscription_id == subscription_id, _f.kind == kind.value)
            .where(_f.name_key == key)
            .returning(_f.kind, _f.name)
        )
        async with self._db.write() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else _follow(row.kind, row.name)

    async def clear(self, subscription_id: int) -> tuple[Follow, ...]:
        """Stop following everything; what was followed."""
        stmt = follows.delete().where(_f.subscription_id == subscription_id)
        async with self._db.write() as conn:
            rows = (await conn.execute(stmt.returning(_f.kind, _f.name, _f.id))).all()
        return tuple(_follow(r.kind, r.name) for r in sorted(rows, key=lambda r: (r.kind, r.id)))

    async def of(self, subscription_id: int) -> tuple[Follow, ...]:
        """The subscription's follows, authors first, each kind in the order followed."""
        found = await self.of_many([subscription_id])
        return found.get(subscription_id, ())

    async def of_many(self, subscription_ids: Sequence[int]) -> dict[int, tuple[Follow, ...]]:
        """Follows by subscription, for those that follow anything: one read per 500
        subscriptions, so planning a post time's channels costs a few reads at most."""
        found: dict[int, list[Follow]] = {}
        async with self._db.read() as conn:
            for part in chunks(list(dict.fromkeys(subscription_ids))):
                query = (
                    sa.select(_f.subscription_id, _f.kind, _f.name)
                    .where(_f.subscription_id.in_(part))
                    .order_by(*_ORDER)
                )
                for sid, kind, name in (await conn.execute(query)).all():
                    found.setdefault(sid, []).append(_follow(kind, name))
        return {sid: tuple(items) for sid, items in found.items()}
