"""The one composer: (store, a day or the latest, a channel's settings) -> what it gets.

A day may have been published by several sources (the HF list and the Korean markdown
digest); a channel that follows both gets one post for the day, headed by the preferred
source, with each paper once and the vote count the day's digest showed. The channel's
selection (top N, minimum votes, keywords) then picks the papers, best first, and the
papers kept out only for too few votes are remembered for vote-threshold alerts. A channel
that follows authors or Hugging Face accounts gets their papers too, after its selection
and marked (`bot.compose.follows`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.compose.follows import Following, followed
from bot.compose.selection import Selection, matches_keywords, passes_min_votes, select_papers
from bot.models import ChannelKind, Digest, Paper, SourceKind
from bot.render.options import RenderOptions, slack_layout_named
from bot.store import Store
from bot.store.rows import SubscriptionSettings

SOURCE_PREFERENCE = (SourceKind.HF, SourceKind.MARKDOWN, SourceKind.FEED)
"""Which digest of a day heads the post when several sources published it."""


@dataclass(frozen=True, slots=True)
class Composed:
    digest: Digest
    """The day over the channel's sources, every paper, in the store's order."""
    papers: tuple[Paper, ...]
    """What the channel's settings select, best first: what is posted."""
    watch: tuple[str, ...]
    """Keys of papers the keywords wanted but the vote threshold kept out: each may earn a
    vote-threshold alert later."""
    followed: tuple[str, ...] = ()
    """Keys of the papers (at the end of `papers`) posted only because the channel follows
    one of their authors or accounts."""

    @property
    def day(self) -> dt.date:
        return self.digest.date


def selection_of(settings: SubscriptionSettings) -> Selection:
    return Selection(top_n=settings.top_n, min_votes=settings.min_votes, keywords=settings.keywords)


def render_options(settings: SubscriptionSettings) -> RenderOptions:
    """How the channel's posts look: its Slack layout and language, and, in a Discord
    forum, a forum post per post tagged (where the forum has such tags) with its keywords."""
    return RenderOptions(
        slack_layout=slack_layout_named(settings.layout),
        locale=settings.language,
        discord_forum=settings.channel_kind is ChannelKind.FORUM,
        forum_tags=settings.keywords,
    )


def below_threshold(papers: Sequence[Paper], settings: SubscriptionSettings) -> tuple[str, ...]:
    """Papers a channel's keywords want but its vote threshold kept out (for alerts)."""
    if settings.min_votes <= 0:
        return ()
    return tuple(
        p.key
        for p in papers
        if not passes_min_votes(p, settings.min_votes) and matches_keywords(p, settings.keywords)
    )


async def latest_day(
    store: Store, sources: Sequence[SourceKind], *, before: dt.date | None = None
) -> dt.date | None:
    """The newest day any of `sources` (all when empty) published, before `before` if given."""
    return await store.digests.newest_day(sources, before=before)


async def load_day(
    store: Store, day: dt.date, sources: Sequence[SourceKind], *, language: str | None = None
) -> Digest | None:
    """The digest of `day` over `sources` (all when empty), every paper with the vote count
    the day's digest showed; None when none of them published that day."""
    allowed = tuple(sources) or SOURCE_PREFERENCE
    stored = {kind: await store.digests.get(kind, day) for kind in allowed}
    published = [kind for kind, found in stored.items() if found is not None]
    if not published:
        return None
    lead = min(published, key=SOURCE_PREFERENCE.index)
    lead_digest = stored[lead]
    digest_language = lead_digest.language if lead_digest is not None else "en"
    only = published[0] if len(published) == 1 else None
    items = await store.papers.of_day(day, source=only)
    if only is None and len(published) < len(SOURCE_PREFERENCE):
        keep = {key for found in stored.values() if found is not None for key in found.paper_keys}
        items = [item for item in items if item.paper.key in keep]
    papers = tuple(
        dataclasses.replace(
            item.paper.to_paper(language or digest_language, date=day), votes=item.votes
        )
        for item in items
    )
    return Digest(date=day, source=lead, papers=papers, language=digest_language)


def select(digest: Digest, settings: SubscriptionSettings) -> Composed:
    """The channel's share of a digest it already has in hand."""
    papers = tuple(select_papers(digest.papers, selection_of(settings)))
    return Composed(digest, papers, below_threshold(digest.papers, settings))


async def follow_up(store: Store, composed: Composed, following: Following) -> Composed:
    """A channel's share with its follows applied: its selection marked where it matches a
    follow, then the followed papers it left out and the channel never had. The same value
    when the follows change nothing."""
    if not following.follows:
        return composed
    found = await followed(store, composed.digest, composed.papers, following)
    if found.chosen == composed.papers and not found.added:
        return composed
    added = tuple(paper.key for paper in found.added)
    return Composed(
        composed.digest,
        found.chosen + found.added,
        tuple(key for key in composed.watch if key not in added),
        added,
    )


async def compose(
    store: Store,
    day: dt.date | None,
    settings: SubscriptionSettings,
    *,
    following: Following | None = None,
) -> Composed | None:
    """What a channel with `settings` (and `following`, when it follows anything) gets for
    `day` (None: the newest day its sources published); None when the store has no such
    digest."""
    if day is None:
        day = await latest_day(store, settings.sources)
        if day is None:
            return None
    digest = await load_day(store, day, settings.sources, language=settings.language)
    if digest is None:
        return None
    composed = select(digest, settings)
    return composed if following is None else await follow_up(store, composed, following)
