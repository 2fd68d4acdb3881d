"""Live cards: planning the edits that keep the vote counts on posted digests current.

After every poll of the HF API (which stores the votes of the days still live), each
posted digest inside its window (LIVE_CARDS_WINDOW_HOURS from its post) is rendered
again with the same code as when it was posted: the same papers in the same places, from
the same sources, language, layout and channel kind, the same papers marked as followed
(frozen with the post, `payload.Look`), the day as the store has it now. A message whose
content differs from what it shows (or is about to show) gets that content as its next
version, to be sent by the editor (`bot.delivery.edits`) no sooner than
LIVE_CARDS_EDIT_INTERVAL after its last write. So an edited message is what a fresh post of
those papers would show, and the counts that change between two edits go out together in
one.

The cards keep their papers and places: a paper that overtakes another keeps its card,
and a paper already on a card never gets a second one. A post that no longer renders to
the same messages (another number of them, or other papers on one: the day's count of
papers changed the header, say) stops being edited, with one log line. Posts of a
subscription whose `live_votes` is off, or that is paused, are left alone.

A sent post gets its card rows here too, the first time planning sees it (idempotent, so
any instance may do it and a crash between send and registration loses nothing).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.compose.digest import load_day, render_options
from bot.delivery.payload import Look, PayloadError, Post, message_to_json
from bot.models import Digest, Platform, channel_kind_named
from bot.render.message import RenderedMessage
from bot.render.platforms import render_digest
from bot.store import Store
from bot.store.outbox import live
from bot.store.rows import SubscriptionSettings

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
MISFIT = "the post no longer renders to the messages it was posted as"


def content_hash(body: dict[str, Any]) -> str:
    """Equal for equal message bodies, however their keys were ordered."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def shape_of(message: RenderedMessage) -> str:
    """What a message carries, apart from its content: its role, whether it is a thread
    reply, and its papers (and part number, on Discord)."""
    return json.dumps([message.role.value, message.in_thread, message.meta], sort_keys=True)


@dataclass(frozen=True, slots=True)
class Fresh:
    """A message as rendered now: what a card's message should show."""

    shape: str
    content_hash: str
    message: dict[str, Any]
    """As the outbox keeps messages (`payload.message_to_json`)."""

    @classmethod
    def of(cls, message: RenderedMessage) -> Fresh:
        return cls(shape_of(message), content_hash(message.body), message_to_json(message))


def look_settings(look: Look) -> SubscriptionSettings:
    """The settings a post was composed with, as far as its rendering goes."""
    return SubscriptionSettings(
        sources=look.sources,
        language=look.language,
        layout=look.layout,
        keywords=look.keywords,
        channel_kind=channel_kind_named(look.channel_kind),
    )


def new_cards(
    sent: live.SentPost, *, window: dt.timedelta, interval: dt.timedelta
) -> list[live.NewCard]:
    """A card per message of a sent post that has a message id; none for a post this
    version cannot read or one composed without a look."""
    try:
        post = Post.from_payload(sent.payload)
    except PayloadError as exc:
        log.warning("live cards: delivery %d: %s", sent.delivery_id, exc)
        return []
    if post.look is None:
        return []
    header = post.header_id()
    return [
        live.NewCard(
            sent.delivery_id,
            position,
            message_id,
            header if message.in_thread else None,
            shape_of(message),
            content_hash(message.body),
            live_until=sent.sent_at + window,
            next_edit_at=sent.sent_at + interval,
        )
        for position, (message, message_id) in enumerate(
            zip(post.messages, post.sent, strict=False)
        )
        if message_id
    ]


