"""Search against a brute-force reading of the same archive, on both backends.

The archive is small (60 papers over a 40-word vocabulary), so every query stays under the
candidate caps and the index-driven search must agree exactly with plain string tests: every
paper with the text in its names or at a word's start in its summary comes back, name
matches before summary-only ones, and nothing else.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Paper
from bot.store import Store
from bot.store.words import split_words
from tests.store.factories import digest, paper

VOCABULARY = [
    "sparse", "gated", "experts", "retrieval", "diffusion", "transformer", "agents", "vision",
    "language", "reasoning", "memory", "routers", "scaling", "laws", "tokens", "alignment",
    "reward", "policy", "graphs", "speech", "video", "motion", "robots", "planning", "search",
    "chunks", "mapper", "caching", "kernels", "quantized", "pruning", "distilled", "sparsity",
    "attention", "decoding", "sampling", "latent", "editing", "fusion", "benchmark",
]  # fmt: skip
SURNAMES = ["Quill", "Ramsey", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Petrov", "Haddad"]
LIMIT = 100


def _archive(seed: int = 11) -> list[Paper]:
    rng = random.Random(seed)
    papers = []
    for n in range(60):
        title = " ".join(w.capitalize() for w in rng.sample(VOCABULARY, rng.randint(2, 5)))
        authors = tuple(f"Ada {rng.choice(SURNAMES)}" for _ in range(rng.randint(1, 3)))
        body = " ".join(rng.sample(VOCABULARY, 6))
        papers.append(
            paper(
                f"2405.{n:05d}",
                title=title,
                votes=rng.randint(0, 50),
                authors=authors,
                bullets=(f"{body}.",),
            )
        )
    return papers


PAPERS = _archive()


def _in_names(p: Paper, text: str) -> bool:
    return text in p.title.casefold() or text in ", ".join(p.authors).casefold()


def _in_summary(p: Paper, text: str) -> bool:
    return any(w.startswith(text) for w in split_words(" ".join(p.bullets)))


@pytest.fixture
async def archive(store: Store) -> Store:
    await store.writer.save(digest(*PAPERS))
    return store


queries = st.one_of(
    st.sampled_from(VOCABULARY),
    st.sampled_from([s.casefold() for s in SURNAMES]),
    # Pieces of words: mid-word in names, word beginnings in summaries.
    st.tuples(st.sampled_from(VOCABULARY), st.integers(0, 3), st.integers(3, 6)).map(
        lambda t: t[0][t[1] : t[1] + t[2]]
    ),
).filter(lambda q: len(q) >= 3)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(queries)
async def test_search_agrees_with_plain_string_tests(archive: Store, query: str) -> None:
    hits = await archive.searcher.search(query, limit=LIMIT)
    by_id = {p.arxiv_id: p for p in PAPERS}
    found = [by_id[h.paper.arxiv_id] for h in hits]
    named = {p.arxiv_id for p in PAPERS if _in_names(p, query)}
    assert named <= {p.arxiv_id for p in found}
    # Every name match ranks above every summary-only match.
    flags = [_in_names(p, query) for p in found]
    assert flags == sorted(flags, reverse=True)
    # Everything that matches comes back (the archive is under every cap), nothing else.
    in_summary = {p.arxiv_id for p in PAPERS if _in_summary(p, query)}
    assert {p.arxiv_id for p in found} == named | in_summary
