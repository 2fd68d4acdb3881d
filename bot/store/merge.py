"""How sightings of one paper from several sources and days fold into one row (pure).

Rules, chosen so the result does not depend on import order wherever it reasonably can:
first-seen/last-seen span every sighting; the current vote count is the one from the latest
digest day (ties: the latest sighting); a complete author list beats a cut one, a longer beats
a shorter; missing media, links, organisation or submitter are filled in; each (source,
language) summary is replaced by a newer non-empty one and never erased by an empty one.

A paper first seen without an arXiv id is keyed by its title; the first sighting with an id
(and the same normalized title) makes it that id's paper: key, arXiv id, title and URL come
from that sighting, as they would had it come first, and everything else is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from bot.models import Account, Media, Paper, SourceKind, normalize_title
from bot.store.words import split_words


@dataclass(frozen=True, slots=True)
class SummaryState:
    bullets: tuple[str, ...]
    abstract: str | None


@dataclass(frozen=True, slots=True)
class PaperState:
    """A paper row's mutable content, in Python terms."""

    key: str
    arxiv_id: str | None
    title: str
    url: str
    authors: tuple[str, ...]
    authors_truncated: bool
    media: Media | None
    github_url: str | None
    project_url: str | None
    keywords: tuple[str, ...]
    first_seen: dt.date
    last_seen: dt.date
    votes: int | None
    votes_date: dt.date | None
    summaries: dict[tuple[SourceKind, str], SummaryState] = field(default_factory=dict)
    organization: Account | None = None
    submitter: Account | None = None

    @property
    def title_norm(self) -> str:
        return normalize_title(self.title)

    @property
    def search_title(self) -> str:
        """Case-folded (as search_authors and search_body): search tests substrings with
        instr/strpos, far cheaper than ILIKE, which lowers every row it looks at."""
        return self.title.casefold()

    @property
    def search_authors(self) -> str:
        return ", ".join(self.authors).casefold()

    @property
    def search_body(self) -> str:
        """All summaries as one case-folded text, sorted so the text is the same whatever
        arrived first."""
        parts: list[str] = []
        for source_lang in sorted(self.summaries):
            summary = self.summaries[source_lang]
            parts.extend(summary.bullets)
            if summary.abstract:
                parts.append(summary.abstract)
        return "\n".join(parts).casefold()

    @property
    def search_words(self) -> str:
        return " ".join(split_words(f"{self.title}\n{self.search_authors}\n{self.search_body}"))


def _summary_of(paper: Paper) -> SummaryState | None:
    if not paper.bullets and not paper.abstract:
        return None
    return SummaryState(paper.bullets, paper.abstract)


def new_state(paper: Paper) -> PaperState:
    summary = _summary_of(paper)
    return PaperState(
        key=paper.key,
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        url=paper.arxiv_url or paper.url,
        authors=paper.authors,
        authors_truncated=paper.authors_truncated,
        media=paper.media,
        github_url=paper.github_url,
        project_url=paper.project_url,
        keywords=paper.keywords,
        first_seen=paper.date,
        last_seen=paper.date,
        votes=paper.votes,
        votes_date=paper.date if paper.votes is not None else None,
        summaries={(paper.source, paper.language): summary} if summary else {},
        organization=paper.organization,
        submitter=paper.submitter,
    )


def _better_authors(
    current: tuple[tuple[str, ...], bool], seen: tuple[tuple[str, ...], bool]
) -> tuple[tuple[str, ...], bool]:
    (cur, cur_cut), (new, new_cut) = current, seen
    if not new:
        return current
    if not cur:
        return seen
    # Complete lists first, then longer ones.
    return seen if (not new_cut, len(new)) > (not cur_cut, len(cur)) else current


def merge(state: PaperState, paper: Paper) -> PaperState:
    """`state` with one more sighting folded in."""
    authors, truncated = _better_authors(
        (state.authors, state.authors_truncated), (paper.authors, paper.authors_truncated)
    )
    votes, votes_date = state.votes, state.votes_date
    if paper.votes is not None and (votes_date is None or paper.date >= votes_date):
        votes, votes_date = paper.votes, paper.date
    summaries = dict(state.summaries)
    summary = _summary_of(paper)
    if summary is not None:
        summaries[(paper.source, paper.language)] = summary
    keywords = state.keywords + tuple(k for k in paper.keywords if k not in state.keywords)
    if state.arxiv_id is None and paper.arxiv_id:
        state = replace(
            state,
            key=paper.arxiv_id,
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            url=paper.arxiv_url or paper.url,
        )
    return replace(
        state,
        title=state.title or paper.title,
        authors=authors,
        authors_truncated=truncated,
        media=state.media or paper.media,
        github_url=state.github_url or paper.github_url,
        project_url=state.project_url or paper.project_url,
        keywords=keywords,
        first_seen=min(state.first_seen, paper.date),
        last_seen=max(state.last_seen, paper.date),
        votes=votes,
        votes_date=votes_date,
        summaries=summaries,
        organization=state.organization or paper.organization,
        submitter=state.submitter or paper.submitter,
    )
