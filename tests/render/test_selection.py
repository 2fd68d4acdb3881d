"""Top N, minimum votes and keywords: stable, and unknown votes handled on purpose."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.compose.selection import Selection, matches_keywords, rank_papers, select_papers
from bot.models import Paper
from tests.render.samples import paper


def numbered(votes: list[int | None]) -> list[Paper]:
    return [paper(title=f"P{n}", arxiv_id=f"2403.{n:05d}", votes=v) for n, v in enumerate(votes)]


def titles(papers: list[Paper]) -> list[str]:
    return [p.title for p in papers]


def test_rank_by_votes_ties_in_source_order_unknown_last() -> None:
    papers = numbered([3, None, 9, 3, None, 9, 0])
    assert titles(rank_papers(papers)) == ["P2", "P5", "P0", "P3", "P6", "P1", "P4"]


def test_top_n() -> None:
    papers = numbered([1, 5, 3])
    assert titles(select_papers(papers, Selection(top_n=2))) == ["P1", "P2"]
    assert select_papers(papers, Selection(top_n=0)) == []
    assert len(select_papers(papers, Selection(top_n=10))) == 3


def test_min_votes_and_unknown_votes() -> None:
    papers = numbered([None, 10, 9, None])
    assert titles(select_papers(papers, Selection(min_votes=10))) == ["P1"]
    assert titles(select_papers(papers, Selection(min_votes=1))) == ["P1", "P2"]
    assert titles(select_papers(papers, Selection(min_votes=0))) == ["P1", "P2", "P0", "P3"]


def test_top_n_applies_after_filters() -> None:
    papers = numbered([50, 1, 40, 30])
    chosen = select_papers(papers, Selection(top_n=2, min_votes=35))
    assert titles(chosen) == ["P0", "P2"]


def test_duplicates_keep_the_best_ranked_copy() -> None:
    a = paper(arxiv_id="2403.1", votes=3)
    b = paper(arxiv_id="2403.1", votes=8)
    assert rank_papers([a, b]) == [b]


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="top_n"):
        Selection(top_n=-1)
    with pytest.raises(ValueError, match="min_votes"):
        Selection(min_votes=-1)


@pytest.mark.parametrize(
    ("keyword", "hit"),
    [
        ("tiny experts", True),  # title, case-insensitive
        ("LATENCY", True),  # bullet
        ("ＰＨＯＮＥ", True),  # full-width folds to ASCII
        ("hone", False),  # Latin keywords start a word
        ("experts for", True),
        ("  ", True),  # blank keywords filter nothing
        ("quantum", False),
    ],
)
def test_keyword_matching(keyword: str, hit: bool) -> None:
    assert matches_keywords(paper(), [keyword]) is hit


def test_keyword_matching_in_hangul_and_abstract() -> None:
    korean = paper(title="언어모델의 추론", bullets=("모델은 강합니다.",), abstract="Straße data")
    assert matches_keywords(korean, ["모델"])  # inside a compound and before a particle
    assert matches_keywords(korean, ["STRASSE"])  # casefold
    assert not matches_keywords(korean, ["비전"])


def test_keywords_any_of() -> None:
    papers = [paper(title="Vision transformers", arxiv_id="1"), paper(title="Speech", arxiv_id="2")]
    chosen = select_papers(papers, Selection(keywords=("speech", "audio")))
    assert titles(chosen) == ["Speech"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 20)), max_size=30),
    st.one_of(st.none(), st.integers(0, 40)),
    st.integers(0, 25),
)
def test_selection_properties(votes: list[int | None], top_n: int | None, min_votes: int) -> None:
    papers = numbered(votes)
    chosen = select_papers(papers, Selection(top_n=top_n, min_votes=min_votes))
    if top_n is not None:
        assert len(chosen) <= top_n
    known = [p.votes for p in chosen if p.votes is not None]
    assert known == sorted(known, reverse=True)
    seen_unknown = False
    for item in chosen:
        if item.votes is None:
            seen_unknown = True
            assert min_votes == 0
        else:
            assert not seen_unknown
            assert item.votes >= min_votes
    # Deterministic: the same input always gives the same post.
    assert chosen == select_papers(list(papers), Selection(top_n=top_n, min_votes=min_votes))
