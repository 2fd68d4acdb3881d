"""Which papers of a digest a channel gets, in which order: the subscription's top N,
minimum votes and keywords.

Ranking is by votes, highest first; ties keep the digest's own order, so the same digest
always yields the same post. A paper with unknown votes (`Vote: -`, feeds) is ranked after
every known one, and passes a vote threshold only when the threshold is 0: "at least 10
votes" must not let in papers nobody counted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from bot.models import Paper

_SPACES = regex.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Selection:
    top_n: int | None = None
    """None: no limit."""
    min_votes: int = 0
    keywords: tuple[str, ...] = ()
    """Any one matching is enough; empty means no keyword filter."""

    def __post_init__(self) -> None:
        if self.top_n is not None and self.top_n < 0:
            raise ValueError(f"top_n must be >= 0, got {self.top_n}")
        if self.min_votes < 0:
            raise ValueError(f"min_votes must be >= 0, got {self.min_votes}")


def _fold(text: str) -> str:
    """Compatibility-normalized, case-folded, single-spaced: "ＬＬＭｓ" finds "llm"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    collapsed: str = _SPACES.sub(" ", folded)
    return collapsed.strip()


def _keyword_pattern(keyword: str) -> regex.Pattern[str] | None:
    """A Latin keyword must start a word ("RL" is not in "world"); Hangul and other
    scripts that glue particles or compounds to words match anywhere."""
    folded = _fold(keyword)
    if not folded:
        return None
    prefix = r"(?<!\w)" if folded[0].isascii() and folded[0].isalnum() else ""
    return regex.compile(prefix + regex.escape(folded))


def _haystack(paper: Paper) -> str:
    parts = [paper.title, *paper.bullets, paper.abstract or "", *paper.keywords]
    return _fold("\n".join(parts))


def _patterns(keywords: Iterable[str]) -> list[regex.Pattern[str]]:
    return [p for p in (_keyword_pattern(k) for k in keywords) if p is not None]


def _matches(paper: Paper, patterns: Sequence[regex.Pattern[str]]) -> bool:
    if not patterns:
        return True
    haystack = _haystack(paper)
    return any(pattern.search(haystack) for pattern in patterns)


def matches_keywords(paper: Paper, keywords: Iterable[str]) -> bool:
    """Whether any keyword occurs in the title, summary bullets, abstract or tags."""
    return _matches(paper, _patterns(keywords))


def passes_min_votes(paper: Paper, min_votes: int) -> bool:
    if paper.votes is None:
        return min_votes <= 0
    return paper.votes >= min_votes


def rank_papers(papers: Iterable[Paper]) -> list[Paper]:
    """Most votes first, unknown votes last, ties in source order; one entry per paper key
    (a digest appended twice upstream lists papers twice), the best-ranked one kept."""
    indexed = list(enumerate(papers))
    indexed.sort(key=lambda item: (item[1].votes is None, -(item[1].votes or 0), item[0]))
    seen: set[str] = set()
    ranked: list[Paper] = []
    for _, paper in indexed:
        if paper.key in seen:
            continue
        seen.add(paper.key)
        ranked.append(paper)
    return ranked


def select_papers(papers: Sequence[Paper], selection: Selection | None = None) -> list[Paper]:
    """The papers a subscription gets, best first."""
    selection = selection or Selection()
    patterns = _patterns(selection.keywords)
    chosen: list[Paper] = []
    for paper in rank_papers(papers):
        if selection.top_n is not None and len(chosen) >= selection.top_n:
            break
        if not passes_min_votes(paper, selection.min_votes):
            continue
        if not _matches(paper, patterns):
            continue
        chosen.append(paper)
    return chosen
