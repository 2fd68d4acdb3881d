"""Reading digests back: what a source published for a day, its fetch validators, the newest day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bot.models import SourceKind
from bot.store.engine import Database
from bot.store.rows import FetchValidators, StoredDigest
from bot.store.schema import digest_papers, digests, papers


@dataclass(frozen=True, slots=True)
class SourceArchive:
    """What the archive holds of one source: how many days, the newest, and when a digest
    of it was last stored (a poll that found nothing changed stores nothing)."""

    source: SourceKind
    days: int
    newest_day: dt.date
    last_stored: dt.datetime


class DigestRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, source: SourceKind, date: dt.date) -> StoredDigest | None:
        async with self._db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(digests).where(
                            digests.c.source == source.value, digests.c.date == date
                        )
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            held = (
                await conn.execute(
                    sa.select(papers.c.key, papers.c.title_norm)
                    .join(digest_papers, digest_papers.c.paper_id == papers.c.id)
                    .where(digest_papers.c.digest_id == row["id"])
                    .order_by(digest_papers.c.position)
                )
            ).all()
        return StoredDigest(
            id=row["id"],
            source=SourceKind(row["source"]),
            date=row["date"],
            language=row["language"],
            origin=row["origin"],
            validators=FetchValidators(row["etag"], row["last_modified"]),
            fetched_at=row["fetched_at"],
            content_hash=row["content_hash"],
            paper_keys=tuple(key for key, _ in held),
            paper_titles=tuple(title for _, title in held),
        )

    async def validators(self, source: SourceKind, date: dt.date) -> FetchValidators | None:
        """What to send as If-None-Match / If-Modified-Since; None when never fetched."""
        query = sa.select(digests.c.etag, digests.c.last_modified).where(
            digests.c.source == source.value, digests.c.date == date
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else FetchValidators(row.etag, row.last_modified)

    async def latest_date(self, source: SourceKind | None = None) -> dt.date | None:
        return await self.newest_day((source,) if source is not None else ())

    async def newest_day(
        self, sources: Sequence[SourceKind] = (), *, before: dt.date | None = None
    ) -> dt.date | None:
        """The newest digest day among `sources` (all when empty), strictly before
        `before` when given."""
        query = sa.select(sa.func.max(digests.c.date))
        if sources:
            query = query.where(digests.c.source.in_([s.value for s in sources]))
        if before is not None:
            query = query.where(digests.c.date < before)
        async with self._db.read() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return value if isinstance(value, dt.date) else None

    async def dates(self, source: SourceKind | None = None) -> list[dt.date]:
        query = sa.select(digests.c.date).distinct().order_by(digests.c.date)
        if source is not None:
            query = query.where(digests.c.source == source.value)
        async with self._db.read() as conn:
            return list((await conn.scalars(query)).all())

    async def archive(self) -> list[SourceArchive]:
        """Per source in the archive, in source order."""
        query = (
            sa.select(
                digests.c.source,
                sa.func.count(),
                sa.func.max(digests.c.date),
                sa.func.max(digests.c.fetched_at),
            )
            .group_by(digests.c.source)
            .order_by(digests.c.source)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SourceArchive(SourceKind(source), int(days), newest, stored)
            for source, days, newest, stored in rows
        ]
