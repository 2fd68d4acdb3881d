"""What a dry run shows at start: the newest digest, as its console channel gets it.

A dry run's scheduled posts go through the outbox like any channel's: once a day, at the
console's post time. Starting only shows: once every enabled source has been polled (the
first poll round), the newest digest in the store is printed through the console adapter
on every start, with no outbox row (it is not a post, so a restart shows it again), then
one log line says when the next post is due. When every source's poll failed and the store
has nothing, one line says so and each later round tries again until a digest is there;
when every poll failed but the store holds an older digest, that one is shown, from the
archive.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence

from bot.compose.digest import compose
from bot.delivery.edits import AdapterSource
from bot.delivery.planner import digest_post
from bot.delivery.targets import CONSOLE_CHANNEL, Router
from bot.errors import PapersBotError
from bot.models import SourceKind, Transport
from bot.poller import PollReport
from bot.post_time import PostTime
from bot.store import Store
from bot.store.rows import Subscription

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
_SHORT_REASON = re.compile(r"HTTP \d{3}|timed out|connection failed|parse error")


def reason(report: PollReport) -> str:
    """Why a source's poll failed, in a few words ("HTTP 500", "timed out")."""
    error = next((o.error for o in report.outcomes if o.error), None) or "no answer"
    found = _SHORT_REASON.search(error)
    return found.group(0) if found else error.partition(":")[0]


def next_post_line(sub: Subscription, now: dt.datetime) -> str:
    """When the console's next scheduled post is due, in its own zone."""
    settings = sub.settings
    due = PostTime.parse(settings.post_time, settings.timezone).next(now)
    minutes = max(0, round((due - now).total_seconds() / 60))
    return (
        f"next console post {due:%Y-%m-%d %H:%M} {settings.timezone} "
        f"(in {minutes // 60} h {minutes % 60:02d} min; every day at {settings.post_time})"
    )


class StartupShow:
    """Hears every poll (`after_poll`) until it has shown a digest once in this process."""

    def __init__(
        self,
        store: Store,
        adapters: AdapterSource,
        router: Router,
        *,
        sources: Sequence[SourceKind],
        poll_interval: int,
        clock: Clock,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._router = router
        self._sources = frozenset(sources)
        self._poll_interval = poll_interval
        self._clock = clock
        self._round: dict[SourceKind, PollReport] = {}
        self._done = False
        self._told = False

    async def after_poll(self, report: PollReport) -> None:
        """Once every source has been polled since the last try, show (or say why not)."""
        if self._done:
            return
        self._round[report.source] = report
        if not self._sources <= self._round.keys():
            return
        reports, self._round = list(self._round.values()), {}
        down = [r for r in reports if not r.ok]
        try:
            self._done = await self._show(down if len(down) == len(reports) else [])
        except PapersBotError as exc:
            log.warning("the dry run could not show the newest digest: %s", exc)

    async def _show(self, failed: list[PollReport]) -> bool:
        """True once shown (or once there is nothing this start should show)."""
        sub = await self._store.subscriptions.get(CONSOLE_CHANNEL)
        if sub is None or sub.paused:
            log.info("the console subscription is paused or gone: nothing is shown or posted")
            return True
        composed = await compose(self._store, None, sub.settings)
        if composed is None:
            self._tell_empty(failed)
            return False
        if failed:
            log.warning(
                "%s: showing the newest digest from the archive, of %s",
                self._failures(failed),
                composed.day,
            )
        post = digest_post(composed, CONSOLE_CHANNEL.platform, sub.settings)
        adapter = await self._adapters.get(CONSOLE_CHANNEL.platform, Transport.CONSOLE)
        target = self._router.route(CONSOLE_CHANNEL).target
        for message in post.messages:
            await adapter.send(target, message)
        log.info("%s", next_post_line(sub, self._clock()))
        return True

    def _tell_empty(self, failed: list[PollReport]) -> None:
        if self._told:
            return
        self._told = True
        why = (
            self._failures(failed)
            if failed
            else "no source has published a digest in the days polled"
        )
        log.warning(
            "%s and the archive is empty: trying again every %ds; the newest digest is shown "
            "here once one arrives",
            why,
            self._poll_interval,
        )

    @staticmethod
    def _failures(reports: list[PollReport]) -> str:
        names = "; ".join(
            f"{r.source.value}: {reason(r)}" for r in sorted(reports, key=lambda r: r.source.value)
        )
        return f"could not read any source ({names})"
