"""Saving a digest: papers merged and upserted, summaries, vote history, the day's order.

One transaction per digest, a handful of statements whatever its size (bulk executemany), so
imports run at thousands of papers per second. A digest whose content hash is unchanged is
skipped outright, which is what makes re-imports and re-polls change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Digest, Paper
from bot.store.engine import Backend, Database
from bot.store.merge import PaperState, merge, new_state
from bot.store.papers import chunks, load_states
from bot.store.rows import FetchValidators, SaveResult
from bot.store.schema import digest_papers, digests, paper_summaries, paper_votes, papers


def content_hash(digest: Digest) -> str:
    """Equal for equal digests: the models are frozen dataclasses of plain values, whose
    repr is deterministic (and several times cheaper than JSON for a whole digest)."""
    body = repr((digest.language, digest.papers))
    return hashlib.sha256(body.encode()).hexdigest()


# PostgreSQL parses our own word split (bot.store.words) into the stored tsvector once, here.
_WORDS_TEXT = "words_text"
_TSVECTOR = sa.func.to_tsvector(
    sa.literal_column("'simple'::regconfig"), sa.bindparam(_WORDS_TEXT, type_=sa.Text)
)


def _columns(state: PaperState, *, words: bool) -> dict[str, Any]:
    extra = {_WORDS_TEXT: state.search_words} if words else {}
    return {
        **extra,
        "key": state.key,
        "arxiv_id": state.arxiv_id,
        "title": state.title,
        "title_norm": state.title_norm,
        "url": state.url,
        "authors": list(state.authors),
        "authors_truncated": state.authors_truncated,
        "search_title": state.search_title,
        "search_authors": state.search_authors,
        "search_body": state.search_body,
        "media_kind": state.media.kind.value if state.media else None,
        "media_url": state.media.url if state.media else None,
        "github_url": state.github_url,
        "project_url": state.project_url,
        "keywords": list(state.keywords),
        "first_seen": state.first_seen,
        "last_seen": state.last_seen,
        "votes": state.votes,
        "votes_date": state.votes_date,
    }


class _Batch:
    """The merged outcome of a batch of digests, computed before anything is written.

    Vote changes are recorded as each sighting folds in, so a batch holds the same history as
    saving its digests one by one would.
    """

    def __init__(self, existing: dict[str, tuple[int, PaperState]]) -> None:
        self.existing = existing
        self.states: dict[str, PaperState] = {}
        self.vote_changes: list[tuple[str, int]] = []

    def add(self, paper: Paper) -> None:
        key = paper.key
        current = self.states.get(key) or (self.existing[key][1] if key in self.existing else None)
        state = new_state(paper) if current is None else merge(current, paper)
        if state.votes is not None and (current is None or state.votes != current.votes):
            self.vote_changes.append((key, state.votes))
        self.states[key] = state


async def _existing(
    conn: AsyncConnection, keys: Sequence[str]
) -> dict[str, tuple[int, PaperState]]:
    found: dict[str, tuple[int, PaperState]] = {}
    for part in chunks(keys):
        states = await load_states(conn, papers.c.key.in_(part))
        found.update({s.key: (i, s) for i, s in states.items()})
    return found


_DIGEST_UPDATED = ("language", "origin", "etag", "last_modified", "fetched_at", "content_hash")
_Upload = tuple[Digest, FetchValidators | None]


class DigestWriter:
    """Saves digests; `save_many` is the bulk path imports use (one transaction per call)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Only PostgreSQL's word index reads search_words (see bot.store.words).
        self._words = db.backend is Backend.POSTGRES
        insert_digest = db.insert(digests)
        self._upsert_digest = insert_digest.on_conflict_do_update(
            index_elements=["source", "date"],
            set_={c: insert_digest.excluded[c] for c in _DIGEST_UPDATED},
        ).returning(digests.c.id, digests.c.source, digests.c.date)
        insert_summary = db.insert(paper_summaries)
        self._upsert_summary = insert_summary.on_conflict_do_update(
            index_elements=["paper_id", "source", "language"],
            set_={c: insert_summary.excluded[c] for c in ("bullets", "abstract", "updated_at")},
        )
        self._insert_paper = (
            db.insert(papers)
            .values(self._words_value())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(papers.c.id, papers.c.key)
        )

    def _words_value(self) -> dict[str, Any]:
        return {"search_words": _TSVECTOR} if self._words else {}

    async def save(
        self,
        digest: Digest,
        *,
        validators: FetchValidators | None = None,
        now: dt.datetime | None = None,
    ) -> SaveResult:
        return await self._save([(digest, validators)], now or dt.datetime.now(dt.UTC))

    async def save_many(
        self, batch: Sequence[Digest], *, now: dt.datetime | None = None
    ) -> SaveResult:
        return await self._save([(d, None) for d in batch], now or dt.datetime.now(dt.UTC))

    async def _save(self, uploads: Sequence[_Upload], now: dt.datetime) -> SaveResult:
        # The last upload of a (source, date) wins, as if they had been saved in turn.
        latest = {(d.source.value, d.date): (d, v, content_hash(d)) for d, v in uploads}
        async with self._db.write() as conn:
            stored = await self._stored_hashes(conn, list(latest))
            changed = [
                (d, v, h) for k, (d, v, h) in latest.items() if stored.get(k, (0, ""))[1] != h
            ]
            touched = [
                {"_id": stored[k][0], "etag": v.etag, "last_modified": v.last_modified}
                for k, (_, v, h) in latest.items()
                if v is not None and stored.get(k, (0, ""))[1] == h
            ]
            if touched:
                await conn.execute(
                    digests.update()
                    .where(digests.c.id == sa.bindparam("_id"))
                    .values(etag=sa.bindparam("etag"), last_modified=sa.bindparam("last_modified")),
                    touched,
                )
            if not changed:
                return SaveResult(0, len(latest), 0, 0, 0)
            return await self._write(conn, changed, now, unchanged=len(latest) - len(changed))

    async def _stored_hashes(
        self, conn: AsyncConnection, keys: list[tuple[str, dt.date]]
    ) -> dict[tuple[str, dt.date], tuple[int, str]]:
        found: dict[tuple[str, dt.date], tuple[int, str]] = {}
        for part in chunks(keys):
            query = sa.select(
                digests.c.id, digests.c.source, digests.c.date, digests.c.content_hash
            )
            query = query.where(
                digests.c.date.in_({d for _, d in part}),
                digests.c.source.in_({s for s, _ in part}),
            )
            for row in (await conn.execute(query)).all():
                found[(row.source, row.date)] = (row.id, row.content_hash)
        return found

    async def _write(
        self,
        conn: AsyncConnection,
        changed: Sequence[tuple[Digest, FetchValidators | None, str]],
        now: dt.datetime,
        *,
        unchanged: int,
    ) -> SaveResult:
        keys = list(dict.fromkeys(p.key for d, _, _ in changed for p in d.papers))
        batch = _Batch(await _existing(conn, keys))
        for digest, _, _ in changed:
            for paper in digest.papers:
                batch.add(paper)
        ids = await self._insert_papers(conn, batch, now)
        updates = [
            {**_columns(state, words=self._words), "_id": batch.existing[key][0], "updated_at": now}
            for key, state in batch.states.items()
            if key in batch.existing and batch.existing[key][1] != state
        ]
        if updates:
            stmt = (
                papers.update()
                .where(papers.c.id == sa.bindparam("_id"))
                .values(
                    {
                        **{c: sa.bindparam(c) for c in updates[0] if c not in ("_id", _WORDS_TEXT)},
                        **self._words_value(),
                    }
                )
            )
            await conn.execute(stmt, updates)
        if batch.vote_changes:
            await conn.execute(
                paper_votes.insert(),
                [
                    {"paper_id": ids[k], "observed_at": now, "votes": v}
                    for k, v in batch.vote_changes
                ],
            )
        await self._write_summaries(conn, batch, ids, now)
        await self._write_digests(conn, changed, ids, now)
        return SaveResult(
            digests_changed=len(changed),
            digests_unchanged=unchanged,
            papers_inserted=len(keys) - len(batch.existing),
            papers_updated=len(updates),
            vote_changes=len(batch.vote_changes),
        )

    async def _insert_papers(
        self, conn: AsyncConnection, batch: _Batch, now: dt.datetime
    ) -> dict[str, int]:
        ids = {key: pid for key, (pid, _) in batch.existing.items()}
        inserts = [
            {**_columns(s, words=self._words), "created_at": now, "updated_at": now}
            for k, s in batch.states.items()
            if k not in batch.existing
        ]
        if not inserts:
            return ids
        for pid, key in (await conn.execute(self._insert_paper, inserts)).all():
            ids[key] = pid
        missing = [r["key"] for r in inserts if r["key"] not in ids]
        if missing:  # another process inserted them meanwhile; its row stands
            for part in chunks(missing):
                result = await conn.execute(
                    sa.select(papers.c.id, papers.c.key).where(papers.c.key.in_(part))
                )
                ids.update({key: pid for pid, key in result.all()})
        return ids

    async def _write_summaries(
        self, conn: AsyncConnection, batch: _Batch, ids: dict[str, int], now: dt.datetime
    ) -> None:
        rows = []
        for key, state in batch.states.items():
            before = batch.existing[key][1].summaries if key in batch.existing else {}
            for (source, language), summary in state.summaries.items():
                if before.get((source, language)) != summary:
                    rows.append(
                        {
                            "paper_id": ids[key],
                            "source": source.value,
                            "language": language,
                            "bullets": list(summary.bullets),
                            "abstract": summary.abstract,
                            "updated_at": now,
                        }
                    )
        if rows:
            await conn.execute(self._upsert_summary, rows)

    async def _write_digests(
        self,
        conn: AsyncConnection,
        changed: Sequence[tuple[Digest, FetchValidators | None, str]],
        ids: dict[str, int],
        now: dt.datetime,
    ) -> None:
        rows = [
            {
                "source": digest.source.value,
                "date": digest.date,
                "language": digest.language,
                "origin": digest.origin,
                "etag": validators.etag if validators else None,
                "last_modified": validators.last_modified if validators else None,
                "fetched_at": now,
                "content_hash": digest_hash,
            }
            for digest, validators, digest_hash in changed
        ]
        result = await conn.execute(self._upsert_digest, rows)
        digest_ids = {(source, date): did for did, source, date in result.all()}
        await conn.execute(
            digest_papers.delete().where(digest_papers.c.digest_id.in_(list(digest_ids.values())))
        )
        order = [
            {
                "digest_id": digest_ids[(digest.source.value, digest.date)],
                "position": position,
                "paper_id": ids[paper.key],
                "votes": paper.votes,
            }
            for digest, _, _ in changed
            for position, paper in enumerate(digest.papers)
        ]
        if order:
            await conn.execute(digest_papers.insert(), order)
