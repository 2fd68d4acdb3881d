"""Typed values the store hands out, so callers never see driver rows.

These are snapshots: changing one changes nothing in the database; callers go through the
store functions, which keep the invariants (unique keys, vote history, outbox states).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import (
    Account,
    ChannelKind,
    ChannelRef,
    Media,
    Paper,
    SourceKind,
    name_key,
    normalize_title,
    title_key,
)


class DeliveryState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in-flight"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class DeliveryKind(StrEnum):
    DIGEST = "digest"
    PAPER = "paper"
    ALERT = "alert"


@dataclass(frozen=True, slots=True)
class Summary:
    source: SourceKind
    language: str
    bullets: tuple[str, ...]
    abstract: str | None


@dataclass(frozen=True, slots=True)
class StoredPaper:
    """A paper merged over every source and day that mentioned it."""

    id: int
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
    summaries: tuple[Summary, ...] = ()
    organization: Account | None = None
    submitter: Account | None = None

    def summary_for(self, language: str | None = None) -> Summary | None:
        """The summary in the wanted language if any, else the richest one we have."""
        if not self.summaries:
            return None
        if language is not None:
            for summary in self.summaries:
                if summary.language == language:
                    return summary
        return max(self.summaries, key=lambda s: (len(s.bullets), len(s.abstract or "")))

    def to_paper(self, language: str | None = None, *, date: dt.date | None = None) -> Paper:
        """The neutral model renderers take; bullets come from the chosen summary."""
        summary = self.summary_for(language)
        return Paper(
            title=self.title,
            url=self.url,
            date=date or self.first_seen,
            source=summary.source if summary else SourceKind.HF,
            language=summary.language if summary else (language or "en"),
            arxiv_id=self.arxiv_id,
            votes=self.votes,
            authors=self.authors,
            authors_truncated=self.authors_truncated,
            media=self.media,
            bullets=summary.bullets if summary else (),
            abstract=summary.abstract if summary else None,
            github_url=self.github_url,
            project_url=self.project_url,
            keywords=self.keywords,
            organization=self.organization,
            submitter=self.submitter,
        )


@dataclass(frozen=True, slots=True)
class FetchValidators:
    """What a conditional GET sends back so an unchanged source answers 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class StoredDigest:
    id: int
    source: SourceKind
    date: dt.date
    language: str
    origin: str | None
    validators: FetchValidators
    fetched_at: dt.datetime
    content_hash: str
    paper_keys: tuple[str, ...]
    paper_titles: tuple[str, ...]
    """The normalized title of each paper, in the same order."""

    def holds(self, paper: Paper) -> bool:
        """Whether a sighting is of one of the digest's papers, under either of its keys: a
        paper is saved under its arXiv id once any source gave one (bot.store.batch), so a
        re-read of a digest that names it by title alone still finds it, and so does one
        that gives the id of a paper the digest held by title."""
        if paper.key in self.paper_keys:
            return True
        if paper.arxiv_id:
            return title_key(paper.title) in self.paper_keys
        return normalize_title(paper.title) in self.paper_titles


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving digests changed; unchanged digests (same content) were skipped entirely."""

    digests_changed: int
    digests_unchanged: int
    papers_inserted: int
    papers_updated: int
    vote_changes: int

    @property
    def changed(self) -> bool:
        return self.digests_changed > 0


@dataclass(frozen=True, slots=True)
class DayPaper:
    """A paper as ranked within one day's digest (votes as of that digest)."""

    position: int
    votes: int | None
    paper: StoredPaper


@dataclass(frozen=True, slots=True)
class SubscriptionSettings:
    """What a channel chose; defaults are what `/subscribe` with no options gives."""

    min_votes: int = 0
    top_n: int = 10
    keywords: tuple[str, ...] = ()
    sources: tuple[SourceKind, ...] = ()
    language: str | None = None
    post_time: str = "09:00"
    timezone: str = "UTC"
    layout: str = "channel"
    """How Slack shows the digest: "channel" (a message per paper) or "thread"."""
    no_papers: str = "skip"
    """An empty day (nothing new or nothing matching): "skip" it, or post a short "note"."""
    channel_kind: ChannelKind = ChannelKind.TEXT
    """Not chosen but found: what the platform said the channel is when /subscribe last
    ran there. A forum gets each post as a new forum post."""
    live_votes: bool = True
    """Keep the vote counts on the channel's posted digests current (edits), or not."""


class FollowKind(StrEnum):
    AUTHOR = "author"
    """A name in the paper's author list."""
    ORG = "org"
    """The Hugging Face organisation the paper is listed under, or who submitted it."""


@dataclass(frozen=True, slots=True)
class Follow:
    """One name a channel follows: its papers are posted there whatever the channel's
    filters (`bot.compose.follows`). `name` is kept as it was typed, for showing."""

    kind: FollowKind
    name: str

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def label(self) -> str:
        """`author "Jörg Tiedemann"`, `org "google"`: how replies and lists name it."""
        return f'{self.kind.value} "{self.name}"'


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    channel: ChannelRef
    settings: SubscriptionSettings
    paused: bool
    paused_reason: str | None
    created_by: str | None
    created_at: dt.datetime
    updated_by: str | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """One item for one channel; planning it twice is a no-op (unique key). A post made for
    a subscription names it; a post asked for by hand in a channel without one does not."""

    channel: ChannelRef
    subscription_id: int | None
    kind: DeliveryKind
    item_key: str
    not_before: dt.datetime | None = None
    payload: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int | None
    channel: ChannelRef
    kind: DeliveryKind
    item_key: str
    state: DeliveryState
    attempts: int
    next_attempt_at: dt.datetime
    lease_until: dt.datetime | None
    idempotency_key: str
    platform_message_id: str | None
    last_error: str | None
    payload: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    rank: int
    match: str
    paper: StoredPaper
