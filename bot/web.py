"""The bot's own HTTP server: /healthz (readiness), /livez (liveness) and /metrics.

Other parts of the bot mount their endpoints here before start (`add_routes`), so the Slack
HTTP endpoint shares the one port with health and metrics. /livez answers as long as the
process does and runs no check. Readiness is a list of named checks the composition root
supplies; each runs with a timeout, so one hung dependency makes /healthz answer 503
quickly instead of hanging the orchestrator's probe. A check added as not `required`
(the sources: the bot serves commands and posts what it has while one is down) shows as
`degraded` in the body and leaves the answer 200. Checks only read state: a probe changes
nothing in the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import hdrs, web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0
SHUTDOWN_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    detail: Mapping[str, Any] = field(default_factory=dict)


HealthCheck = Callable[[], Awaitable[CheckResult]]


@dataclass(frozen=True, slots=True)
class _Check:
    run: HealthCheck
    required: bool


class WebServer:
    """One aiohttp application on HTTP_HOST:HTTP_PORT; port 0 picks a free port."""

    def __init__(
        self,
        metrics: CollectorRegistry,
        *,
        host: str = "0.0.0.0",
        port: int = 8080,
        check_timeout: float = CHECK_TIMEOUT,
        access_log: bool = False,
    ) -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._check_timeout = check_timeout
        self._access_log = access_log
        self._checks: dict[str, _Check] = {}
        self._app = web.Application()
        self._app.router.add_get("/healthz", self._healthz)
        self._app.router.add_get("/livez", self._livez)
        self._app.router.add_get("/metrics", self._metrics_page)
        self._runner: web.AppRunner | None = None
        self._started = time.monotonic()
        self.port: int | None = None

    def add_check(self, name: str, check: HealthCheck, *, required: bool = True) -> None:
        """A condition shown under `checks.<name>`; may be added at any time. Only a
        `required` one that fails makes the bot not ready; any other is `degraded`."""
        self._checks[name] = _Check(check, required)

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Mount more endpoints (the Slack HTTP endpoint); only before `start()`."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the web server starts")
        self._app.router.add_routes(routes)

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        host = "127.0.0.1" if self._host in ("0.0.0.0", "") else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> int:
        """Listen; returns the bound port (the chosen one when configured as 0)."""
        runner = web.AppRunner(
            self._app,
            handle_signals=False,
            access_log=log if self._access_log else None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._started = time.monotonic()
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def readiness(self) -> dict[str, Any]:
        """Every check's result (run concurrently), each with its status: `ok`, `degraded`
        (failing, not required) or `failing`. `ready` while no required check fails; the
        overall status is the worst of them (`unavailable` when not ready)."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_check(n) for n in names))
        checks: dict[str, dict[str, Any]] = {}
        for name, result in zip(names, results, strict=True):
            status = "ok" if result.ok else "failing" if self._checks[name].required else "degraded"
            checks[name] = {"ok": result.ok, "status": status, **result.detail}
        statuses = {entry["status"] for entry in checks.values()}
        ready = "failing" not in statuses
        overall = "unavailable" if not ready else "degraded" if "degraded" in statuses else "ok"
        return {
            "status": overall,
            "live": True,
            "ready": ready,
            "uptime_seconds": round(time.monotonic() - self._started, 3),
            "checks": checks,
        }

    async def _run_check(self, name: str) -> CheckResult:
        try:
            async with asyncio.timeout(self._check_timeout):
                return await self._checks[name].run()
        except TimeoutError:
            return CheckResult(False, {"error": f"no answer within {self._check_timeout:g}s"})
        except Exception as exc:
            log.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
            return CheckResult(False, {"error": f"{type(exc).__name__}: {exc}"})

    async def _healthz(self, _request: web.Request) -> web.Response:
        report = await self.readiness()
        return web.json_response(
            report, status=200 if report["ready"] else 503, dumps=_dumps, headers=_NO_CACHE
        )

    async def _livez(self, _request: web.Request) -> web.Response:
        return web.json_response({"live": True}, headers=_NO_CACHE)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        """The library picks the format from the Accept header (OpenMetrics for a Prometheus
        server that asks for it, the classic text format otherwise) and names its content
        type, so the body and the header always agree."""
        encode, content_type = choose_encoder(",".join(request.headers.getall(hdrs.ACCEPT, ())))
        return web.Response(
            body=encode(self._metrics), headers={"Content-Type": content_type, **_NO_CACHE}
        )


_NO_CACHE = {"Cache-Control": "no-store"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
