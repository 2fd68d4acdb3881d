"""Archive search on both backends over a small synthetic archive."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store import SearchFilters, Store
from tests.store.factories import DAY, digest, paper

MAPPER = paper(
    "2406.01234",
    title="ChunkMapper: Divide-and-Conquer Reading of Long Documents",
    votes=8,
    authors=("Mina Cho", "Theo Varga"),
    bullets=("긴 문서를 청크로 나누어 분할 정복 방식으로 처리합니다.", "모델의 성능이 향상됩니다."),
)
POPULAR = paper(
    "2406.05555",
    title="Scaling Laws for Everything",
    votes=300,
    authors=("Ivo Stark",),
    bullets=("Long documents and chunk mappers are discussed in passing.",),
)
TWIN = paper(
    "2406.07777",
    title="Long Document Chunking Revisited",
    votes=40,
    authors=("Lee Ahn",),
    bullets=("긴 입력을 다룹니다.",),
)
AI_PAPER = paper(
    "2406.09999",
    title="AI Agents in 3D Worlds",
    votes=2,
    date=DAY + dt.timedelta(days=30),
    authors=("Zoe Park",),
    bullets=("3D 환경의 AI 에이전트.",),
)


@pytest.fixture
async def archive(store: Store) -> Store:
    await store.writer.save(digest(MAPPER, POPULAR, TWIN))
    later = AI_PAPER.date
    await store.writer.save(digest(AI_PAPER, date=later))
    return store


async def _ids(store: Store, query: str, **kw: object) -> list[str | None]:
    hits = await store.searcher.search(query, **kw)  # type: ignore[arg-type]
    return [h.paper.arxiv_id for h in hits]


@pytest.mark.parametrize(
    "query",
    [
        "2406.01234",
        "2406.01234v3",
        "arXiv:2406.01234",
        "https://arxiv.org/abs/2406.01234",
        "https://arxiv.org/abs/2406.01234v2",
        "http://arxiv.org/pdf/2406.01234v1.pdf",
        "https://arxiv.org/pdf/2406.01234",
        "https://huggingface.co/papers/2406.01234",
        "https://huggingface.co/papers/2406.01234?utm=x#comments",
    ],
)
async def test_id_and_url_find_the_paper_first(archive: Store, query: str) -> None:
    hits = await archive.searcher.search(query)
    assert hits[0].paper.arxiv_id == "2406.01234"
    assert hits[0].match == "arxiv_id"


async def test_exact_title_beats_more_voted_text_matches(archive: Store) -> None:
    hits = await archive.searcher.search("long document chunking revisited")
    assert hits[0].paper.arxiv_id == "2406.07777"
    assert hits[0].match == "title"


async def test_title_matches_rank_above_summary_matches_then_votes(archive: Store) -> None:
    # "chunk" is in two titles and in POPULAR's summary only.
    assert await _ids(archive, "chunk") == ["2406.07777", "2406.01234", "2406.05555"]


async def test_partial_words_and_authors(archive: Store) -> None:
    assert await _ids(archive, "Mapper") == ["2406.01234", "2406.05555"]
    assert await _ids(archive, "varga") == ["2406.01234"]
    assert await _ids(archive, "theo varga") == ["2406.01234"]


async def test_korean_phrases_and_short_words(archive: Store) -> None:
    assert await _ids(archive, "분할 정복") == ["2406.01234"]
    assert await _ids(archive, "긴 문서") == ["2406.01234"]  # 문서 matches 문서를
    assert await _ids(archive, "모델") == ["2406.01234"]  # 모델 matches 모델의
    assert set(await _ids(archive, "긴")) == {"2406.01234", "2406.07777"}


async def test_short_english_terms_match_whole_word_prefixes(archive: Store) -> None:
    assert await _ids(archive, "AI") == ["2406.09999"]
    assert await _ids(archive, "3D") == ["2406.09999"]


async def test_filters(archive: Store) -> None:
    assert await _ids(archive, "chunk", filters=SearchFilters(min_votes=10)) == [
        "2406.07777",
        "2406.05555",
    ]
    june = SearchFilters(date_from=AI_PAPER.date)
    assert await _ids(archive, "3D", filters=june) == ["2406.09999"]
    assert await _ids(archive, "chunk", filters=june) == []
    before = SearchFilters(date_to=DAY)
    assert await _ids(archive, "2406.09999", filters=before) == []
    assert len(await _ids(archive, "chunk", limit=1)) == 1


HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    '"unterminated phrase',
    "*",
    "chunk*",
    "NEAR(chunk mapper)",
    "chunk OR 1=1",
    "chunk AND NOT mapper",
    "title:chunk",
    "{title}: chunk",
    "'; DROP TABLE papers; --",
    "%",
    "_",
    "100%_done\\",
    "^chunk",
    "a",
    "x" * 10_000,
    "분할 " * 2_000,
    "\x00\x01",
    "chunk\x00mapper",
    "-chunk",
    "(chunk",
    "chunk)",
    ":",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_error(archive: Store, query: str) -> None:
    hits = await archive.searcher.search(query)
    assert all(h.rank == i for i, h in enumerate(hits, 1))


async def test_fts_syntax_is_searched_literally(archive: Store) -> None:
    # If the quote or operators leaked into FTS syntax these would error or match everything.
    assert await _ids(archive, '"chunk mapper"') == ["2406.05555"]  # a phrase, adjacent words
    assert await _ids(archive, "chunk OR scaling") == []
    assert await _ids(archive, "divide-and-conquer") == ["2406.01234"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60))
async def test_any_text_is_a_valid_query(archive: Store, query: str) -> None:
    hits = await archive.searcher.search(query)
    assert len(hits) <= 10
