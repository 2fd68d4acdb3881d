"""Archive search for `/paper` and `papers-bot search`.

Order of results: the paper named by an arXiv id or URL, then papers whose title is exactly
the query, then full-text matches ranked by relevance tier (every term in the title, then in
title + authors, then the query verbatim anywhere including summaries, then every term
verbatim anywhere, then only as word prefixes)
and, within a tier, by votes and recency.
Tiers beat a tf-idf score here because people look papers up by name: a paper *about* the words
outranks one that mentions them, and among equals the community's votes are the better signal.

Text matching is by substring, so partial words and Korean (which glues particles onto words)
work: FTS5 trigram on SQLite, pg_trgm on PostgreSQL. Terms under three characters fall back to
a word-prefix index (FTS5 unicode61 / `simple` tsvector), which also serves Korean two-syllable
words such as 모델 ("model") matching 모델을, 모델의.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Backend, Database
from bot.store.papers import load_papers
from bot.store.query import SearchPlan, Term, fts5_substring, fts5_words, plan, tsquery_words
from bot.store.rows import SearchHit
from bot.store.schema import papers

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
# Ranking is over at most this many matches per index (the newest on SQLite), so a query as
# broad as "model" costs the same as a precise one.
CANDIDATES = 300

_p = papers.c
# These spell the index expressions of the migration; PostgreSQL only uses an index for the
# very same expression.
_pg_names: sa.ColumnElement[str] = sa.literal_column(
    "(papers.title || ' ' || papers.search_authors)"
)
_pg_words: sa.ColumnElement[str] = sa.literal_column(
    "to_tsvector('simple'::regconfig, coalesce(papers.search_words, ''))"
)
_simple: sa.ColumnElement[str] = sa.literal_column("'simple'::regconfig")
_LIKE_ESCAPE = "/"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    min_votes: int | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.date_from is not None:
            conditions.append(_p.first_seen >= self.date_from)
        if self.date_to is not None:
            conditions.append(_p.first_seen <= self.date_to)
        if self.min_votes is not None:
            conditions.append(_p.votes >= self.min_votes)
        return conditions


def like_pattern(term: str) -> str:
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _sqlite_candidates(
    table: str, match: str, where: list[sa.ColumnElement[bool]]
) -> sa.Select[int]:
    fts = sa.table(table, sa.column("rowid"))
    return (
        sa.select(fts.c.rowid)
        .join(papers, _p.id == fts.c.rowid)
        .where(sa.literal_column(table).op("MATCH")(match), *where)
        .order_by(fts.c.rowid.desc())
        .limit(CANDIDATES)
    )


def candidates(
    backend: Backend, search: SearchPlan, where: list[sa.ColumnElement[bool]]
) -> sa.CompoundSelect[int] | sa.Select[int]:
    """Ids of papers where every term is a word-prefix run anywhere, plus those where every
    term is a substring of the title or authors; at most CANDIDATES of each (see module doc)."""
    substring = all(t.substring for t in search.terms)
    if backend is Backend.SQLITE:
        words = _sqlite_candidates(
            "paper_words", " AND ".join(f"({fts5_words(t)})" for t in search.terms), where
        )
        if not substring:
            return words
        names = _sqlite_candidates(
            "paper_names", " AND ".join(fts5_substring(t) for t in search.terms), where
        )
        return _union(words, names)
    query = " & ".join(f"({tsquery_words(t)})" for t in search.terms)
    words = (
        sa.select(_p.id)
        .where(_pg_words.op("@@")(sa.func.to_tsquery(_simple, query)), *where)
        .limit(CANDIDATES)
    )
    if not substring:
        return words
    names = (
        sa.select(_p.id)
        .where(
            *(_pg_names.ilike(like_pattern(t.text), escape=_LIKE_ESCAPE) for t in search.terms),
            *where,
        )
        .limit(CANDIDATES)
    )
    return _union(words, names)


def _union(*parts: sa.Select[int]) -> sa.CompoundSelect[int]:
    # SQLite refuses LIMIT inside the arms of a UNION unless each arm is a subquery.
    subqueries = [part.subquery() for part in parts]
    return sa.union(*(sa.select(sub.c[0]) for sub in subqueries))


def _contains_all(column: sa.ColumnElement[str], terms: tuple[Term, ...]) -> sa.ColumnElement[bool]:
    return sa.and_(*(column.ilike(like_pattern(t.text), escape=_LIKE_ESCAPE) for t in terms))


def _tier(search: SearchPlan) -> sa.ColumnElement[int]:
    names = _p.title + " " + _p.search_authors
    everything = names + " " + _p.search_body
    tiers = [
        _contains_all(_p.title, search.terms),
        _contains_all(names, search.terms),
    ]
    if len(search.terms) > 1:  # the words as typed, together, beat the words scattered
        tiers.append(everything.ilike(like_pattern(search.phrase), escape=_LIKE_ESCAPE))
    tiers.append(_contains_all(everything, search.terms))
    return sa.case(*((cond, n) for n, cond in enumerate(tiers)), else_=len(tiers))


def _ranked(query: sa.Select[int]) -> sa.Select[int]:
    return query.order_by(_p.votes.desc().nulls_last(), _p.first_seen.desc(), _p.id.desc())


class Searcher:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(
        self,
        query: str,
        *,
        limit: int = DEFAULT_LIMIT,
        filters: SearchFilters | None = None,
    ) -> list[SearchHit]:
        search = plan(query)
        limit = max(1, min(limit, MAX_LIMIT))
        if search.is_empty:
            return []
        where = (filters or SearchFilters()).where()
        async with self._db.read() as conn:
            found = await self._lookups(conn, search, where, limit)
            if search.terms and not found:
                for paper_id in await self._full_text(conn, search, where, limit + len(found)):
                    found.setdefault(paper_id, "text")
            ids = list(found)[:limit]
            loaded = await load_papers(conn, ids)
        return [SearchHit(rank, found[i], loaded[i]) for rank, i in enumerate(ids, 1)]

    async def _lookups(
        self,
        conn: AsyncConnection,
        search: SearchPlan,
        where: list[sa.ColumnElement[bool]],
        limit: int,
    ) -> dict[int, str]:
        """Exact hits: the paper an id or URL names, else papers with exactly this title.
        An exact hit is the answer: no full-text padding after it."""
        found: dict[int, str] = {}
        checks: list[tuple[str, sa.ColumnElement[bool]]] = []
        if search.arxiv_id:
            checks.append(("arxiv_id", _p.arxiv_id == search.arxiv_id))
        if search.url:
            checks.append(("url", _p.url == search.url))
        if search.title_norm and not checks:
            checks.append(("title", _p.title_norm == search.title_norm))
        for match, condition in checks:
            query = _ranked(sa.select(_p.id).where(condition, *where)).limit(limit)
            for paper_id in (await conn.scalars(query)).all():
                found.setdefault(paper_id, match)
        return found

    async def _full_text(
        self,
        conn: AsyncConnection,
        search: SearchPlan,
        where: list[sa.ColumnElement[bool]],
        limit: int,
    ) -> list[int]:
        ids = candidates(self._db.backend, search, where).subquery()
        query = sa.select(_p.id).where(_p.id.in_(sa.select(ids.c[0]))).order_by(_tier(search))
        return list((await conn.scalars(_ranked(query).limit(limit))).all())
