"""Polling the enabled sources: fetch the recent days, store what changed, announce new papers.

One `poll(source)` call is one scheduler run for one source. It never raises for anything a
source or the store can do wrong: a failing day (or feed) is counted and skipped, whatever
was stored before stays, and the poll logs one line for all of it (the fetcher's retries
are DEBUG), carrying the source as a structured field. Markdown days and feeds are fetched
conditionally (ETag / Last-Modified), so an unchanged source costs a 304 and no parsing.

What to do with a digest that brought new papers is the `on_new_digest` hook's business:
the console preview in a dry run today, subscription planning into the outbox later.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import PapersBotError
from bot.metrics import DEFAULT_BUCKETS
from bot.models import Digest, Paper, SourceKind
from bot.sources.dated import fetch_markdown_day
from bot.sources.errors import FetchError, HttpStatusError, ParseError, SourceError
from bot.sources.feed import fetch_feed
from bot.sources.hf_api import fetch_hf_day
from bot.sources.http import Fetcher, Validators
from bot.sources.result import SourceResult, SourceStatus
from bot.store import Store, StoreError
from bot.store.rows import FetchValidators

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
FAILED = "error"
SKIPPED = "skipped"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def recent_days(now: dt.datetime, count: int) -> list[dt.date]:
    """The last `count` UTC days, oldest first, so announcements come out in date order."""
    today = now.astimezone(dt.UTC).date()
    return [today - dt.timedelta(days=back) for back in range(count - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class NewDigest:
    """A stored digest that brought papers the store had not seen in it before."""

    digest: Digest
    new_keys: frozenset[str]
    first_time: bool
    """No digest of this source and day was stored before."""

    @property
    def new_papers(self) -> tuple[Paper, ...]:
        return tuple(p for p in self.digest.papers if p.key in self.new_keys)


DigestHook = Callable[[NewDigest], Awaitable[None]]
DaysHook = Callable[[], Awaitable[Collection[dt.date]]]
"""Days the HF API must be read again beside the recent ones (live cards' days)."""


@dataclass(frozen=True, slots=True)
class PollSettings:
    """What polling needs from the operator's settings (a narrow view, easy to build in tests)."""

    hf_api_url: str
    digest_url_template: str
    feed_urls: tuple[str, ...] = ()
    days: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> PollSettings:
        return cls(
            hf_api_url=settings.hf_api_url,
            digest_url_template=settings.digest_url_template,
            feed_urls=tuple(settings.feed_urls),
            days=settings.poll_days,
        )


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """One day (or one feed) of one poll."""

    label: str
    status: str
    """A SourceStatus value, FAILED or SKIPPED."""
    papers: int = 0
    new_papers: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PollReport:
    source: SourceKind
    started_at: dt.datetime
    outcomes: tuple[TargetOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.status not in (FAILED, SKIPPED) for o in self.outcomes)

    def summary(self) -> str:
        """One log line for the whole poll, errors included."""
        parts = []
        for o in self.outcomes:
            if o.status == SourceStatus.FETCHED:
                parts.append(f"{o.label} fetched {o.papers} papers ({o.new_papers} new)")
            elif o.status == FAILED:
                parts.append(f"{o.label} failed: {o.error}")
            elif o.status == SKIPPED:
                parts.append(f"{o.label} skipped (source unreachable)")
            else:
                parts.append(f"{o.label} {o.status.replace('_', ' ')}")
        return "; ".join(parts) or "nothing to poll"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What /healthz shows per source."""

    last_attempt: dt.datetime | None = None
    last_success: dt.datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


class PollMetrics:
    """The poll series on the bot's registry (names are part of the operator contract)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.fetches = Counter(
            "papers_bot_polls_total",
            "Source fetches by source and status (fetched, not_modified, not_published, error).",
            ("source", "status"),
            registry=registry,
        )
        self.errors = Counter(
            "papers_bot_poll_errors_total",
            "Failed source fetches by kind (fetch, parse, store, hook).",
            ("source", "kind"),
            registry=registry,
        )
        self.papers_inserted = Counter(
            "papers_bot_papers_inserted_total",
            "Papers stored for the first time.",
            ("source",),
            registry=registry,
        )
        self.vote_changes = Counter(
            "papers_bot_vote_changes_total",
            "Vote counts that changed and were recorded.",
            ("source",),
            registry=registry,
        )
        self.new_digests = Counter(
            "papers_bot_new_digests_total",
            "Digests that brought new papers.",
            ("source",),
            registry=registry,
        )
        self.duration = Histogram(
            "papers_bot_poll_duration_seconds",
            "Time one poll of one source took.",
            ("source",),
            buckets=DEFAULT_BUCKETS,
            registry=registry,
        )
        self.last_success = Gauge(
            "papers_bot_last_successful_poll_timestamp_seconds",
            "Unix time of the last poll in which every day/feed of the source answered.",
            ("source",),
            registry=registry,
        )


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ParseError):
        return "parse"
    if isinstance(exc, StoreError | SQLAlchemyError):
        return "store"
    return "fetch"


