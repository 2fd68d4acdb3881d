"""Followed names in a channel's post: which papers a channel's follows match, and which of
them it gets beyond its own filters.

A follow matches a paper when its key (`bot.models.name_key`) is the key of one of the
paper's authors (`author`), or of its Hugging Face organisation or submitter, handle or
shown name (`org`). The channel's selection is left as it is; its selected papers that
match are marked with the names they matched. A matching paper the selection left out
(too few votes, past the top N, no keyword) is added after it, marked too, once per
channel:

- only while it is news: first seen on the digest's day or the day before
  (`FIRST_SEEN_GRACE`: sources may date one paper a day apart), so a paper that reappears
  in a later digest is not dug up for a follow made since;
- only when no post planned in the channel carries it yet (a digest, a vote alert, an
  earlier follow), so the day after, when it is listed again, it is not posted again;
- at most `FOLLOWED_PER_POST` of them per post, the best voted first.

A paper added this way is not watched for a vote alert: the channel has it already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.compose.selection import rank_papers
from bot.models import ChannelRef, Digest, Paper, name_key
from bot.store import Store
from bot.store.outbox import history
from bot.store.rows import Follow, FollowKind

FOLLOWED_PER_POST = 10
"""The most papers one post gains from follows (a channel following a busy organisation
should not get the whole day)."""
FIRST_SEEN_GRACE = dt.timedelta(days=1)
"""How long before a digest's day a followed paper may have been first seen and still be
added to it: the HF list and a markdown digest may put one paper on neighbouring days."""


@dataclass(frozen=True, slots=True)
class Following:
    """A channel's follows; the channel's post history decides what is new to it."""

    channel: ChannelRef
    follows: tuple[Follow, ...]


@dataclass(frozen=True, slots=True)
class Followed:
    """What follows change in a post: the selection marked, and the papers added."""

    chosen: tuple[Paper, ...]
    added: tuple[Paper, ...]


def _keys(names: Iterable[str]) -> set[str]:
    return {key for key in map(name_key, names) if key}


def matches(paper: Paper, follows: Sequence[Follow]) -> tuple[str, ...]:
    """The names of the follows this paper matches, in the follows' order."""
    if not follows:
        return ()
    authors = _keys(paper.authors)
    accounts = _keys(n for a in (paper.organization, paper.submitter) if a for n in a.names)
    return tuple(
        follow.name
        for follow in follows
        if follow.key in (authors if follow.kind is FollowKind.AUTHOR else accounts)
    )


def _marked(paper: Paper, follows: Sequence[Follow]) -> Paper:
    names = matches(paper, follows)
    return replace(paper, following=names) if names else paper


async def followed(
    store: Store, digest: Digest, chosen: Sequence[Paper], following: Following
) -> Followed:
    """The channel's selection with its follows applied (see the module's rules)."""
    follows = following.follows
    marked = tuple(_marked(paper, follows) for paper in chosen)
    taken = {paper.key for paper in chosen}
    candidates = [
        _marked(paper, follows) for paper in rank_papers(digest.papers) if paper.key not in taken
    ]
    candidates = [paper for paper in candidates if paper.following]
    if not candidates:
        return Followed(marked, ())
    first_seen = await store.papers.first_seen([paper.key for paper in candidates])
    news = digest.date - FIRST_SEEN_GRACE
    new = [p for p in candidates if first_seen.get(p.key, digest.date) >= news]
    carried = await history.carried(store.db, following.channel, [p.key for p in new], since=news)
    added = tuple(p for p in new if p.key not in carried)[:FOLLOWED_PER_POST]
    return Followed(marked, added)
