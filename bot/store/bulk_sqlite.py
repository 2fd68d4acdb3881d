"""Writing a plan (bot.store.batch) to SQLite in a few large statements.

Three things make a bulk import fast here:

- Papers go to a temporary table first and into `papers` with one INSERT ... SELECT. The
  search triggers index them in FTS5's memory, and FTS5 writes what it holds as a new segment
  whenever a statement begins on it: statement count is segment count. Inserting straight
  into `papers` (a statement per 1,400 rows, the parameter limit) made four segments per
  5,000 papers and cost 25 us more per paper than staging did.
- During a bulk transaction FTS5 may hold 64 MB (not the table's 16 MB) before writing, and
  does not merge segments as it writes them: the import ends with an 'optimize' that merges
  everything once (bot.store.maintenance). Both settings are put back before the commit, so
  no other connection ever sees them; at 100,000 papers they save about 25 us a paper.
- Statements go to the aiosqlite connection under SQLAlchemy's (one hand-off to its thread
  each, not four), bind thousands of rows each and return at most one row. While the next
  batch is planned on another thread, every hand-off and every step of a statement waits for
  the GIL (up to the 5 ms switch interval): fetching rows one by one would stall the writer
  for seconds, so ids come back as one JSON value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.batch import PAPER_COLUMNS, Plan, StalePlanError, dumps

# SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32 (the store needs 3.34).
MAX_PARAMS = 32_766
FTS_TABLES = ("paper_names", "paper_words")
BULK_HASHSIZE = 64 * 1024 * 1024
# FTS5's own defaults, for a table whose config row was never written.
_FTS_DEFAULTS = {"hashsize": 1024 * 1024, "automerge": 4}

_PAPER_ROW = ("id", *PAPER_COLUMNS, "created_at", "updated_at")
_UPDATED = (*PAPER_COLUMNS, "updated_at")


def encode_date(value: dt.date) -> str:
    return value.isoformat()


def stamp(value: dt.datetime) -> str:
    """An aware datetime as SQLAlchemy stores it in SQLite (naive UTC text, microseconds)."""
    utc = value.astimezone(dt.UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


async def driver(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under `conn`, inside the transaction `conn` began."""
    return (await conn.get_raw_connection()).driver_connection


