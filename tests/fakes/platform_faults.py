"""What the Discord and Slack fakes share: a 127.0.0.1 aiohttp server on a random port that
records every request and can misbehave on demand.

Faults are queued, matched by a path fragment, and consumed as requests arrive, so a test
says exactly which of its requests fail and how (status, slowness, a dropped connection)
without the fake needing to know anything about the test. Three faults leave the client
unsure what happened, as real networks do: the request is carried out, then its answer is
lost (`lost`), held back (`late`) or replaced by an error status (`failed_after`: a
proxy's 502 after the origin did the work).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARRIVED_AT = web.RequestKey("arrived_at", float)
"""When a request reached the fake, before any fault held it (`time.monotonic()`)."""
FaultKind = Literal["status", "slow", "drop", "rate_limit", "lost", "late", "failed_after"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(slots=True)
class Fault:
    """One queued misbehaviour; `times` requests whose path contains `path` receive it."""

    kind: FaultKind
    path: str = ""
    times: int = 1
    status: int = 500
    delay: float = 0.0
    retry_after: float = 1.0
    is_global: bool = False


@dataclass
class FaultQueue:
    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path in path and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()


class FakeServer:
    """Base for the platform fakes: lifecycle, request log, fault injection.

    Subclasses add routes to `self.app` and say how a platform answers an injected error
    status or rate limit (`error_response`, `rate_limit_response`).
    """

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._middleware])
        self.requests: list[RecordedRequest] = []
        self.throttled: list[str] = []
        """The path of every request answered 429 (queued faults included)."""
        self.faults = FaultQueue()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changed = asyncio.Condition()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # Fault helpers, named for what a test wants to happen.
    def fail_next(self, status: int, *, path: str = "", times: int = 1) -> Fault:
        return self.faults.add(Fault("status", path, times, status=status))

    def slow_next(self, delay: float, *, path: str = "", times: int = 1) -> Fault:
        return self.faults.add(Fault("slow", path, times, delay=delay))

    def drop_next(self, *, path: str = "", times: int = 1) -> Fault:
        return self.faults.add(Fault("drop", path, times))

    def lose_answer_next(self, *, path: str = "", times: int = 1) -> Fault:
        """Carry the request out, then drop the connection before answering."""
        return self.faults.add(Fault("lost", path, times))

    def fail_after_next(self, status: int, *, path: str = "", times: int = 1) -> Fault:
        """Carry the request out, then answer `status` instead of its result."""
        return self.faults.add(Fault("failed_after", path, times, status=status))

    def answer_late_next(self, delay: float, *, path: str = "", times: int = 1) -> Fault:
        """Carry the request out at once, then hold its answer back for `delay` seconds."""
        return self.faults.add(Fault("late", path, times, delay=delay))

    def rate_limit_next(
        self, retry_after: float, *, path: str = "", times: int = 1, is_global: bool = False
    ) -> Fault:
        return self.faults.add(
            Fault("rate_limit", path, times, retry_after=retry_after, is_global=is_global)
        )

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until `predicate()` holds; checked again after every request handled."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def requests_to(self, fragment: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if fragment in r.path and (method is None or r.method == method)
        ]

    def error_response(self, status: int) -> web.StreamResponse:
        return web.json_response({"error": f"injected {status}"}, status=status)

    def rate_limit_response(self, fault: Fault) -> web.StreamResponse:
        return web.json_response({"retry_after": fault.retry_after}, status=429)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)
        try:
            response = await self._answer(request, handler)
            if response.status == 429:
                self.throttled.append(request.path)
            return response
        finally:
            await self._notify()

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request[ARRIVED_AT] = time.monotonic()
        body = await request.read()
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
                at=time.monotonic(),
            )
        )
        fault = self.faults.take(request.path)
        if fault is None:
            return await handler(request)
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return await handler(request)
        if fault.kind in ("lost", "late"):
            response = await handler(request)
            if fault.kind == "late":
                await asyncio.sleep(fault.delay)
                return response
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if fault.kind == "rate_limit":
            return self.rate_limit_response(fault)
        if fault.kind == "failed_after":
            await handler(request)
        return self.error_response(fault.status)
