"""Reading papers back: by key, by id in bulk, a day's digest ranked, vote history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Account, Media, MediaKind, SourceKind
from bot.store.engine import Database
from bot.store.merge import PaperState, SummaryState
from bot.store.rows import DayPaper, StoredPaper, Summary
from bot.store.schema import digest_papers, digests, paper_summaries, papers

# SQLite allows 32,766 bound parameters; stay far below for IN lists.
IN_CHUNK = 500


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _media(row: sa.RowMapping) -> Media | None:
    if not row["media_url"]:
        return None
    return Media(MediaKind(row["media_kind"]), row["media_url"])


def _account(handle: str | None, name: str | None) -> Account | None:
    return None if handle is None else Account(handle, name)


def state_from_row(
    row: sa.RowMapping, summaries: dict[tuple[SourceKind, str], SummaryState]
) -> PaperState:
    return PaperState(
        key=row["key"],
        arxiv_id=row["arxiv_id"],
        title=row["title"],
        url=row["url"],
        authors=tuple(row["authors"]),
        authors_truncated=row["authors_truncated"],
        media=_media(row),
        github_url=row["github_url"],
        project_url=row["project_url"],
        keywords=tuple(row["keywords"]),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        votes=row["votes"],
        votes_date=row["votes_date"],
        summaries=summaries,
        organization=_account(row["org_handle"], row["org_name"]),
        submitter=_account(row["submitter_handle"], row["submitter_name"]),
    )


def stored_from_state(paper_id: int, state: PaperState) -> StoredPaper:
    return StoredPaper(
        id=paper_id,
        key=state.key,
        arxiv_id=state.arxiv_id,
        title=state.title,
        url=state.url,
        authors=state.authors,
        authors_truncated=state.authors_truncated,
        media=state.media,
        github_url=state.github_url,
        project_url=state.project_url,
        keywords=state.keywords,
        first_seen=state.first_seen,
        last_seen=state.last_seen,
        votes=state.votes,
        summaries=tuple(
            Summary(source, language, s.bullets, s.abstract)
            for (source, language), s in sorted(state.summaries.items())
        ),
        organization=state.organization,
        submitter=state.submitter,
    )


# What a paper row needs to become a PaperState; the search columns are large and unused.
_LOADED = [c for c in papers.c if not c.name.startswith("search_")]
_SUMMARY = [
    paper_summaries.c[name].label(f"summary_{name}")
    for name in ("source", "language", "bullets", "abstract")
]


def read_states(conn: Connection, where: sa.ColumnElement[bool]) -> dict[int, PaperState]:
    """Papers with their summaries, in one statement (a row per summary).

    Synchronous so a search can run whole on a worker thread (see Database.run_read); async
    callers use `load_states`, which runs this on their connection."""
    rows, summaries = _read(conn, where)
    return {i: state_from_row(row, summaries[i]) for i, row in rows.items()}


def read_known(
    conn: Connection, where: sa.ColumnElement[bool]
) -> dict[int, tuple[PaperState, dt.datetime]]:
    """As read_states, with each row's updated_at from the same statement: the version a bulk
    write checks before writing what it merged from these states (bot.store.ingest)."""
    rows, summaries = _read(conn, where)
    return {i: (state_from_row(row, summaries[i]), row["updated_at"]) for i, row in rows.items()}


def _read(
    conn: Connection, where: sa.ColumnElement[bool]
) -> tuple[dict[int, sa.RowMapping], dict[int, dict[tuple[SourceKind, str], SummaryState]]]:
    query = (
        sa.select(*_LOADED, *_SUMMARY)
        .select_from(papers.outerjoin(paper_summaries, paper_summaries.c.paper_id == papers.c.id))
        .where(where)
    )
    rows: dict[int, sa.RowMapping] = {}
    summaries: dict[int, dict[tuple[SourceKind, str], SummaryState]] = {}
    for row in conn.execute(query).mappings():
        rows.setdefault(row["id"], row)
        found = summaries.setdefault(row["id"], {})
        if row["summary_source"] is not None:
            key = (SourceKind(row["summary_source"]), row["summary_language"])
            found[key] = SummaryState(tuple(row["summary_bullets"]), row["summary_abstract"])
    return rows, summaries


def read_papers(conn: Connection, ids: Sequence[int]) -> dict[int, StoredPaper]:
    found: dict[int, StoredPaper] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        states = read_states(conn, papers.c.id.in_(part))
        found.update({i: stored_from_state(i, s) for i, s in states.items()})
    return found


async def load_states(
    conn: AsyncConnection, where: sa.ColumnElement[bool]
) -> dict[int, PaperState]:
    return await conn.run_sync(read_states, where)


async def load_papers(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, StoredPaper]:
    return await conn.run_sync(read_papers, ids)


class PaperRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> StoredPaper | None:
        """By paper key: the arXiv id, or "title:<normalized title>" for papers without one."""
        async with self._db.read() as conn:
            states = await load_states(conn, papers.c.key == key)
        return next((stored_from_state(i, s) for i, s in states.items()), None)

    async def first_seen(self, keys: Sequence[str]) -> dict[str, dt.date]:
        """The day each of these papers (by key) was first seen in any digest."""
        found: dict[str, dt.date] = {}
        async with self._db.read() as conn:
            for part in chunks(list(dict.fromkeys(keys))):
                query = sa.select(papers.c.key, papers.c.first_seen).where(papers.c.key.in_(part))
                found.update(dict((await conn.execute(query)).all()))
        return found

    async def count(self) -> int:
        async with self._db.read() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(papers))).one()[0]
            )

    async def of_day(
        self,
        date: dt.date,
        *,
        source: SourceKind | None = None,
        min_votes: int | None = None,
        limit: int | None = None,
    ) -> list[DayPaper]:
        """A day's papers over its digests, best voted first (unknown votes last), each once."""
        query = (
            sa.select(digest_papers.c.paper_id, digest_papers.c.position, digest_papers.c.votes)
            .join(digests, digests.c.id == digest_papers.c.digest_id)
            .where(digests.c.date == date)
            .order_by(digests.c.source, digest_papers.c.position)
        )
        if source is not None:
            query = query.where(digests.c.source == source.value)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            seen: dict[int, tuple[int, int | None]] = {}
            for paper_id, position, votes in rows:
                if paper_id not in seen:
                    seen[paper_id] = (position, votes)
                elif votes is not None and (seen[paper_id][1] or -1) < votes:
                    seen[paper_id] = (seen[paper_id][0], votes)
            loaded = await load_papers(conn, list(seen))
        day = [
            DayPaper(position, votes, loaded[paper_id])
            for paper_id, (position, votes) in seen.items()
            if min_votes is None or (votes is not None and votes >= min_votes)
        ]
        day.sort(key=lambda d: (d.votes is None, -(d.votes or 0), d.position))
        return day[:limit] if limit is not None else day
