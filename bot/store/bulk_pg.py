"""Writing a plan (bot.store.batch) to PostgreSQL through asyncpg directly.

Rows go as arrays (`unnest`) or COPY, a round trip per table whatever the batch size, and skip
SQLAlchemy's per-row parameter processing. Papers cannot be copied: their word vector is
parsed by the server from our own word split (bot.store.words), as the ORM path does.

A bulk transaction raises two session limits: word and trigram GIN indexes queue new entries
in a pending list and merge it into the index when it outgrows gin_pending_list_limit, in
batches that fit work_mem. With 32 MB / 64 MB instead of 4 MB / 4 MB the merges are fewer and
larger: about 40 us a paper less at 100,000 papers (2,600 -> 2,900 papers/s). The import's
last step cleans the list (bot.store.maintenance), so searches do not scan a large pending
list for long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.batch import PAPER_COLUMNS, Plan, StalePlanError

BULK_SETTINGS = {"work_mem": "64MB", "gin_pending_list_limit": "32MB"}
UNIQUE_VIOLATION = "23505"
"""The SQLSTATE asyncpg's errors carry: matched by code, so that importing this module
needs no asyncpg (the optional `postgres` extra; a SQLite install has none)."""

# Array element types for unnest (text unless named); JSON travels as text, cast by the server.
_TYPES = {
    "authors_truncated": "boolean",
    "first_seen": "date",
    "last_seen": "date",
    "votes": "integer",
    "votes_date": "date",
}
_JSON = frozenset({"authors", "keywords"})
_SELECTED = ", ".join(f"t.{c}::json" if c in _JSON else f"t.{c}" for c in PAPER_COLUMNS)
_UNNEST = ", ".join(
    f"${n}::{_TYPES.get(c, 'text')}[]" for n, c in enumerate(PAPER_COLUMNS, start=1)
)
_AS = ", ".join(PAPER_COLUMNS)
_WORDS = len(PAPER_COLUMNS) + 1
_NOW = _WORDS + 1

_INSERT_PAPERS = (
    f"INSERT INTO papers ({_AS}, search_words, created_at, updated_at) "
    f"SELECT {_SELECTED}, to_tsvector('simple'::regconfig, t.words_text), ${_NOW}, ${_NOW} "
    f"FROM unnest({_UNNEST}, ${_WORDS}::text[]) AS t({_AS}, words_text) "
    "ON CONFLICT (key) DO NOTHING RETURNING id, key"
)
_UPDATE_PAPERS = (
    "UPDATE papers SET "
    + ", ".join(f"{c} = {s}" for c, s in zip(PAPER_COLUMNS, _SELECTED.split(", "), strict=True))
    + f", search_words = to_tsvector('simple'::regconfig, t.words_text), updated_at = ${_NOW} "
    f"FROM unnest({_UNNEST}, ${_WORDS}::text[], ${_NOW + 1}::bigint[], ${_NOW + 2}::timestamptz[])"
    f" AS t({_AS}, words_text, id, version) "
    "WHERE papers.id = t.id AND papers.updated_at = t.version"
)


async def begin(conn: AsyncConnection, *, tuned: bool) -> Any:
    """The asyncpg connection under `conn`, its transaction begun (SQLAlchemy begins lazily,
    at the first statement it runs itself); `tuned`: with the bulk settings."""
    if tuned:
        for name, value in BULK_SETTINGS.items():
            await conn.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
    else:
        await conn.exec_driver_sql("SELECT 1")
    return (await conn.get_raw_connection()).driver_connection


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


async def check(driver: Any, expected: Sequence[tuple[int, str, dt.datetime]]) -> None:
    """Raise StalePlanError unless each (id, key, version) is still what the store holds."""
    if not expected:
        return
    found = await driver.fetchval(
        "SELECT count(*) FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS e(id, k, v)"
        " JOIN papers AS p ON p.id = e.id AND p.key = e.k AND p.updated_at = e.v",
        *_columns(expected, 3),
    )
    if found != len(expected):
        raise StalePlanError("papers changed since the batch was planned")


async def write(
    driver: Any, plan: Plan, ids: dict[str, int], long_step: asyncio.Event | None = None
) -> None:
    """Write `plan` (after `check`); `ids` holds the ids of its known papers, gets the new.
    `long_step` is set as the papers insert, most of the server's work, starts."""
    now = plan.now
    digest_ids = await _digests(driver, plan)
    if long_step is not None:
        long_step.set()
    if plan.inserts:
        rows = [w.row for w in plan.inserts]
        words = [w.words for w in plan.inserts]
        inserted = await driver.fetch(
            _INSERT_PAPERS, *_columns(rows, len(PAPER_COLUMNS)), words, now
        )
        if len(inserted) != len(plan.inserts):
            raise StalePlanError("papers were inserted since the batch was planned")
        ids.update({key: pid for pid, key in inserted})
    if plan.updates:
        rows = [w.row for w in plan.updates]
        try:
            status = await driver.execute(
                _UPDATE_PAPERS,
                *_columns(rows, len(PAPER_COLUMNS)),
                [w.words for w in plan.updates],
                now,
                [ids[w.key] for w in plan.updates],
                [w.known.version for w in plan.updates if w.known],
            )
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
            # A title row re-keyed to an arXiv id another transaction saved meanwhile.
            raise StalePlanError(
                "a paper's new key was saved since the batch was planned"
            ) from None
        if status != f"UPDATE {len(plan.updates)}":
            raise StalePlanError("papers changed since the batch was planned")
    new = [s for s in plan.summaries if s.new_paper]
    if new:
        await driver.copy_records_to_table(
            "paper_summaries",
            records=[(ids[s.key], s.source, s.language, s.bullets, s.abstract, now) for s in new],
            columns=["paper_id", "source", "language", "bullets", "abstract", "updated_at"],
        )
    changed = [s for s in plan.summaries if not s.new_paper]
    if changed:
        await driver.execute(
            "INSERT INTO paper_summaries (paper_id, source, language, bullets, abstract,"
            " updated_at) SELECT t.p, t.s, t.l, t.b::json, t.a, $6 FROM unnest($1::bigint[],"
            " $2::text[], $3::text[], $4::text[], $5::text[]) AS t(p, s, l, b, a)"
            " ON CONFLICT (paper_id, source, language) DO UPDATE SET bullets = excluded.bullets,"
            " abstract = excluded.abstract, updated_at = excluded.updated_at",
            *_columns(
                [(ids[s.key], s.source, s.language, s.bullets, s.abstract) for s in changed], 5
            ),
            now,
        )
    if plan.vote_changes:
        await driver.copy_records_to_table(
            "paper_votes",
            records=[(ids[key], now, votes) for key, votes in plan.vote_changes],
            columns=["paper_id", "observed_at", "votes"],
        )
    await driver.execute(
        "DELETE FROM digest_papers WHERE digest_id = ANY($1::bigint[])", list(digest_ids.values())
    )
    order = [
        (digest_ids[save.key], position, ids[plan.row_key(paper)], paper.votes)
        for save in plan.digests
        for position, paper in enumerate(save.digest.papers)
    ]
    if order:
        await driver.copy_records_to_table(
            "digest_papers", records=order, columns=["digest_id", "position", "paper_id", "votes"]
        )


async def _digests(driver: Any, plan: Plan) -> dict[tuple[str, dt.date], int]:
    rows = [
        (
            save.digest.source.value,
            save.digest.date,
            save.digest.language,
            save.digest.origin,
            save.validators.etag if save.validators else None,
            save.validators.last_modified if save.validators else None,
            save.content_hash,
        )
        for save in plan.digests
    ]
    updated = ("language", "origin", "etag", "last_modified", "fetched_at", "content_hash")
    found = await driver.fetch(
        "INSERT INTO digests (source, date, language, origin, etag, last_modified, content_hash,"
        " fetched_at) SELECT *, $8 FROM unnest($1::text[], $2::date[], $3::text[], $4::text[],"
        " $5::text[], $6::text[], $7::text[]) ON CONFLICT (source, date) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated)
        + " RETURNING id, source, date",
        *_columns(rows, 7),
        plan.now,
    )
    return {(source, date): did for did, source, date in found}
