"""Saving digests: papers merged and upserted, summaries, vote history, the day's order.

A save is planned in memory (bot.store.batch) and written in one transaction of a handful of
large statements (bot.store.bulk_sqlite, bot.store.bulk_pg). A digest whose content hash is
unchanged is skipped outright, which is what makes re-imports and re-polls change nothing.

Bulk imports (`DigestWriter.bulk`) overlap the two halves: batch N+1 is planned on a worker
thread while batch N is written. A paper in both starts N+1 from N's outcome; everything else
is read from the store, as committed before N. A write then checks that the papers it merged
into are still the versions it planned from (another process may have saved a digest
meanwhile); if not, it rolls back and plans that batch again inside its own transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from bot.models import Digest
from bot.store import bulk_pg, bulk_sqlite
from bot.store.batch import (
    DigestKey,
    DigestSave,
    Known,
    Plan,
    StalePlanError,
    build_plan,
    latest_uploads,
    lookups,
)
from bot.store.engine import Backend, Database
from bot.store.errors import StoreError
from bot.store.papers import chunks, read_known
from bot.store.rows import FetchValidators, SaveResult
from bot.store.schema import digests, papers

# A save planned inside its transaction can still lose a race on PostgreSQL (read committed):
# another transaction inserts or changes one of its papers first. Then it starts over.
ATTEMPTS = 3

_Upload = tuple[Digest, FetchValidators | None]


def _same(value: dt.date) -> dt.date:
    return value


async def _stored_hashes(
    conn: AsyncConnection, keys: Sequence[DigestKey]
) -> dict[DigestKey, tuple[int, str]]:
    found: dict[DigestKey, tuple[int, str]] = {}
    for part in chunks(keys):
        query = sa.select(
            digests.c.id, digests.c.source, digests.c.date, digests.c.content_hash
        ).where(
            digests.c.date.in_({d for _, d in part}),
            digests.c.source.in_({s for s, _ in part}),
        )
        for row in (await conn.execute(query)).all():
            found[(row.source, row.date)] = (row.id, row.content_hash)
    return found


async def _read_known(
    conn: AsyncConnection, keys: Sequence[str], titles: Sequence[str]
) -> dict[str, Known]:
    """The stored papers of these keys and of these normalized titles, by key."""
    found: dict[str, Known] = {}
    wanted = [papers.c.key.in_(part) for part in chunks(keys)]
    wanted += [papers.c.title_norm.in_(part) for part in chunks(titles)]
    for where in wanted:
        rows = await conn.run_sync(read_known, where)
        found.update({s.key: Known(i, s, version) for i, (s, version) in rows.items()})
    return found


def _carried_for(
    carried: dict[str, Known], keys: Sequence[str], titles: Sequence[str]
) -> dict[str, Known]:
    """The papers of a previous batch's outcome that a plan of these lookups may join."""
    found = {k: carried[k] for k in keys if k in carried}
    if titles:
        wanted = set(titles)
        found.update(
            {k: c for k, c in carried.items() if c.state.arxiv_id and c.state.title_norm in wanted}
        )
    return found


def total(results: Sequence[SaveResult]) -> SaveResult:
    return SaveResult(
        digests_changed=sum(r.digests_changed for r in results),
        digests_unchanged=sum(r.digests_unchanged for r in results),
        papers_inserted=sum(r.papers_inserted for r in results),
        papers_updated=sum(r.papers_updated for r in results),
        vote_changes=sum(r.vote_changes for r in results),
    )


