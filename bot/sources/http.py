"""The one way the bot GETs a source: shared session, conditional GET, size cap, retries.

Every source goes through `Fetcher.get` so the fetching rules of SOURCES.md (timeouts,
a body cap, ETag / Last-Modified, backoff with jitter on transient failures) live in one
place, and the scheduler sees only our own error types. A failure is logged once, by whoever
handles the error it raises (the poller's line for the poll, the CLI's message): the
fetcher's own lines, each retry included, are DEBUG.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from bot import __version__, retry
from bot.sources.errors import BodyTooLargeError, FetchError, HttpStatusError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

USER_AGENT = f"papers-bot/{__version__}"
CHUNK_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_RETRIES = 3
#: A connection that cannot even be opened in this long is not going to work on this poll.
MAX_CONNECT_SECONDS = 10.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said identifies this version of the body; sent back to get a 304."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def updated_by(self, newer: Validators) -> Validators:
        """A 304 may or may not repeat the validators; keep what we knew where it is silent."""
        return Validators(
            etag=newer.etag or self.etag,
            last_modified=newer.last_modified or self.last_modified,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.etag or self.last_modified)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One finished GET: a 2xx with its body, or a 304 (body None)."""

    url: str
    final_url: str
    status: int
    body: bytes | None
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Backoff:
    """A fetcher's retry waits: `bot.retry.backoff` with the source base and cap, and the
    server's Retry-After up to its own cap; injectable so tests pin the draws and never
    wait for real."""

    base: float = 0.5
    cap: float = 30.0
    retry_after_cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """The wait after attempt number `attempt` (0 for the first GET) failed."""
        return retry.backoff(attempt + 1, base=self.base, cap=self.cap, rng=self.rng)

    def next_delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Honour the server's Retry-After (seconds or HTTP date), but never beyond the cap."""
        seconds = parse_retry_after(retry_after) if retry_after else None
        if seconds is None:
            return self.delay(attempt)
        return min(max(seconds, 0.0), self.retry_after_cap)


def parse_retry_after(value: str, *, now: dt.datetime | None = None) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - (now or dt.datetime.now(dt.UTC))).total_seconds()


def client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """A bound on the whole request plus on connecting and on each read."""
    return aiohttp.ClientTimeout(
        total=seconds, sock_connect=min(seconds, MAX_CONNECT_SECONDS), sock_read=seconds
    )


def display_url(url: str) -> str:
    """The URL as logs show it: source URLs are public, but never echo user:password@."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return url
    if parsed.user or parsed.password:
        return str(parsed.with_user(None))
    return url


class _Transient(Exception):
    """A failure worth another attempt; carries the text for the log and the final error."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class Fetcher:
    """GETs public source URLs through the process's one shared `aiohttp.ClientSession`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        retries: int = DEFAULT_RETRIES,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        self._session = session
        self._timeout = client_timeout(timeout)
        self.max_body_bytes = max_body_bytes
        self.retries = retries
        self._backoff = backoff or Backoff()
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> Fetcher:
        return cls(
            session,
            timeout=settings.http_timeout,
            max_body_bytes=settings.http_max_body_bytes,
            retries=settings.http_retries,
            backoff=backoff,
            sleep=sleep,
        )

    async def get(self, url: str, *, validators: Validators | None = None) -> FetchResult:
        """GET `url`; a 304 comes back as a result with no body, every failure as FetchError.

        Retries 5xx, 429, timeouts and dropped connections up to `retries` times; a 4xx
        (other than 429) or an oversized body fails at once, since asking again won't help.
        """
        headers = {"User-Agent": USER_AGENT}
        if validators is not None:
            headers.update(validators.request_headers())
        shown = display_url(url)
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return await self._attempt(url, shown, headers)
            except _Transient as failure:
                if attempt + 1 >= attempts:
                    log.debug("GET %s failed: %s; giving up", shown, failure.reason)
                    if failure.status is not None:
                        raise HttpStatusError(shown, failure.status, attempts=attempts) from None
                    raise FetchError(
                        f"{shown}: {failure.reason} (after {attempts} attempts)"
                    ) from None
                delay = self._backoff.next_delay(attempt, failure.retry_after)
                log.debug(
                    "GET %s failed: %s; retry %d/%d in %.2fs",
                    shown,
                    failure.reason,
                    attempt + 1,
                    self.retries,
                    delay,
                )
                await self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _attempt(self, url: str, shown: str, headers: dict[str, str]) -> FetchResult:
        try:
            async with self._session.get(url, headers=headers, timeout=self._timeout) as resp:
                status = resp.status
                if status == 429 or status >= 500:
                    raise _Transient(
                        f"HTTP {status}", status=status, retry_after=resp.headers.get("Retry-After")
                    )
                if status != 304 and not 200 <= status < 300:
                    raise HttpStatusError(shown, status)
                found = Validators(
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                )
                body = None if status == 304 else await self._read_capped(resp, shown)
                log.debug("GET %s -> %d (%s bytes)", shown, status, len(body or b""))
                return FetchResult(url, str(resp.url), status, body, found)
        except TimeoutError:
            raise _Transient("timed out") from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise _Transient(f"connection failed ({type(exc).__name__}: {exc})") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"{shown}: {type(exc).__name__}: {exc}") from None

    async def _read_capped(self, resp: aiohttp.ClientResponse, shown: str) -> bytes:
        """Refuse before reading when the length is announced, and while streaming when not."""
        limit = self.max_body_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise BodyTooLargeError(shown, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise BodyTooLargeError(shown, limit)
            chunks.append(chunk)
        return b"".join(chunks)
