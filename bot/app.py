"""The composition root of `papers-bot run`: builds every part once, starts them in order,
and stops them in reverse on the way out.

Start order: store (migrations) -> the one HTTP session -> adapters (each bot adapter gets
the slash commands before it connects: the Discord gateway, Slack Socket Mode, or the Slack
HTTP endpoint on the web server; a login that failed for a reason that may pass is retried
in the background) -> delivery engine (worker, subscription jobs, missed posts) -> poller
-> web server -> scheduler. Stop order is the exact reverse (an
`AsyncExitStack`): no new jobs, in-flight polls finish or are cancelled, the web server
closes, posts in flight finish their current message and are released to the outbox, then
adapters (closing the gateway and the socket), the session and the store close. Commands
and delivery share the one store. A dry run (no platform configured) goes through the same
engine, with the console as its only destination; each poll's report reaches the engine,
which shows the newest digest on the console after the first round (`bot.delivery.dry_run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TextIO

import aiohttp
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__
from bot.adapters.base import Adapter, AdapterError, RateLimitedError, TransientError
from bot.adapters.destinations import configured_webhooks
from bot.adapters.factory import AdapterPool
from bot.config import ConfigError, Settings
from bot.delivery.engine import DeliveryEngine
from bot.delivery.jobs import JOB_PREFIX
from bot.errors import PapersBotError
from bot.fleet import FleetHeartbeat
from bot.logs import SecretMask, secret_values
from bot.models import Platform, SourceKind, Transport
from bot.poller import Clock, Poller, PollMetrics, PollSettings, utc_now
from bot.retry import backoff
from bot.scheduler import Scheduler
from bot.sharding import ShardCoordinator
from bot.sources.dated import TemplateError, validate_template
from bot.sources.http import USER_AGENT, Fetcher, client_timeout
from bot.status import StatusPage
from bot.store import Store, StoreError, open_store
from bot.store.fleet import instance_name
from bot.store.single_instance import single_instance
from bot.web import CheckResult, WebServer
from bot.wiring import CommandWiring

log = logging.getLogger(__name__)

#: A source is "not ready" once this many poll intervals went by without a good poll.
STALE_AFTER_POLLS = 3
#: How long a stop waits for a running poll before cancelling it.
STOP_GRACE_SECONDS = 5.0
#: How long start-up waits for one platform to log in before going on without it.
ADAPTER_START_TIMEOUT = 30.0
#: Waits between background retries of a login that failed for a reason that may pass
#: (`bot.retry.backoff`): up to 5 s after the first failure, never more than 5 minutes.
LOGIN_RETRY_BASE = 5.0
LOGIN_RETRY_CAP = 300.0


Endpoint = tuple[Platform, Transport]


def endpoint_name(endpoint: Endpoint) -> str:
    """How health and logs name a way of posting: discord, slack, discord-webhook, console."""
    platform, transport = endpoint
    if transport is Transport.CONSOLE:
        return "console"
    if transport is Transport.WEBHOOK:
        return f"{platform.value}-webhook"
    return platform.value


class StartupError(PapersBotError):
    """The bot cannot start as configured (store unreachable, port taken, ...)."""


def check_sources(settings: Settings) -> list[SourceKind]:
    """The enabled sources, refusing settings that would make a poll fail every time."""
    kinds = [SourceKind(name) for name in dict.fromkeys(settings.sources)]
    if not kinds:
        raise ConfigError("SOURCES: no source enabled; use any of hf, markdown, feed")
    if SourceKind.MARKDOWN in kinds:
        try:
            validate_template(settings.digest_url_template)
        except TemplateError as exc:
            raise ConfigError(f"DIGEST_URL_TEMPLATE: {exc}") from None
    if SourceKind.FEED in kinds and not settings.feed_urls:
        raise ConfigError("SOURCES includes feed but FEED_URLS is empty")
    return kinds


def platform_summary(settings: Settings) -> str:
    if settings.is_dry_run:
        return "dry run: console"
    names = [
        n
        for n, on in (("discord", settings.has_discord_bot), ("slack", settings.has_slack_bot))
        if on
    ]
    names += sorted({f"{d.platform.value}-webhook" for d in configured_webhooks(settings)})
    return "platforms: " + ", ".join(names)


def store_summary(settings: Settings, store: Store) -> str:
    """Where data goes, for the ready line (never the URL: it may hold a password)."""
    if settings.database_url is None:
        return f"{store.backend.value} {settings.data_dir / 'papers-bot.db'}"
    return store.backend.value


class App:
    """One running bot. `run(stop)` returns after `stop` is set and everything is closed."""

    def __init__(
        self,
        settings: Settings,
        *,
        console: TextIO | None = None,
        console_drawn: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        """`console` and `console_drawn`: where a dry run prints, and whether it draws the
        messages for a person (otherwise JSON lines)."""
        self.settings = settings
        self.sources = check_sources(settings)
        self.platforms = platform_summary(settings)
        self.metrics = CollectorRegistry()
        self.poll_metrics = PollMetrics(self.metrics)
        self._job_failures = Counter(
            "papers_bot_job_failures_total",
            "Scheduler jobs that raised unexpectedly.",
            ("job",),
            registry=self.metrics,
        )
        self._fleet_size = Gauge(
            "papers_bot_fleet_instances",
            "Instances sharing this database, and so the platforms' per-bot budgets.",
            registry=self.metrics,
        )
        self._fleet_size.set(1)
        Gauge(
            "papers_bot_start_time_seconds", "Unix time the bot started.", registry=self.metrics
        ).set(clock().timestamp())
        self._console = console
        self._console_drawn = console_drawn
        self._clock = clock
        self.scheduler = Scheduler(on_failure=self._count_job_failure)
        self.web = WebServer(
            self.metrics,
            host=settings.http_host,
            port=settings.http_port,
            access_log=settings.log_level == "DEBUG",
        )
        self.store: Store | None = None
        self.session: aiohttp.ClientSession | None = None
        self.commands: CommandWiring | None = None
        self.adapters: AdapterPool | None = None
        self.shards: ShardCoordinator | None = None
        self.engine: DeliveryEngine | None = None
        self.poller: Poller | None = None
        self._adapter_errors: dict[Endpoint, str] = {}
        self._login_retry: asyncio.Task[None] | None = None
        self._rng = random.Random()

    async def run(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await self.start(stack)
            await stop.wait()
            log.info("stopping")
        log.info("stopped")

    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        """Start every part, registering its stop on `stack` (which unwinds in reverse)."""
        settings = self.settings
        self.store = store = await self._open_store(stack)
        self.session = session = await stack.enter_async_context(
            aiohttp.ClientSession(
                timeout=client_timeout(settings.http_timeout),
                headers={"User-Agent": USER_AGENT},
            )
        )
        if settings.has_discord_bot:
            self.shards = ShardCoordinator(
                store.shards,
                self.scheduler,
                self.metrics,
                shard_count=settings.discord_shard_count,
                lease_seconds=settings.gateway_lease_seconds,
                clock=self._clock,
                on_fleet_size=self._share_budgets,
            )
        self.adapters = adapters = await stack.enter_async_context(
            AdapterPool(
                settings,
                session,
                shards=self.shards,
                console_stream=self._console,
                console_drawn=self._console_drawn,
                on_built=self._install_commands,
            )
        )
        self.engine = engine = DeliveryEngine(
            settings, store, adapters, self.scheduler, self.metrics, clock=self._clock
        )
        self.commands = commands = CommandWiring(store, engine.planner, settings)
        self.web.add_routes(commands.routes(adapters))
        await self._start_adapters(adapters)
        stack.push_async_callback(self._stop_login_retry)
        commands.log_transports()
        await engine.start()
        stack.push_async_callback(engine.stop)
        if self.shards is None and store.db.sqlite_file is None:
            # No gateway coordinator to count the instances: a heartbeat of its own.
            fleet = FleetHeartbeat(
                store.fleet,
                self.scheduler,
                instance=instance_name(),
                lease_seconds=settings.gateway_lease_seconds,
                clock=self._clock,
                on_fleet_size=self._share_budgets,
            )
            await fleet.start()
            stack.push_async_callback(fleet.stop)
        self.poller = Poller(
            PollSettings.from_settings(settings),
            Fetcher.from_settings(session, settings),
            store,
            self.poll_metrics,
            on_new_digest=engine.on_new_digest,
            hf_days=engine.live_days,
            clock=self._clock,
        )
        if settings.status_page:
            self.web.add_routes(self._status_page(store, engine, self.poller).routes())
        self._add_health_checks()
        await self._start_web()
        stack.push_async_callback(self.web.stop)
        for kind in self.sources:
            self.scheduler.add_interval_job(
                f"poll:{kind.value}", self._poll_job(kind), settings.poll_interval
            )
        self.scheduler.start()
        stack.push_async_callback(self.scheduler.stop, grace=STOP_GRACE_SECONDS)
        # What start-up built (modules, clients, a job per post time) lives as long as
        # the process: moved out of the collector's reach, a full collection no longer scans
        # it, which was a 200 ms stall of the event loop while planning 10,000 posts.
        gc.freeze()
        log.info(
            "papers-bot %s ready: sources %s every %ds (last %d days); store %s; %s; "
            "%d scheduled subscription(s); web port %s",
            __version__,
            ",".join(k.value for k in self.sources),
            settings.poll_interval,
            settings.poll_days,
            store_summary(settings, store),
            self.platforms,
            engine.jobs.count,
            self.web.port,
        )

    def configured_endpoints(self) -> list[Endpoint]:
        """Every (platform, transport) this process posts through."""
        if self.settings.is_dry_run:
            return [(Platform.DISCORD, Transport.CONSOLE)]
        found = [
            (platform, Transport.BOT)
            for platform, on in (
                (Platform.DISCORD, self.settings.has_discord_bot),
                (Platform.SLACK, self.settings.has_slack_bot),
            )
            if on
        ]
        found += [(d.platform, Transport.WEBHOOK) for d in configured_webhooks(self.settings)]
        return list(dict.fromkeys(found))

    def _share_budgets(self, instances: int) -> None:
        """Split the per-bot rate budgets between the instances alive now."""
        self._fleet_size.set(instances)
        if self.engine is not None:
            self.engine.limiter.share(instances)

    def _install_commands(self, adapter: Adapter) -> None:
        """The pool's build hook: every bot adapter gets the slash commands before it
        connects (the wiring exists before the first adapter is built)."""
        assert self.commands is not None
        self.commands.on_built(adapter)

    async def _start_adapters(self, pool: AdapterPool) -> None:
        """Log in to every configured platform now, so a refused token shows at start-up
        and in /healthz; the bot still starts. A login that failed for a reason that may
        pass (a timeout, a 5xx, a rate limit) is retried by a background task; any login is
        also retried by the delivery worker's next send there."""
        retry = [e for e in self.configured_endpoints() if not await self._login(pool, e)]
        if retry:
            self._login_retry = asyncio.create_task(
                self._retry_logins(pool, retry), name="login-retry"
            )

    async def _login(self, pool: AdapterPool, endpoint: Endpoint) -> bool:
        """One login; False when it failed and is worth retrying. A failure is kept for
        /healthz (and logged at ERROR once, at start-up)."""
        name = endpoint_name(endpoint)
        fields = {"platform": endpoint[0].value}
        try:
            async with asyncio.timeout(ADAPTER_START_TIMEOUT):
                await pool.get(*endpoint)
        except (AdapterError, ConfigError, TimeoutError) as exc:
            message = str(exc) or type(exc).__name__
            if endpoint not in self._adapter_errors:
                log.error("%s did not start: %s", name, message, extra=fields)
            else:
                log.debug("%s login retry failed: %s", name, message)
            self._adapter_errors[endpoint] = message
            return not isinstance(exc, TimeoutError | TransientError | RateLimitedError)
        if self._adapter_errors.pop(endpoint, None) is not None:
            log.info("%s logged in", name, extra=fields)
        return True

    async def _retry_logins(self, pool: AdapterPool, endpoints: list[Endpoint]) -> None:
        """Until each of `endpoints` logs in or fails for good; a failure nobody foresaw
        ends the retries with its traceback (the worker's next post still tries)."""
        failures = 0
        try:
            while endpoints:
                failures += 1
                wait = backoff(failures, base=LOGIN_RETRY_BASE, cap=LOGIN_RETRY_CAP, rng=self._rng)
                await asyncio.sleep(wait)
                endpoints = [e for e in endpoints if not await self._login(pool, e)]
        except Exception:
            log.exception("login retry stopped")

    async def _stop_login_retry(self) -> None:
        if self._login_retry is not None:
            self._login_retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._login_retry

    async def _open_store(self, stack: contextlib.AsyncExitStack) -> Store:
        """The store, migrated; on SQLite also the file's single-instance lock, taken
        before anything can post (a second `run` on the same file refuses to start)."""
        try:
            store = await stack.enter_async_context(open_store(self.settings.resolved_database_url))
            if store.db.sqlite_file is not None:
                await stack.enter_async_context(single_instance(store.db.sqlite_file))
        except (SQLAlchemyError, OSError) as exc:
            first_line = (str(exc).strip().splitlines() or [""])[0]
            raise StoreError(f"cannot open the store: {type(exc).__name__}: {first_line}") from None
        return store

    async def _start_web(self) -> None:
        try:
            await self.web.start()
        except OSError as exc:
            where = f"{self.settings.http_host}:{self.settings.http_port}"
            raise StartupError(f"web server on {where}: {exc.strerror or exc}") from None
        log.info(
            "web server listening on %s:%s (/healthz, /livez, /metrics%s)",
            self.settings.http_host,
            self.web.port,
            ", /status" if self.settings.status_page else "",
        )

    def _status_page(self, store: Store, engine: DeliveryEngine, poller: Poller) -> StatusPage:
        """GET /status (STATUS_PAGE): the page reads the store and this process's polls,
        and hides every configured secret as the logs do."""
        return StatusPage(
            store,
            sources=self.sources,
            polls=poller.health,
            can_post=engine.router.can_route,
            clock=self._clock,
            mask=SecretMask(secret_values(self.settings)),
        )

    def _poll_job(self, kind: SourceKind) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            assert self.poller is not None
            assert self.engine is not None
            report = await self.poller.poll(kind)
            await self.engine.after_poll(report)

        return job

    def _count_job_failure(self, job_id: str, _exc: BaseException) -> None:
        self._job_failures.labels(job=job_id).inc()

    def _add_health_checks(self) -> None:
        self.web.add_check("store", self._check_store)
        self.web.add_check("scheduler", self._check_scheduler)
        self.web.add_check("sources", self._check_sources, required=False)
        self.web.add_check("adapters", self._check_adapters)
        self.web.add_check("delivery", self._check_delivery)

    async def _check_store(self) -> CheckResult:
        assert self.store is not None
        async with self.store.db.read() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return CheckResult(True, {"backend": self.store.backend.value})

    async def _check_scheduler(self) -> CheckResult:
        """Every job but the per-subscription post jobs, which are counted (there may be
        thousands), with the next of them."""
        jobs, posts = [], []
        for j in self.scheduler.jobs():
            if j.id.startswith(JOB_PREFIX):
                posts.append(j)
                continue
            jobs.append(
                {
                    "id": j.id,
                    "next_run": j.next_run.isoformat() if j.next_run else None,
                    "running": j.running,
                }
            )
        upcoming = min((j.next_run for j in posts if j.next_run), default=None)
        detail = {"jobs": jobs, "post_jobs": len(posts), "next_post": _iso(upcoming)}
        return CheckResult(self.scheduler.running, detail)

    async def _check_adapters(self) -> CheckResult:
        """Each configured platform logged in, and the way its slash commands arrive up.
        Only reads: a failed login is retried in the background or by the worker's next
        send, never by a probe; one that has since succeeded shows as up."""
        assert self.adapters is not None
        assert self.commands is not None
        detail: dict[str, object] = {}
        ok = True
        for endpoint in self.configured_endpoints():
            started = self.adapters.started(*endpoint)
            error = None if started else self._adapter_errors.get(endpoint, "not logged in")
            entry: dict[str, object] = {}
            platform, transport = endpoint
            if transport is Transport.BOT:
                commands = self.commands.health(platform, self.adapters.started(platform))
                if commands is not None:
                    entry["commands"] = commands.transport.value
                    error = error or commands.problem
            if platform is Platform.DISCORD and transport is Transport.BOT and self.shards:
                entry["shards"] = {
                    "count": self.shards.shard_count,
                    "served_here": sorted(self.shards.served()),
                    "instance": self.shards.instance,
                }
            ok = ok and error is None
            detail[endpoint_name(endpoint)] = {"ok": error is None, "error": error, **entry}
        return CheckResult(ok, detail)

    async def _check_delivery(self) -> CheckResult:
        assert self.engine is not None
        assert self.store is not None
        worker = self.engine.worker
        counts = await self.store.deliveries.counts()
        detail = {
            "worker_running": worker.running,
            "in_flight_here": worker.in_flight,
            "outbox": {state.value: n for state, n in counts.items()},
            "last_error": worker.last_error,
            "rate_limit_scopes": self.engine.limiter.scopes,
        }
        return CheckResult(worker.running and worker.last_error is None, detail)

    async def _check_sources(self) -> CheckResult:
        """Each source polled well lately. Added as not required: with a source down the
        bot still serves commands and posts what the archive holds, so /healthz shows it
        `degraded` and stays ready."""
        assert self.poller is not None
        health = self.poller.health()
        oldest_good = self._clock() - dt.timedelta(
            seconds=STALE_AFTER_POLLS * self.settings.poll_interval
        )
        detail: dict[str, object] = {}
        ok = True
        for kind in self.sources:
            state = health.get(kind)
            fresh = bool(state and state.last_success and state.last_success >= oldest_good)
            ok = ok and fresh
            detail[kind.value] = {
                "ok": fresh,
                "last_success": _iso(state.last_success if state else None),
                "last_attempt": _iso(state.last_attempt if state else None),
                "last_error": state.last_error if state else None,
                "consecutive_failures": state.consecutive_failures if state else 0,
            }
        return CheckResult(ok, detail)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