class LiveCards:
    """Registers the cards of sent posts and plans their edits; one per process."""

    def __init__(
        self,
        store: Store,
        *,
        window: dt.timedelta,
        interval: dt.timedelta,
        clock: Clock,
        on_planned: Callable[[int], None] = lambda _count: None,
    ) -> None:
        self._store = store
        self._window = window
        self._interval = interval
        self._clock = clock
        self._on_planned = on_planned

    @property
    def enabled(self) -> bool:
        return self._window > dt.timedelta(0)

    async def days(self) -> set[dt.date]:
        """The digest days whose cards are still live (the poller reads them again)."""
        if not self.enabled:
            return set()
        return await live.live_days(self._store.db, now=self._clock())

    async def refresh(self) -> int:
        """Register newly sent posts, then plan an edit for every live card whose content
        changed; returns how many were planned."""
        if not self.enabled:
            return 0
        now = self._clock()
        await self._register(now)
        renders = _Renders(self._store)
        wanted: list[live.Wanted] = []
        misfits: list[int] = []
        # The cards are read before the votes: a card another planner moved on since was
        # planned from votes read after ours, and `want` refuses to step back from it.
        for post in await live.live_posts(self._store.db, now=now):
            fresh = await renders.of(post)
            if fresh is None or not _fits(post, fresh):
                log.info(
                    "live cards: the digest of %s in %s is no longer edited: %s",
                    post.day,
                    post.channel.label,
                    MISFIT,
                    extra={"platform": post.channel.platform.value, "day": post.day},
                )
                misfits += [card.id for card in post.cards]
                continue
            wanted += [
                live.Wanted(card, fresh[card.position].content_hash, fresh[card.position].message)
                for card in post.cards
                if fresh[card.position].content_hash != card.showing
            ]
        await live.end(self._store.db, misfits, reason=MISFIT)
        planned = await live.want(self._store.db, wanted)
        if planned:
            log.info("live cards: %d edit(s) planned", planned)
            self._on_planned(planned)
        return planned

    async def _register(self, now: dt.datetime) -> None:
        """Card rows for the posts sent since the last refresh, a page of posts at a time."""
        after = 0
        while sent := await live.unregistered(
            self._store.db, since=now - self._window, after=after
        ):
            cards = [
                card
                for post in sent
                for card in new_cards(post, window=self._window, interval=self._interval)
            ]
            added = await live.register(self._store.db, cards, now=now)
            if added:
                log.debug("live cards: %d message(s) of %d post(s) registered", added, len(sent))
            after = sent[-1].delivery_id


def _fits(post: live.LivePost, fresh: Sequence[Fresh]) -> bool:
    """Whether every card's message is, freshly rendered, still at its place."""
    return all(
        card.position < len(fresh) and fresh[card.position].shape == card.shape
        for card in post.cards
    )


class _Renders:
    """One refresh's renders: many channels posted the same day with the same look, so
    each distinct (platform, day, look, papers) is loaded and rendered once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._days: dict[tuple[object, ...], Digest | None] = {}
        self._renders: dict[tuple[object, ...], list[Fresh] | None] = {}

    async def of(self, post: live.LivePost) -> list[Fresh] | None:
        """The post as a fresh render of its papers shows it now; None when its day or
        one of its papers is no longer in the store, or its look cannot be read."""
        key = (post.channel.platform, post.day, post.look, post.papers)
        if key not in self._renders:
            self._renders[key] = await self._render(post.channel.platform, post)
        return self._renders[key]

    async def _render(self, platform: Platform, post: live.LivePost) -> list[Fresh] | None:
        try:
            look = Look.from_json(post.look)
            day = dt.date.fromisoformat(post.day)
        except (KeyError, ValueError, TypeError):
            return None
        digest = await self._day(day, look)
        if digest is None:
            return None
        by_key = {paper.key: paper for paper in digest.papers}
        if any(key not in by_key for key in post.papers):
            return None
        marks = dict(look.following)
        papers = [
            dataclasses.replace(by_key[key], following=marks[key]) if key in marks else by_key[key]
            for key in post.papers
        ]
        messages = render_digest(platform, digest, papers, render_options(look_settings(look)))
        return [Fresh.of(message) for message in messages]

    async def _day(self, day: dt.date, look: Look) -> Digest | None:
        key = (day, look.sources, look.language)
        if key not in self._days:
            self._days[key] = await load_day(self._store, day, look.sources, language=look.language)
        return self._days[key]
