"""The SQL of archive search: index probes that find candidates, the tiers that rank them,
and the one statement that combines them (see bot.store.search for the ranking rules).

Statements depend only on a query's *shape* (backend, number of terms, which filters); every
value is a bound parameter. So each shape is built and compiled once per process, and
PostgreSQL can reuse the plan of a prepared statement instead of planning a large query anew.
Probes are capped at CANDIDATES rows each, so a query as broad as "model" costs about what a
precise one does. The expressions spell the index definitions of the migration exactly:
PostgreSQL only uses an expression index for the very same expression.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.store.engine import Backend
from bot.store.query import SearchPlan, Term, fts5_substring, fts5_words, tsquery_words
from bot.store.schema import papers

CANDIDATES = 300

_p = papers.c
_pg_names: sa.ColumnElement[str] = sa.literal_column(
    "(papers.search_title || ' ' || papers.search_authors)"
)
_simple: sa.ColumnElement[str] = sa.literal_column("'simple'::regconfig")
_LIKE_ESCAPE = "/"

Where = list[sa.ColumnElement[bool]]


def like_pattern(term: str) -> str:
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    min_votes: int | None = None

    def where(self) -> Where:
        """Conditions on bound parameters named after the fields that are set."""
        conditions: Where = []
        if self.date_from is not None:
            conditions.append(_p.first_seen >= sa.bindparam("date_from", type_=sa.Date))
        if self.date_to is not None:
            conditions.append(_p.first_seen <= sa.bindparam("date_to", type_=sa.Date))
        if self.min_votes is not None:
            conditions.append(_p.votes >= sa.bindparam("min_votes", type_=sa.Integer))
        return conditions

    def params(self) -> dict[str, Any]:
        fields = {"date_from": self.date_from, "date_to": self.date_to}
        return {k: v for k, v in {**fields, "min_votes": self.min_votes}.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Shape:
    """What a full-text statement depends on; equal shapes share one statement."""

    backend: Backend
    terms: int
    substring: bool
    filters: tuple[bool, bool, bool]

    @classmethod
    def of(cls, backend: Backend, search: SearchPlan, filters: SearchFilters) -> Shape:
        return cls(
            backend,
            len(search.terms),
            all(t.substring for t in search.terms),
            (
                filters.date_from is not None,
                filters.date_to is not None,
                filters.min_votes is not None,
            ),
        )


def full_text_params(
    shape: Shape, search: SearchPlan, filters: SearchFilters, limit: int
) -> dict[str, Any]:
    params: dict[str, Any] = {**filters.params(), "limit": limit, "phrase": search.phrase}
    for n, term in enumerate(search.terms):
        params[f"term_{n}"] = term.text
        params[f"like_{n}"] = like_pattern(term.text)
    phrase = Term(search.phrase, tuple(w for t in search.terms for w in t.words))
    if shape.backend is Backend.SQLITE:
        for prefix, name in ((False, "exact_q"), (True, "prefix_q")):
            params[name] = " AND ".join(f"({fts5_words(t, prefix=prefix)})" for t in search.terms)
        params["names_q"] = " AND ".join(fts5_substring(t) for t in search.terms)
        params["phrase_q"] = fts5_words(phrase, prefix=False)
    else:
        for prefix, name in ((False, "exact_q"), (True, "prefix_q")):
            params[name] = " & ".join(f"({tsquery_words(t, prefix=prefix)})" for t in search.terms)
        params["phrase_q"] = tsquery_words(phrase, prefix=False)
    return params


def _member(cte: sa.CTE) -> sa.ColumnElement[bool]:
    return _p.id.in_(sa.select(cte.c[0]))


class _Sql:
    """Builds the statement of one shape from bound parameters."""

    def __init__(self, shape: Shape, where: Where) -> None:
        self.shape = shape
        self.where = where
        self.limit = sa.bindparam("limit", type_=sa.Integer)
        self.terms = range(shape.terms)

    def contains(self, column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
        """The search_* columns and the terms are case-folded alike, so a plain substring
        test does; it is several times cheaper than ILIKE, which lowers every row."""
        position = sa.func.instr if self.shape.backend is Backend.SQLITE else sa.func.strpos
        return position(column, sa.bindparam(text, type_=sa.Text)) > 0

    def in_names(self, text: str) -> sa.ColumnElement[bool]:
        # Title and authors tested apart, never as the trigram index's expression: on a few
        # hundred candidates PostgreSQL must not plan an index scan of the whole table.
        return sa.or_(self.contains(_p.search_title, text), self.contains(_p.search_authors, text))

    def all_in_names(self) -> sa.ColumnElement[bool]:
        return sa.and_(*(self.in_names(f"term_{n}") for n in self.terms))

    def name_tier(self) -> sa.ColumnElement[int]:
        """0: every term in the title, 1: in title + authors, 2: not."""
        in_title = sa.and_(*(self.contains(_p.search_title, f"term_{n}") for n in self.terms))
        return sa.case((in_title, 0), (self.all_in_names(), 1), else_=2)

    @staticmethod
    def cap(gate: sa.ColumnElement[bool] | None) -> int | sa.ColumnElement[int]:
        """SQLite: the probe's row cap, zero when its gate is false. In LIMIT the gate is
        evaluated before the scan starts; in WHERE, SQLite would test it per row, after FTS5
        had done all the work, and never reach the cap."""
        return CANDIDATES if gate is None else sa.case((gate, CANDIDATES), else_=0)

    @staticmethod
    def gated(gate: sa.ColumnElement[bool] | None) -> Where:
        """PostgreSQL: the gate as a condition, which it evaluates once before the scan (a
        LIMIT it cannot know would make it plan for every matching row)."""
        return [] if gate is None else [gate]

    def fts5(self, table: str, match: str, gate: sa.ColumnElement[bool] | None) -> sa.Select[int]:
        """Newest matches first: FTS5 walks its index in rowid order and stops at the cap."""
        fts = sa.table(table, sa.column("rowid"))
        condition = sa.literal_column(table).op("MATCH")(sa.bindparam(match, type_=sa.Text))
        return (
            sa.select(fts.c.rowid)
            .join(papers, _p.id == fts.c.rowid)
            .where(condition, *self.where)
            .order_by(fts.c.rowid.desc())
            .limit(self.cap(gate))
        )

    def word_probe(self, query: str, gate: sa.ColumnElement[bool] | None) -> sa.Select[int]:
        """Papers where every term is a run of words (or of word prefixes) anywhere."""
        if self.shape.backend is Backend.SQLITE:
            return self.fts5("paper_words", query, gate)
        tsquery = sa.func.to_tsquery(_simple, sa.bindparam(query, type_=sa.Text))
        condition = _p.search_words.op("@@")(tsquery)
        return sa.select(_p.id).where(condition, *self.where, *self.gated(gate)).limit(CANDIDATES)

    def phrase_probe(self, gate: sa.ColumnElement[bool], exact: sa.CTE) -> sa.Select[int]:
        """Papers with all the query's words as one phrase. FTS5 answers from its positions;
        PostgreSQL must read each candidate's tsvector to check adjacency, so it checks only
        the whole-word matches (a phrase of whole words is among them), never an index's
        worth of rows that share the words."""
        if self.shape.backend is Backend.SQLITE:
            return self.fts5("paper_words", "phrase_q", gate)
        tsquery = sa.func.to_tsquery(_simple, sa.bindparam("phrase_q", type_=sa.Text))
        condition = _p.search_words.op("@@")(tsquery)
        return sa.select(_p.id).where(_member(exact), condition, gate)

    def name_probe(self, gate: sa.ColumnElement[bool]) -> sa.Select[int]:
        """Papers where every term is a substring of the title or authors (trigrams)."""
        if self.shape.backend is Backend.SQLITE:
            return self.fts5("paper_names", "names_q", gate)
        like = (sa.bindparam(f"like_{n}", type_=sa.Text) for n in self.terms)
        conditions = [_pg_names.like(pattern, escape=_LIKE_ESCAPE) for pattern in like]
        gated = [*conditions, *self.where, *self.gated(gate)]
        return sa.select(_p.id).where(*gated).limit(CANDIDATES)


def _count(query: sa.Select[Any]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(query.subquery()).scalar_subquery()


def _ids(*ctes: sa.CTE) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    selects = [sa.select(cte.c[0]) for cte in ctes]
    return selects[0] if len(selects) == 1 else sa.union(*selects)


def _cte(query: sa.Select[Any] | sa.CompoundSelect[Any], name: str) -> sa.CTE:
    return query.cte(name).prefix_with("MATERIALIZED")


def full_text(shape: Shape, where: Where) -> sa.Select[Any]:
    """The best `limit` papers for the terms, in one statement that does no more than needed.

    Candidates, cheapest evidence first: papers with the terms as whole words; then as word
    prefixes, only if whole words leave the top `limit` short; then as substrings of titles
    and authors (trigrams), only if fewer than `limit` candidates have every term in their
    names. Both backends evaluate such a gate once and skip the probe behind it when false.

    Ranking reads titles and authors (short) but never the summaries: whether the words stand
    in a paper as one phrase, as whole words or only as prefixes is what the word index
    already said, so the tiers below the names come from probe membership. A phrase probe
    runs only for several terms, and only when the names leave room in the top `limit`.
    """
    sql = _Sql(shape, where)
    exact = _cte(sql.word_probe("exact_q", None), "exact_words")
    # Word prefixes are the fallback for when whole words do not fill the page: they rank
    # below whole words, and papers whose names hold a 3+ character term come from the
    # trigram probe anyway. Gathering them costs the most (every word with that beginning).
    room = _count(sa.select(exact.c[0])) < sql.limit
    words = _cte(_ids(exact, _cte(sql.word_probe("prefix_q", room), "word_prefixes")), "words")
    named = sql.all_in_names()
    named_words = _cte(sa.select(sa.func.count().label("n")).where(_member(words), named), "named")
    enough: sa.ColumnElement[int] = sa.select(named_words.c.n).scalar_subquery()
    pool = words
    if shape.substring:
        names = _cte(sql.name_probe(enough < sql.limit), "names")
        pool = _cte(_ids(words, names), "pool")
        # Every paper the trigram probe found has the terms in its names.
        enough = enough + _count(sa.select(names.c[0]))
    tiers: list[tuple[sa.ColumnElement[bool], int]] = [(sa.or_(named, enough >= sql.limit), 0)]
    if shape.terms > 1:  # the words as typed, together, beat the words scattered
        phrase = _cte(sql.phrase_probe(enough < sql.limit, exact), "phrase")
        tiers.append((_member(phrase), 1))
    tiers.append((_member(exact), len(tiers)))
    body = sa.case(*tiers, else_=len(tiers))
    query = sa.select(_p.id).where(_member(pool))
    order = (_p.votes.desc().nulls_last(), _p.first_seen.desc(), _p.id.desc())
    return query.order_by(sql.name_tier(), body, *order).limit(sql.limit)