class DigestWriter:
    """Saves digests: `save` for a poll, `bulk` for imports."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sqlite = db.backend is Backend.SQLITE
        # A database in memory is one connection: no reading beside a write in flight.
        pool = db.engine.sync_engine.pool
        self.pipelined = not isinstance(pool, StaticPool | SingletonThreadPool)

    async def save(
        self,
        digest: Digest,
        *,
        validators: FetchValidators | None = None,
        now: dt.datetime | None = None,
    ) -> SaveResult:
        return await self._save([(digest, validators)], now or dt.datetime.now(dt.UTC))

    def bulk(self, batch_papers: int) -> BulkImport:
        """A pipelined import: `async with writer.bulk(n) as bulk: await bulk.add(digest)`."""
        return BulkImport(self, batch_papers)

    def _plan(
        self, changed: Sequence[DigestSave], known: dict[str, Known], now: dt.datetime, n: int
    ) -> Plan:
        return build_plan(
            changed,
            known,
            now=now,
            unchanged=n - len(changed),
            date=bulk_sqlite.encode_date if self._sqlite else _same,
            words=not self._sqlite,  # only PostgreSQL's word index reads search_words
        )

    async def _save(
        self, uploads: Sequence[_Upload], now: dt.datetime, *, tuned: bool = False
    ) -> SaveResult:
        """Plan and write inside one transaction."""
        latest = latest_uploads(uploads)
        for attempt in range(ATTEMPTS):
            try:
                async with self._db.write() as conn:
                    stored = await _stored_hashes(conn, list(latest))
                    await self._touch(conn, latest, stored)
                    changed = [
                        s for k, s in latest.items() if stored.get(k, (0, ""))[1] != s.content_hash
                    ]
                    if not changed:
                        return SaveResult(0, len(latest), 0, 0, 0)
                    known = await _read_known(conn, *lookups(changed))
                    plan = self._plan(changed, known, now, len(latest))
                    await self._write(conn, plan, {}, check=False, tuned=tuned)
                    return plan.result()
            except StalePlanError:
                if attempt == ATTEMPTS - 1:
                    raise StoreError("papers kept changing while saving digests") from None
        raise AssertionError("unreachable")

    async def _touch(
        self,
        conn: AsyncConnection,
        latest: dict[DigestKey, DigestSave],
        stored: dict[DigestKey, tuple[int, str]],
    ) -> None:
        """New validators for an unchanged digest: the next conditional GET sends them."""
        touched = [
            {"_id": stored[k][0], "etag": v.etag, "last_modified": v.last_modified}
            for k, s in latest.items()
            if (v := s.validators) is not None and stored.get(k, (0, ""))[1] == s.content_hash
        ]
        if touched:
            await conn.execute(
                digests.update()
                .where(digests.c.id == sa.bindparam("_id"))
                .values(etag=sa.bindparam("etag"), last_modified=sa.bindparam("last_modified")),
                touched,
            )

    async def _write(
        self,
        conn: AsyncConnection,
        plan: Plan,
        previous: dict[str, int],
        *,
        check: bool,
        tuned: bool,
        long_step: asyncio.Event | None = None,
    ) -> dict[str, int]:
        """Write `plan`; returns the id of each of its papers. `previous`: ids the batch
        written just before gave the papers it inserted. `check`: the plan was made outside
        this transaction, so first make sure its known papers are still as it saw them."""
        ids: dict[str, int] = {}
        expected: list[tuple[int, str, dt.datetime]] = []
        for key, known in plan.known.items():
            stored_key = known.state.key  # not `key` for a title row re-keyed to its id
            pid = known.id if known.id is not None else previous.get(stored_key)
            if pid is None:
                raise StalePlanError(f"{stored_key}: no id from the previous batch")
            ids[key] = pid
            expected.append((pid, stored_key, known.version))
        if not self._sqlite:
            driver = await bulk_pg.begin(conn, tuned=tuned)
            if check:
                await bulk_pg.check(driver, expected)
            await bulk_pg.write(driver, plan, ids, long_step)
            return ids
        aio = await bulk_sqlite.driver(conn)
        if check:
            await bulk_sqlite.check(aio, expected)
        saved = await bulk_sqlite.tune_fts(aio) if tuned else None
        await bulk_sqlite.write(aio, plan, ids, long_step)
        if saved is not None:
            await bulk_sqlite.restore_fts(aio, saved)
        return ids

    async def _plan_ahead(
        self, batch: Sequence[Digest], after: Plan | None, ready: asyncio.Event | None = None
    ) -> Plan:
        """Plan `batch` outside any write: from `after` (the plan being written now) for the
        papers and digests it holds, from the store for the rest. Planning waits for
        `ready`: until the write's long statement starts, that write needs the GIL often,
        and would wait each time for a switch interval of the threads planning."""
        if ready is not None:
            await ready.wait()
        latest = latest_uploads((d, None) for d in batch)
        carried = after.outcome() if after is not None else {}
        retired = after.retired() if after is not None else set()
        hashes = {s.key: s.content_hash for s in after.digests} if after is not None else {}
        async with self._db.read() as conn:
            stored = await _stored_hashes(conn, [k for k in latest if k not in hashes])
            hashes.update({k: h for k, (_, h) in stored.items()})
            changed = [s for k, s in latest.items() if hashes.get(k) != s.content_hash]
            keys, titles = lookups(changed)
            known = await _read_known(conn, [k for k in keys if k not in carried], titles)
        # The store may not hold the batch being written yet: where it wrote, its outcome wins.
        known = {k: v for k, v in known.items() if k not in retired and k not in carried}
        known.update(_carried_for(carried, keys, titles))
        now = dt.datetime.now(dt.UTC)
        return await asyncio.to_thread(self._plan, changed, known, now, len(latest))

    async def _write_planned(
        self,
        plan: Plan,
        previous: dict[str, int],
        batch: Sequence[Digest],
        long_step: asyncio.Event | None = None,
    ) -> tuple[SaveResult, dict[str, int] | None]:
        """Write a plan made ahead; the ids of its papers, or None when it had to be planned
        again (then the plan made after it rests on an outcome that did not happen).
        `long_step` is set once the write no longer holds up planning (at the latest when
        it ends)."""
        if not plan.digests:  # a re-import: nothing changed, nothing to write
            if long_step is not None:
                long_step.set()
            return plan.result(), {}
        try:
            async with self._db.write() as conn:
                ids = await self._write(
                    conn, plan, previous, check=True, tuned=True, long_step=long_step
                )
        except StalePlanError:
            uploads = [(d, None) for d in batch]
            result = await self._save(uploads, plan.now, tuned=True)
            return result, None
        finally:
            if long_step is not None:
                long_step.set()
        return plan.result(), ids


@dataclass
class _InFlight:
    plan: Plan
    task: asyncio.Task[tuple[SaveResult, dict[str, int] | None]]
    long_step: asyncio.Event


class BulkImport:
    """Digests saved in batches of about `batch_papers` papers, a transaction each, with the
    next batch planned while one is written. Leaving the block waits for the last write; an
    error cancels the write in flight (its transaction rolls back)."""

    def __init__(self, writer: DigestWriter, batch_papers: int) -> None:
        self._writer = writer
        self._batch_papers = batch_papers
        self._pending: list[Digest] = []
        self._size = 0
        self._inflight: _InFlight | None = None
        self._results: list[SaveResult] = []
        self.replanned = 0
        """Batches whose papers another writer changed between planning and writing."""

    @property
    def result(self) -> SaveResult:
        """What the batches written so far changed."""
        return total(self._results)

    async def __aenter__(self) -> BulkImport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self._flush()
            await self._finish_write()
            return
        if self._inflight is not None:
            self._inflight.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._inflight.task
            self._inflight = None

    async def add(self, digest: Digest) -> None:
        self._pending.append(digest)
        self._size += len(digest.papers)
        if self._size >= self._batch_papers:
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending, self._size = self._pending, [], 0
        if not batch:
            return
        writer = self._writer
        if not writer.pipelined:
            uploads = [(d, None) for d in batch]
            now = dt.datetime.now(dt.UTC)
            self._results.append(await writer._save(uploads, now, tuned=True))
            return
        before = self._inflight
        if before is None:
            plan = await writer._plan_ahead(batch, None)
        else:
            plan = await writer._plan_ahead(batch, before.plan, before.long_step)
        previous = await self._finish_write()
        if before is not None and previous is None:
            plan = await writer._plan_ahead(batch, None)
        long_step = asyncio.Event()
        task = asyncio.create_task(writer._write_planned(plan, previous or {}, batch, long_step))
        self._inflight = _InFlight(plan, task, long_step)

    async def _finish_write(self) -> dict[str, int] | None:
        if self._inflight is None:
            return {}
        result, ids = await self._inflight.task
        self._inflight = None
        self._results.append(result)
        if ids is None:
            self.replanned += 1
        return ids