async def _scalar(aio: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    rows = await aio.execute_fetchall(sql, params)
    return rows[0][0]


async def _values(aio: Any, head: str, rows: Sequence[tuple[Any, ...]], tail: str = "") -> None:
    """`head VALUES (...), (...) tail` in as few statements as the parameter limit allows."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ",".join("?" * width) + ")"
    per = MAX_PARAMS // width
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        sql = f"{head} VALUES {','.join([one] * len(part))} {tail}"
        await aio.execute(sql, tuple(itertools.chain.from_iterable(part)))


async def check(aio: Any, expected: Sequence[tuple[int, str, dt.datetime]]) -> None:
    """Raise StalePlanError unless each (id, key, version) is still what the store holds."""
    if not expected:
        return
    found = await _scalar(
        aio,
        "SELECT count(*) FROM json_each(?) AS e JOIN papers AS p"
        " ON p.id = json_extract(e.value, '$[0]') AND p.key = json_extract(e.value, '$[1]')"
        " AND p.updated_at = json_extract(e.value, '$[2]')",
        (dumps([(i, k, stamp(v)) for i, k, v in expected]),),
    )
    if found != len(expected):
        raise StalePlanError("papers changed since the batch was planned")


async def tune_fts(aio: Any) -> dict[str, dict[str, int]]:
    """Bulk settings for this transaction; returns what `restore_fts` puts back."""
    stored = json.loads(
        await _scalar(
            aio,
            "SELECT json_object("
            + ", ".join(
                f"'{t}', (SELECT json_group_object(k, v) FROM {t}_config"
                " WHERE k IN ('hashsize', 'automerge'))"
                for t in FTS_TABLES
            )
            + ")",
        )
    )
    saved = {t: {**_FTS_DEFAULTS, **stored[t]} for t in FTS_TABLES}
    for table in FTS_TABLES:
        await _fts_set(aio, table, {"hashsize": BULK_HASHSIZE, "automerge": 0})
    return saved


async def restore_fts(aio: Any, saved: dict[str, dict[str, int]]) -> None:
    for table, values in saved.items():
        await _fts_set(aio, table, values)


async def _fts_set(aio: Any, table: str, values: dict[str, int]) -> None:
    rows = [(name, int(value)) for name, value in values.items()]
    await _values(aio, f"INSERT INTO {table}({table}, rank)", rows)


async def write(
    aio: Any, plan: Plan, ids: dict[str, int], long_step: asyncio.Event | None = None
) -> None:
    """Write `plan`; `ids` holds the ids of the plan's known papers and gets the new ones.

    Everything that binds rows comes first (foreign keys checked at commit), the papers
    INSERT ... SELECT last: it runs a second or more without the GIL (the FTS5 triggers), so
    `long_step` is set as it starts, for the next batch's planning to use the GIL meanwhile.
    """
    now = stamp(plan.now)
    digest_ids = await _digests(aio, plan, now)
    if plan.inserts:
        base = int(await _scalar(aio, "SELECT coalesce(max(id), 0) FROM papers"))
        for offset, write_ in enumerate(plan.inserts, start=1):
            ids[write_.key] = base + offset
        await _stage(aio, "papers_new", [(ids[w.key], *w.row, now, now) for w in plan.inserts])
    await aio.execute("PRAGMA defer_foreign_keys = ON")
    await _values(
        aio,
        "INSERT INTO paper_summaries (paper_id, source, language, bullets, abstract, updated_at)",
        [(ids[s.key], s.source, s.language, s.bullets, s.abstract, now) for s in plan.summaries],
        "ON CONFLICT (paper_id, source, language) DO UPDATE SET bullets = excluded.bullets, "
        "abstract = excluded.abstract, updated_at = excluded.updated_at",
    )
    await _values(
        aio,
        "INSERT INTO paper_votes (paper_id, observed_at, votes)",
        [(ids[key], now, votes) for key, votes in plan.vote_changes],
    )
    await aio.execute(
        "DELETE FROM digest_papers WHERE digest_id IN (SELECT value FROM json_each(?))",
        (dumps(list(digest_ids.values())),),
    )
    await _values(
        aio,
        "INSERT INTO digest_papers (digest_id, position, paper_id, votes)",
        [
            (digest_ids[save.key], position, ids[plan.row_key(paper)], paper.votes)
            for save in plan.digests
            for position, paper in enumerate(save.digest.papers)
        ],
    )
    if plan.updates:
        await _stage(aio, "papers_changed", [(ids[w.key], *w.row, now) for w in plan.updates])
        targets = ", ".join(_UPDATED)
        sources = ", ".join(f"s.{c}" for c in _UPDATED)
        try:
            await aio.execute(
                f"UPDATE papers SET ({targets}) = ({sources})"
                " FROM temp.papers_changed AS s WHERE papers.id = s.id"
            )
        except sqlite3.IntegrityError as exc:
            # A title row re-keyed to an arXiv id another writer saved since the planning.
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_UNIQUE":
                raise
            raise StalePlanError(
                "a paper's new key was saved since the batch was planned"
            ) from None
    if long_step is not None:
        long_step.set()
    if plan.inserts:
        columns = ", ".join(_PAPER_ROW)
        await aio.execute(
            f"INSERT INTO papers ({columns}) SELECT {columns} FROM temp.papers_new"
            " WHERE true ON CONFLICT (key) DO NOTHING"
        )
        inserted = await _scalar(aio, "SELECT changes()")
        if inserted != len(plan.inserts):
            raise StalePlanError("papers were inserted since the batch was planned")


async def _stage(aio: Any, name: str, rows: list[tuple[Any, ...]]) -> None:
    """A temporary table of this connection, emptied, then filled with `rows`."""
    columns = _PAPER_ROW if name == "papers_new" else ("id", *_UPDATED)
    await aio.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({', '.join(columns)})")
    await aio.execute(f"DELETE FROM temp.{name}")
    await _values(aio, f"INSERT INTO temp.{name}", rows)


async def _digests(aio: Any, plan: Plan, now: str) -> dict[tuple[str, dt.date], int]:
    rows = [
        (
            save.digest.source.value,
            save.digest.date.isoformat(),
            save.digest.language,
            save.digest.origin,
            save.validators.etag if save.validators else None,
            save.validators.last_modified if save.validators else None,
            now,
            save.content_hash,
        )
        for save in plan.digests
    ]
    updated = ("language", "origin", "etag", "last_modified", "fetched_at", "content_hash")
    await _values(
        aio,
        "INSERT INTO digests (source, date, language, origin, etag, last_modified, fetched_at,"
        " content_hash)",
        rows,
        "ON CONFLICT (source, date) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated),
    )
    found = json.loads(
        await _scalar(
            aio,
            "SELECT json_group_array(json_array(d.source, d.date, d.id)) FROM json_each(?) AS e"
            " JOIN digests AS d ON d.source = json_extract(e.value, '$[0]')"
            " AND d.date = json_extract(e.value, '$[1]')",
            (dumps([(r[0], r[1]) for r in rows]),),
        )
    )
    return {(source, dt.date.fromisoformat(date)): did for source, date, did in found}
