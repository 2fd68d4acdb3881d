"""The corpus (the shipped fixtures, and the full real one when present) on both backends:
idempotent import, and every paper found by id, URL and title; Korean phrases from summaries
find their paper."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from bot.models import Digest, Paper, normalize_title
from bot.sources.files import load_digest_file
from bot.store import Store
from bot.store.importer import digest_files, import_files
from tests.conftest import DigestCorpus
from tests.store.tables import dump_tables

CONCURRENCY = 4
HANGUL_WORD = re.compile(r"^[\uac00-\ud7a3]+$")


async def _all(checks: Sequence[Callable[[], Awaitable[str | None]]]) -> list[str]:
    """Run checks a few at a time; returns the failure messages."""
    failures: list[str] = []
    for start in range(0, len(checks), CONCURRENCY):
        results = await asyncio.gather(*(c() for c in checks[start : start + CONCURRENCY]))
        failures.extend(r for r in results if r is not None)
    return failures


def _corpus_papers(corpus_dir: Path) -> list[Paper]:
    digests: list[Digest] = [load_digest_file(p) for p in digest_files(corpus_dir)]
    return [p for d in digests for p in d.papers]


def _rank1(store: Store, query: str, key: str, match: str) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        hits = await store.searcher.search(query, limit=1)
        if not hits or hits[0].paper.key != key or hits[0].match != match:
            got = [(h.paper.key, h.match) for h in hits]
            return f"{query!r}: wanted {key} by {match}, got {got}"
        return None

    return check


def _found(store: Store, query: str, key: str) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        hits = await store.searcher.search(query, limit=10)
        if key not in [h.paper.key for h in hits]:
            return f"{query!r}: {key} not in {[h.paper.key for h in hits]}"
        return None

    return check


def _unique_korean_phrases(papers: list[Paper]) -> dict[str, str]:
    """One two-word Korean phrase per paper that no other paper's summary contains, from the
    summary the archive keeps (a paper summarized again on a later day keeps the newer one)."""
    phrases_of: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for paper in reversed(papers):
        seen = {
            f"{a} {b}"
            for bullet in paper.bullets
            for a, b in itertools.pairwise(bullet.casefold().split())
        }
        korean = sorted(
            p for p in seen if all(HANGUL_WORD.match(w) for w in p.split()) and len(p) >= 5
        )
        if paper.key not in phrases_of:
            phrases_of[paper.key] = korean
            counts.update(set(korean))
    chosen = {}
    for key, phrases in phrases_of.items():
        unique = [p for p in phrases if counts[p] == 1]
        if unique:
            # The longest: a short pair such as "생성 방법" is also inside "재생성 방법론".
            chosen[key] = max(unique, key=lambda p: (len(p), p))
    return chosen


@pytest.mark.timeout(600)
async def test_corpus_import_and_lookup(store: Store, corpus: DigestCorpus) -> None:
    files = digest_files(corpus.root)
    assert len(files) >= corpus.min_days
    first = await import_files(store, files)
    assert first.failures == []
    assert first.digests_changed == len(files)
    snapshot = await dump_tables(store)
    second = await import_files(store, files)
    assert (second.digests_changed, second.digests_unchanged) == (0, len(files))
    assert await dump_tables(store) == snapshot

    papers = _corpus_papers(corpus.root)
    assert len(papers) >= corpus.min_papers
    keys = {p.key for p in papers}
    assert await store.papers.count() == len(keys)

    by_key = {p.key: p for p in reversed(papers)}  # first sighting per paper
    title_owners = Counter(normalize_title(p.title) for p in by_key.values())
    checks = []
    for key, paper in by_key.items():
        if paper.arxiv_id:
            checks.append(_rank1(store, paper.arxiv_id, key, "arxiv_id"))
            checks.append(_rank1(store, f"https://arxiv.org/abs/{paper.arxiv_id}", key, "arxiv_id"))
            checks.append(
                _rank1(store, f"https://huggingface.co/papers/{paper.arxiv_id}", key, "arxiv_id")
            )
        if title_owners[normalize_title(paper.title)] == 1:
            checks.append(_rank1(store, paper.title, key, "title"))
    assert await _all(checks) == []

    phrases = _unique_korean_phrases(papers)
    assert len(phrases) > len(keys) * 0.9
    assert await _all([_found(store, q, key) for key, q in phrases.items()]) == []