def _host_down(exc: BaseException) -> bool:
    """After the fetcher's retries, a dead connection or a failing server will fail the same
    way for the source's other days: skip them this round instead of logging each again."""
    if isinstance(exc, HttpStatusError):
        return exc.status >= 500 or exc.status == 429
    return type(exc) is FetchError


def _to_http(found: FetchValidators | None) -> Validators | None:
    if found is None:
        return None
    return Validators(etag=found.etag, last_modified=found.last_modified)


@dataclass(frozen=True, slots=True)
class _Target:
    label: str
    fetch: Callable[[], Awaitable[SourceResult]]
    remember: Callable[[SourceResult], None] | None = None
    """Keeps validators the store doesn't (feeds: keyed by URL, not by day)."""


class Poller:
    """Polls sources into the store; one instance per process, shared by the poll jobs."""

    def __init__(
        self,
        settings: PollSettings,
        fetcher: Fetcher,
        store: Store,
        metrics: PollMetrics,
        *,
        on_new_digest: DigestHook | None = None,
        hf_days: DaysHook | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """`hf_days` names older days each HF poll reads too: the votes of a digest whose
        posted cards are still live keep changing after it left the last POLL_DAYS."""
        self._settings = settings
        self._fetcher = fetcher
        self._store = store
        self._metrics = metrics
        self._on_new_digest = on_new_digest
        self._hf_days = hf_days
        self._clock = clock
        self._health: dict[SourceKind, SourceHealth] = {}
        # Feeds are stored by day, not by URL, so their validators live here (a restart
        # costs one full GET per feed).
        self._feed_validators: dict[str, Validators] = {}

    def health(self) -> dict[SourceKind, SourceHealth]:
        return dict(self._health)

    async def poll(self, source: SourceKind) -> PollReport:
        """Fetch the source's recent days (or feeds); never raises for source or store trouble."""
        started = self._clock()
        clock_start = time.perf_counter()
        outcomes: list[TargetOutcome] = []
        host_down = False
        for target in await self._targets(source, started):
            if host_down:
                outcomes.append(TargetOutcome(target.label, SKIPPED))
                continue
            outcome, down = await self._poll_target(source, target)
            outcomes.append(outcome)
            host_down = down
        report = PollReport(source, started, tuple(outcomes))
        self._metrics.duration.labels(source=source.value).observe(
            time.perf_counter() - clock_start
        )
        self._record_health(report)
        level = logging.INFO if report.ok else logging.WARNING
        log.log(
            level, "poll %s: %s", source.value, report.summary(), extra={"source": source.value}
        )
        return report

    async def poll_day(self, source: SourceKind, day: dt.date) -> TargetOutcome:
        """Fetch and store one day of a dated source (HF or markdown), outside the
        schedule (`post --date` for a day the archive lacks); never raises."""
        outcome, _ = await self._poll_target(source, await self._day_target(source, day))
        return outcome

    async def _day_target(self, source: SourceKind, day: dt.date) -> _Target:
        settings, fetcher = self._settings, self._fetcher
        if source is SourceKind.HF:
            fetch = partial(fetch_hf_day, fetcher, settings.hf_api_url, day)
            return _Target(day.isoformat(), fetch)
        known = await self._stored_validators(source, day)
        fetch = partial(fetch_markdown_day, fetcher, settings.digest_url_template, day, known)
        return _Target(day.isoformat(), fetch)

    async def _targets(self, source: SourceKind, now: dt.datetime) -> list[_Target]:
        if source is not SourceKind.FEED:
            days = set(recent_days(now, self._settings.days))
            if source is SourceKind.HF:
                days |= await self._extra_hf_days(now)
            return [await self._day_target(source, day) for day in sorted(days)]
        return [
            _Target(
                url,
                partial(fetch_feed, self._fetcher, url, self._feed_validators.get(url)),
                remember=self._remember_feed,
            )
            for url in self._settings.feed_urls
        ]

    async def _extra_hf_days(self, now: dt.datetime) -> set[dt.date]:
        """The hook's days up to today (UTC); none when it fails (the recent days are still
        polled, and the next poll asks again)."""
        if self._hf_days is None:
            return set()
        try:
            found = await self._hf_days()
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("poll hf: live days unreadable: %s", _one_line(exc), extra={"source": "hf"})
            return set()
        today = now.astimezone(dt.UTC).date()
        return {day for day in found if day <= today}

    async def _stored_validators(self, source: SourceKind, day: dt.date) -> Validators | None:
        try:
            return _to_http(await self._store.digests.validators(source, day))
        except (StoreError, SQLAlchemyError) as exc:
            log.warning(
                "poll %s %s: stored validators unreadable: %s",
                source.value,
                day,
                exc,
                extra={"source": source.value, "day": day.isoformat()},
            )
            return None

    def _remember_feed(self, result: SourceResult) -> None:
        if not result.validators.is_empty:
            self._feed_validators[result.url] = result.validators

    async def _poll_target(self, source: SourceKind, target: _Target) -> tuple[TargetOutcome, bool]:
        name = source.value
        try:
            result = await target.fetch()
            outcome = TargetOutcome(target.label, result.status.value)
            if result.digest is not None:
                outcome = await self._store_digest(
                    source, target.label, result.digest, result.validators
                )
            # Only once stored: validators for a body we lost would turn it into a 304.
            if target.remember is not None:
                target.remember(result)
        except (SourceError, StoreError, SQLAlchemyError) as exc:
            kind = _error_kind(exc)
            message = f"{kind} error: {_one_line(exc)}"
            self._metrics.fetches.labels(source=name, status=FAILED).inc()
            self._metrics.errors.labels(source=name, kind=kind).inc()
            return TargetOutcome(target.label, FAILED, error=message), _host_down(exc)
        self._metrics.fetches.labels(source=name, status=outcome.status).inc()
        return outcome, False

    async def _store_digest(
        self, source: SourceKind, label: str, digest: Digest, found: Validators
    ) -> TargetOutcome:
        before = await self._store.digests.get(digest.source, digest.date)
        validators = FetchValidators(found.etag, found.last_modified)
        saved = await self._store.writer.save(digest, validators=validators, now=self._clock())
        self._metrics.papers_inserted.labels(source=source.value).inc(saved.papers_inserted)
        self._metrics.vote_changes.labels(source=source.value).inc(saved.vote_changes)
        new_keys = frozenset(p.key for p in digest.papers if before is None or not before.holds(p))
        outcome = TargetOutcome(
            label, SourceStatus.FETCHED.value, len(digest.papers), len(new_keys)
        )
        if new_keys:
            self._metrics.new_digests.labels(source=source.value).inc()
            await self._announce(NewDigest(digest, new_keys, first_time=before is None))
        return outcome

    async def _announce(self, event: NewDigest) -> None:
        """The digest is stored whatever the hook does; its failure is logged, not retried."""
        if self._on_new_digest is None:
            return
        source = event.digest.source.value
        fields = {"source": source, "day": event.digest.date.isoformat()}
        try:
            await self._on_new_digest(event)
        except PapersBotError as exc:
            log.warning(
                "new %s digest of %s: %s", source, event.digest.date, _one_line(exc), extra=fields
            )
            self._metrics.errors.labels(source=source, kind="hook").inc()
        except Exception:
            log.exception(
                "new %s digest of %s: hook failed", source, event.digest.date, extra=fields
            )
            self._metrics.errors.labels(source=source, kind="hook").inc()

    def _record_health(self, report: PollReport) -> None:
        previous = self._health.get(report.source, SourceHealth())
        if report.ok:
            health = SourceHealth(report.started_at, report.started_at, None, 0)
            self._metrics.last_success.labels(source=report.source.value).set(
                report.started_at.timestamp()
            )
        else:
            error = next((o.error for o in report.outcomes if o.error), None)
            health = replace(
                previous,
                last_attempt=report.started_at,
                last_error=error,
                consecutive_failures=previous.consecutive_failures + 1,
            )
        self._health[report.source] = health


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:499] + "…"
