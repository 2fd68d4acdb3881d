"""What the Discord bot and webhook adapters share: pointing discord.py at a configured
API base, and turning discord.py's exceptions into our error family.

discord.py builds every URL from the class attribute `Route.BASE` and connects the gateway
to `DiscordWebSocket.DEFAULT_GATEWAY`. Assigning those would redirect every client in the
process, so instead each of our clients rewrites URLs at the two choke points it owns (the
HTTP client's `request`/`ws_connect`, and the webhook adapter's `request`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.adapters.base import (
    AdapterError,
    AuthenticationError,
    RateLimitedError,
    RejectedPayloadError,
    TargetGoneError,
    TransientError,
)

DEFAULT_API_BASE = "https://discord.com/api/v10"
MAX_RATELIMIT_WAIT = 30.0
"""Longer 429 waits surface as RateLimitedError (discord.py refuses values below 30 s)."""
DEFAULT_RETRY_AFTER = 5.0
"""Used when a 429 carries no usable retry hint (e.g. a proxy or Cloudflare answer)."""
RESENT_BY_DISCORD_PY = frozenset({500, 502, 504, 524})
"""Answers after which discord.py's HTTP client sends the same request again by itself."""


class ServerErrorNotResent(Exception):
    """A 5xx answer to a request that must not be sent again blindly: the server may have
    carried it out before it failed to answer."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


async def answered_once(response: aiohttp.ClientResponse) -> None:
    """aiohttp's per-request status check, for a request that creates something with no
    nonce to make a repeat harmless (opening a forum post). discord.py resends a request
    answered 500, 502, 504 or 524 up to four more times itself, and a proxy's 502 may come
    after the post was made: raising here stops that loop, and the worker, seeing an
    uncertain failure, looks for the post before it tries again."""
    if response.status in RESENT_BY_DISCORD_PY:
        raise ServerErrorNotResent(response.status)


def rebase(url: str, api_base: str) -> str:
    """Move a URL built on discord.py's default base onto ours; other URLs pass through."""
    default = Route.BASE
    if url.startswith(default):
        return api_base.rstrip("/") + url[len(default) :]
    return url


class RebasedHTTPClient(HTTPClient):
    """discord.py's HTTP client, talking to a configured REST base and gateway."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        api_base: str,
        gateway_url: str | None,
        max_ratelimit_timeout: float | None,
    ) -> None:
        super().__init__(loop, max_ratelimit_timeout=max_ratelimit_timeout)
        self.api_base = api_base
        self.gateway_url = gateway_url

    async def request(self, route: Route, **kwargs: Any) -> Any:
        # Routes are built fresh for every call, so adjusting this one is local to it.
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        given = yarl.URL(url)
        default = DiscordWebSocket.DEFAULT_GATEWAY
        if self.gateway_url and given.host == default.host:
            target = yarl.URL(self.gateway_url).with_query(given.query)
            url = str(target)
        return await super().ws_connect(url, compress=compress)


class RebasedWebhookAdapter(AsyncWebhookAdapter):
    """discord.py's webhook transport, sending to the base a webhook URL was given with."""

    def __init__(self, api_base: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.api_base = api_base

    async def request(self, route: Route, *args: Any, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, *args, **kwargs)


def _retry_after(exc: discord.HTTPException) -> float:
    if isinstance(exc.response, aiohttp.ClientResponse):
        header = exc.response.headers.get("Retry-After")
        with contextlib.suppress(TypeError, ValueError):
            return float(header) if header is not None else DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER


def translate(exc: BaseException, target: str) -> AdapterError | None:
    """Our error for a discord.py/aiohttp failure, or None when it is not a platform error."""
    if isinstance(exc, discord.RateLimited):
        return RateLimitedError(
            f"{target}: rate limited for {exc.retry_after:.1f} s",
            retry_after=exc.retry_after,
            target=target,
        )
    if isinstance(exc, discord.LoginFailure):
        return AuthenticationError("Discord refused the bot token", target=target, status=401)
    if isinstance(exc, discord.HTTPException):
        return _translate_http(exc, target)
    if isinstance(exc, ServerErrorNotResent):
        return TransientError(
            f"{target}: {exc}, not resent (it may have been carried out)",
            target=target,
            status=exc.status,
        )
    if isinstance(exc, discord.GatewayNotFound | discord.ConnectionClosed):
        return TransientError(f"{target}: gateway unavailable ({exc})", target=target)
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        kind = "timed out" if isinstance(exc, TimeoutError) else f"connection failed ({exc})"
        return TransientError(f"{target}: {kind}", target=target)
    return None


def _translate_http(exc: discord.HTTPException, target: str) -> AdapterError:
    status = exc.status
    detail = f"{target}: HTTP {status} (code {exc.code}) {exc.text}".rstrip()
    if status in (403, 404):
        return TargetGoneError(detail, target=target, status=status)
    if status == 429:
        return RateLimitedError(detail, retry_after=_retry_after(exc), target=target)
    if status == 401:
        return AuthenticationError(detail, target=target, status=status)
    if status >= 500:
        return TransientError(detail, target=target, status=status)
    return RejectedPayloadError(detail, target=target, status=status)
