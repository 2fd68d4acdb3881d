"""What the Slack bot and webhook adapters share: which Slack answers mean which of our
errors, and a 429 policy that waits out short Retry-After values only.

slack-sdk retries nothing but connection errors by default. Connection errors are exactly
the case where a post may already have landed, so we do not retry those blindly (the caller
retries with its idempotency key); a 429 by contrast guarantees nothing was posted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.adapters.base import (
    AdapterError,
    AuthenticationError,
    RateLimitedError,
    RejectedPayloadError,
    TargetGoneError,
    TransientError,
)

DEFAULT_RETRY_AFTER = 30.0
MAX_INLINE_WAIT = 30.0
RATE_LIMIT_RETRIES = 3

GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "account_inactive",
        "token_revoked",
        "team_access_not_granted",
        "no_service",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "restricted_action",
        # chat.update: the message was deleted, or is not the bot's to change.
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "invalid_token", "missing_scope"})
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def retry_after_seconds(headers: Mapping[str, Any]) -> float:
    """Retry-After as seconds; slack-sdk hands headers over as str or list of str."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            with contextlib.suppress(TypeError, ValueError):
                return float(raw)
    return DEFAULT_RETRY_AFTER


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, but only for waits we are willing to sit through."""

    def __init__(self, *, max_wait: float = MAX_INLINE_WAIT, retries: int = RATE_LIMIT_RETRIES):
        super().__init__(max_retry_count=retries)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(response.headers) <= self.max_wait


def classify(
    status: int, error: str, detail: str, target: str, headers: Mapping[str, Any]
) -> AdapterError:
    """One rule for Web API and webhook answers alike."""
    message = f"{target}: {detail}"
    if status == 429 or error in ("ratelimited", "rate_limited"):
        return RateLimitedError(message, retry_after=retry_after_seconds(headers), target=target)
    if error in AUTH_ERRORS or status == 401:
        return AuthenticationError(message, target=target, status=status)
    if error in GONE_ERRORS or status in (403, 404, 410):
        return TargetGoneError(message, target=target, status=status)
    if status >= 500 or error in TRANSIENT_ERRORS:
        return TransientError(message, target=target, status=status)
    return RejectedPayloadError(message, target=target, status=status)


def translate(exc: BaseException, target: str) -> AdapterError | None:
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error", ""))
        status = exc.response.status_code
        details = data.get("response_metadata", {}).get("messages") or []
        detail = f"HTTP {status} {error} {'; '.join(details)}".strip()
        return classify(status, error, detail, target, exc.response.headers)
    if isinstance(exc, TimeoutError):
        return TransientError(f"{target}: timed out", target=target)
    if isinstance(exc, aiohttp.ClientError | OSError | SlackClientError):
        return TransientError(f"{target}: connection failed ({exc})", target=target)
    return None
