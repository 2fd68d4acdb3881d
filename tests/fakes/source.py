"""A local fake digest source: markdown digests by date, the HF daily_papers API, feeds.

It speaks plain HTTP on 127.0.0.1 like the real hosts (ETag / Last-Modified with real 304s,
HF paging with `date`/`limit`/`p` and a 400 for a bad date) and misbehaves on demand
(5xx, 429 + Retry-After, slow answers, oversized or dropped bodies), recording every request.

Use it from tests through the `fake_source` fixture, or by hand:

    python -m tests.fakes.source --port 8081 --dir tests/fixtures/corpus/daily_papers_ko
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web

DIGEST_PATH = "/digests/{yyyy}/{mm}/{dd}.md"
HF_PATH = "/api/daily_papers"
FEED_PATH = "/feeds/{name}"
HF_DEFAULT_LIMIT = 50
HF_MAX_LIMIT = 100
#: Every resource claims this modification time unless told otherwise.
DEFAULT_LAST_MODIFIED = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass(slots=True)
class Fault:
    """Misbehaviour for the next `remaining` requests whose path starts with `path_prefix`."""

    kind: str
    remaining: int
    path_prefix: str = "/"
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    size: int = 0
    with_length: bool = True


@dataclass(slots=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: dt.datetime = DEFAULT_LAST_MODIFIED

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class FakeSource:
    """The server's state: what it serves, what goes wrong next, and what it was asked."""

    digest_dir: Path | None = None
    digests: dict[dt.date, Resource] = field(default_factory=dict)
    hf_days: dict[dt.date, list[Any]] = field(default_factory=dict)
    feeds: dict[str, Resource] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    #: Misbehave like an API that ignores `p` and answers page 0 every time.
    hf_ignores_paging: bool = False
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    base_url: str = ""

    # ---- content -------------------------------------------------------------------------

    def add_digest(
        self, day: dt.date, body: bytes | str, *, last_modified: dt.datetime | None = None
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.digests[day] = Resource(
            data, "text/plain; charset=utf-8", last_modified or DEFAULT_LAST_MODIFIED
        )
        return self.digest_url(day)

    def add_hf_day(self, day: dt.date, items: list[Any]) -> None:
        self.hf_days[day] = items

    def add_feed(self, name: str, body: bytes | str, content_type: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.feeds[name] = Resource(data, content_type)
        return f"{self.base_url}/feeds/{name}"

    @property
    def digest_template(self) -> str:
        return self.base_url + DIGEST_PATH

    @property
    def hf_url(self) -> str:
        return self.base_url + HF_PATH

    def digest_url(self, day: dt.date) -> str:
        return self.base_url + DIGEST_PATH.format(
            yyyy=f"{day.year:04d}", mm=f"{day.month:02d}", dd=f"{day.day:02d}"
        )

    # ---- faults --------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, *, path_prefix: str = "/") -> None:
        self.faults.append(Fault("status", n, path_prefix, status=status))

    def rate_limit_next(self, n: int, retry_after: str | None, *, path_prefix: str = "/") -> None:
        self.faults.append(Fault("status", n, path_prefix, status=429, retry_after=retry_after))

    def delay_next(self, n: int, seconds: float, *, path_prefix: str = "/") -> None:
        self.faults.append(Fault("delay", n, path_prefix, delay=seconds))

    def oversize_next(
        self, n: int, size: int, *, with_length: bool = True, path_prefix: str = "/"
    ) -> None:
        self.faults.append(Fault("oversize", n, path_prefix, size=size, with_length=with_length))

    def drop_next(self, n: int, *, path_prefix: str = "/") -> None:
        """Close the connection without answering (a crashed upstream or a reset)."""
        self.faults.append(Fault("drop", n, path_prefix))

    def drop_mid_body_next(self, n: int, *, path_prefix: str = "/") -> None:
        """Promise a body, send part of it, then hang up."""
        self.faults.append(Fault("drop_mid_body", n, path_prefix))

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # ---- lifecycle -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/digests/{yyyy:\\d{4}}/{mm:\\d{2}}/{dd:\\d{2}}.md", self._digest)
        app.router.add_get(HF_PATH, self._hf)
        app.router.add_get("/feeds/{name}", self._feed)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- handlers ------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # Recorded on arrival: a request the client gave up on still happened.
        self.requests.append(
            RecordedRequest(
                request.method, request.path, dict(request.query), dict(request.headers)
            )
        )
        fault = self._take_fault(request.path)
        response = await self._misbehave(request, fault) if fault else None
        if response is None:
            response = await handler(request)
        return response

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                return fault
        return None

    async def _misbehave(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return web.Response(status=fault.status, text="fake failure", headers=headers)
        if fault.kind == "delay":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.delay)
            return None
        if fault.kind == "oversize":
            return await self._oversized(request, fault)
        transport = request.transport
        if fault.kind == "drop_mid_body":
            response = web.StreamResponse(headers={"Content-Length": "10000"})
            await response.prepare(request)
            await response.write(b"x" * 500)
        if transport is not None:
            transport.close()
        return web.Response(status=599)  # never reaches the client: the socket is closed

    async def _oversized(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.with_length:
            return web.Response(body=b"x" * fault.size, content_type="text/plain")
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < fault.size:
                await response.write(chunk[: fault.size - sent])
                sent += len(chunk)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client refused the rest, as it should
        return response

    async def _digest(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        try:
            day = dt.date(int(info["yyyy"]), int(info["mm"]), int(info["dd"]))
        except ValueError:
            raise web.HTTPNotFound() from None
        resource = self.digests.get(day) or await asyncio.to_thread(self._digest_from_dir, day)
        if resource is None:
            raise web.HTTPNotFound(text="404: Not Found")
        return _conditional(request, resource)

    def _digest_from_dir(self, day: dt.date) -> Resource | None:
        if self.digest_dir is None:
            return None
        path = self.digest_dir / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}.md"
        if not path.is_file():
            return None
        mtime = dt.datetime.fromtimestamp(int(path.stat().st_mtime), dt.UTC)
        return Resource(path.read_bytes(), "text/plain; charset=utf-8", mtime)

    async def _hf(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        date_text = query.get("date")
        if date_text is None:
            day = max(self.hf_days, default=None)
        else:
            day = _parse_day(date_text)
            if day is None:
                return web.json_response({"error": "Invalid date"}, status=400)
        try:
            limit = int(query.get("limit", HF_DEFAULT_LIMIT))
            page = int(query.get("p", 0))
        except ValueError:
            return web.json_response({"error": "Invalid limit or p"}, status=400)
        if not (1 <= limit <= HF_MAX_LIMIT) or page < 0:
            return web.json_response({"error": "limit or p out of range"}, status=400)
        items = self.hf_days.get(day, []) if day is not None else []
        if self.hf_ignores_paging:
            page = 0
        return web.json_response(items[page * limit : (page + 1) * limit])

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        resource = self.feeds.get(request.match_info["name"])
        if resource is None:
            raise web.HTTPNotFound()
        return _conditional(request, resource)


def _parse_day(text: str) -> dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _conditional(request: web.Request, resource: Resource) -> web.Response:
    """RFC 9110: If-None-Match wins; If-Modified-Since only counts without it."""
    headers = {
        "ETag": resource.etag,
        "Last-Modified": format_datetime(resource.last_modified, usegmt=True),
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        if resource.etag in tags or "*" in tags:
            return web.Response(status=304, headers=headers)
    elif (since := _http_date(request.headers.get("If-Modified-Since"))) is not None and (
        resource.last_modified <= since
    ):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=resource.body, headers={**headers, "Content-Type": resource.content_type}
    )


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


@pytest_asyncio.fixture
async def fake_source() -> AsyncIterator[FakeSource]:
    """A started fake source on 127.0.0.1 and a random port, closed after the test."""
    source = FakeSource()
    await source.start()
    try:
        yield source
    finally:
        await source.close()


def _load_hf_dir(source: FakeSource, folder: Path) -> None:
    for path in sorted(folder.glob("*.json")):
        day = _parse_day(path.stem)
        if day is not None:
            source.add_hf_day(day, json.loads(path.read_text(encoding="utf-8")))


async def _serve(source: FakeSource, host: str, port: int) -> None:
    await source.start(host, port)
    print(f"fake source on {source.base_url}", file=sys.stderr)
    print(f"DIGEST_URL_TEMPLATE={source.digest_template}")
    print(f"HF_API_URL={source.hf_url}")
    if source.feeds:
        print("FEED_URLS=" + ",".join(f"{source.base_url}/feeds/{n}" for n in source.feeds))
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels the run
    finally:
        await source.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.source", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--dir", type=Path, help="markdown digests laid out as YYYY/MM/DD.md")
    parser.add_argument("--hf-dir", type=Path, help="HF API answers as YYYY-MM-DD.json")
    parser.add_argument("--feed", action="append", default=[], metavar="NAME=FILE")
    args = parser.parse_args(argv)
    source = FakeSource(digest_dir=args.dir)
    if args.hf_dir is not None:
        _load_hf_dir(source, args.hf_dir)
    for spec in args.feed:
        name, _, file = spec.partition("=")
        source.add_feed(name, Path(file).read_bytes(), "application/xml")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(source, args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
