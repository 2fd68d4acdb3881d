"""/healthz, /livez and /metrics of the bot's web server, and mounting more routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter

from bot.web import CheckResult, HealthCheck, WebServer


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


async def ok_check() -> CheckResult:
    return CheckResult(True, {"backend": "sqlite"})


async def failing_check() -> CheckResult:
    return CheckResult(False, {"last_error": "HTTP 500"})


async def raising_check() -> CheckResult:
    raise ConnectionError("database is gone")


async def hanging_check() -> CheckResult:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def started(server: WebServer) -> str:
    await server.start()
    assert server.port
    return f"http://127.0.0.1:{server.port}"


async def test_healthz_is_200_when_every_check_passes(session: aiohttp.ClientSession) -> None:
    server = WebServer(CollectorRegistry(), host="127.0.0.1", port=0)
    server.add_check("store", ok_check)
    base = await started(server)
    try:
        async with session.get(base + "/healthz") as resp:
            assert resp.status == 200
            body = await resp.json()
    finally:
        await server.stop()
    assert body["ready"] is True
    assert body["live"] is True
    assert body["status"] == "ok"
    assert body["checks"] == {"store": {"ok": True, "status": "ok", "backend": "sqlite"}}


@pytest.mark.parametrize("bad", [failing_check, raising_check, hanging_check])
async def test_healthz_is_503_when_a_required_check_fails_raises_or_hangs(
    session: aiohttp.ClientSession, bad: HealthCheck
) -> None:
    server = WebServer(CollectorRegistry(), host="127.0.0.1", port=0, check_timeout=0.2)
    server.add_check("store", bad)
    server.add_check("delivery", ok_check)
    base = await started(server)
    try:
        async with session.get(base + "/healthz") as resp:
            assert resp.status == 503
            body = await resp.json()
        async with session.get(base + "/livez") as resp:
            assert resp.status == 200
            assert await resp.json() == {"live": True}
    finally:
        await server.stop()
    assert (body["ready"], body["status"]) == (False, "unavailable")
    assert body["checks"]["store"]["ok"] is False
    assert body["checks"]["store"]["status"] == "failing"
    assert body["checks"]["delivery"]["status"] == "ok"


@pytest.mark.parametrize("bad", [failing_check, raising_check, hanging_check])
async def test_a_check_that_is_not_required_only_degrades(
    session: aiohttp.ClientSession, bad: HealthCheck
) -> None:
    """A source down leaves the bot ready: the body says `degraded`, the answer is 200."""
    server = WebServer(CollectorRegistry(), host="127.0.0.1", port=0, check_timeout=0.2)
    server.add_check("store", ok_check)
    server.add_check("sources", bad, required=False)
    base = await started(server)
    try:
        async with session.get(base + "/healthz") as resp:
            assert resp.status == 200
            body = await resp.json()
    finally:
        await server.stop()
    assert (body["ready"], body["status"]) == (True, "degraded")
    assert body["checks"]["sources"]["ok"] is False
    assert body["checks"]["sources"]["status"] == "degraded"
    assert body["checks"]["store"]["status"] == "ok"


async def test_metrics_page_serves_the_registry_in_the_format_asked_for(
    session: aiohttp.ClientSession,
) -> None:
    registry = CollectorRegistry()
    counter = Counter("papers_bot_test_total", "A test counter.", ("source",), registry=registry)
    counter.labels(source="hf").inc()
    server = WebServer(registry, host="127.0.0.1", port=0)
    base = await started(server)
    openmetrics = {"Accept": "application/openmetrics-text; version=1.0.0"}
    try:
        async with session.get(base + "/metrics") as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            plain_type = resp.headers["Content-Type"]
            plain = await resp.text()
        async with session.get(base + "/metrics", headers=openmetrics) as resp:
            assert resp.status == 200
            om_type = resp.headers["Content-Type"]
            om = await resp.text()
    finally:
        await server.stop()
    assert plain_type.startswith("text/plain; version=0.0.4")
    assert "# TYPE papers_bot_test_total counter" in plain
    assert 'papers_bot_test_total{source="hf"} 1.0' in plain.splitlines()
    assert om_type.startswith("application/openmetrics-text; version=1.0.0")
    assert 'papers_bot_test_total{source="hf"} 1.0' in om.splitlines()
    assert om.endswith("# EOF\n")


async def test_routes_mount_before_start_only(session: aiohttp.ClientSession) -> None:
    async def events(request: web.Request) -> web.Response:
        return web.json_response({"echo": await request.json()})

    server = WebServer(CollectorRegistry(), host="127.0.0.1", port=0)
    server.add_routes([web.post("/slack/events", events)])
    base = await started(server)
    try:
        async with session.post(base + "/slack/events", json={"type": "ping"}) as resp:
            assert resp.status == 200
            assert await resp.json() == {"echo": {"type": "ping"}}
        with pytest.raises(RuntimeError, match="before the web server starts"):
            server.add_routes([web.post("/late", events)])
    finally:
        await server.stop()


async def test_a_taken_port_fails_start_cleanly() -> None:
    first = WebServer(CollectorRegistry(), host="127.0.0.1", port=0)
    port = await first.start()
    try:
        second = WebServer(CollectorRegistry(), host="127.0.0.1", port=port)
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            await second.start()
        await second.stop()
    finally:
        await first.stop()
