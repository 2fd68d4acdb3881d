"""Live vote-threshold alerts: a paper that was below a channel's minimum votes when the
day's digest went out, and crosses it later, gets one alert in that channel.

Runs after each poll of the HF API (which re-reads the recent days and stores new vote
counts). Each (channel, paper) alert is an outbox row keyed by the paper, so it is planned
once however many polls see the paper above the threshold. A paper the channel already
has on a card (one of its digest posts of these days carried it) gets no alert: its card
shows its votes, kept current by live cards, and a paper never gets a second card.

Follows: a paper the channel got below its threshold because it follows one of its authors
or accounts (`bot.compose.follows`) is not on the post's watch list, so it earns no alert:
the channel has the paper already. The other way round, a paper that had its alert in a
channel is never added to that channel's posts for a follow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.compose.digest import load_day
from bot.compose.selection import passes_min_votes
from bot.delivery.planner import Planner
from bot.store import Store
from bot.store.outbox import history

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class VoteAlerts:
    def __init__(self, store: Store, planner: Planner, *, days: int, clock: Clock) -> None:
        self._store = store
        self._planner = planner
        self._days = days
        self._clock = clock

    async def check(self) -> int:
        """Plan the alerts now due; returns how many were planned."""
        if self._days <= 0:
            return 0
        since = self._clock().astimezone(dt.UTC).date() - dt.timedelta(days=self._days)
        everything = await history.posted_digests(self._store.db, since=since)
        posted = [p for p in everything if p.watch]
        if not posted:
            return 0
        on_cards: dict[int, set[str]] = {}
        for item in everything:
            on_cards.setdefault(item.subscription_id, set()).update(item.papers)
        subs = {s.id: s for s in await self._store.subscriptions.list(active_only=True)}
        done = await history.alerted_keys(self._store.db, list(subs))
        planned = 0
        for item in posted:
            sub = subs.get(item.subscription_id)
            if sub is None or sub.settings.min_votes <= 0:
                continue
            digest = await load_day(
                self._store,
                dt.date.fromisoformat(item.day),
                sub.settings.sources,
                language=sub.settings.language,
            )
            carded = on_cards.get(sub.id, set())
            for paper in digest.papers if digest else ():
                if paper.key not in item.watch or (sub.id, paper.key) in done:
                    continue
                if paper.key in carded:
                    continue
                if passes_min_votes(paper, sub.settings.min_votes) and paper.votes is not None:
                    planned += await self._planner.plan_alert(sub, paper)
                    done.add((sub.id, paper.key))
        if planned:
            log.info("vote alerts: %d planned", planned)
        return planned
