"""Archive search for `/paper` and `papers-bot search`.

Order of results: the paper named by an arXiv id or URL, then papers whose title is exactly
the query, then full-text matches ranked by relevance tier (every term in the title, then in
title + authors, then the query's words as one phrase anywhere, summaries included, then every
term as whole words anywhere, then only as word beginnings) and, within a tier, by votes and
recency. Tiers beat a tf-idf score here because people look papers up by name: a paper *about*
the words outranks one that mentions them, and among equals the community's votes are the
better signal.

Titles and authors match by substring, so partial words work there: FTS5 trigram on SQLite,
pg_trgm on PostgreSQL (terms of 3+ characters). Summaries match by words and word
beginnings (FTS5 unicode61 / a `simple` tsvector), which also serves Korean, where particles
are glued onto words: 모델 ("model") finds 모델을 and 모델의.

Full text is one SQL statement (bot.store.probes) that gathers candidates cheapest evidence
first and never reads the long summaries; the whole search runs as one read on the store's
reader connections (bot.store.reader), so it pays one hand-off, not one per statement.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.store.engine import Database
from bot.store.papers import read_papers
from bot.store.probes import SearchFilters, Shape, Where, full_text, full_text_params
from bot.store.query import SearchPlan, plan
from bot.store.rows import SearchHit
from bot.store.schema import papers

DEFAULT_LIMIT = 10
MAX_LIMIT = 100

_p = papers.c


def _ranked(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.order_by(_p.votes.desc().nulls_last(), _p.first_seen.desc(), _p.id.desc())


class Searcher:
    def __init__(self, db: Database) -> None:
        self._db = db
        # One statement per query shape, built on first use (see bot.store.probes). Reader
        # threads may build one shape twice at worst; the dict stays consistent.
        self._statements: dict[Shape, sa.Select[Any]] = {}

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
        return await self._db.run_read(self._run, search, filters or SearchFilters(), limit)

    def _run(
        self, conn: Connection, search: SearchPlan, filters: SearchFilters, limit: int
    ) -> list[SearchHit]:
        found = self._lookups(conn, search, filters, limit)
        if search.terms and not found:
            for paper_id in self._full_text(conn, search, filters, limit):
                found.setdefault(paper_id, "text")
        ids = list(found)[:limit]
        loaded = read_papers(conn, ids)
        return [SearchHit(rank, found[i], loaded[i]) for rank, i in enumerate(ids, 1)]

    def _lookups(
        self, conn: Connection, search: SearchPlan, filters: SearchFilters, limit: int
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
        where: Where = filters.where()
        for match, condition in checks:
            query = _ranked(sa.select(_p.id).where(condition, *where)).limit(limit)
            for paper_id in conn.scalars(query, filters.params()).all():
                found.setdefault(paper_id, match)
        return found

    def _full_text(
        self, conn: Connection, search: SearchPlan, filters: SearchFilters, limit: int
    ) -> list[int]:
        shape = Shape.of(self._db.backend, search, filters)
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = full_text(shape, filters.where())
        params = full_text_params(shape, search, filters, limit)
        return list(conn.scalars(statement, params).all())


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "SearchFilters", "Searcher"]
