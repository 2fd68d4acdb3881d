"""The one interface every chat platform sits behind, and the errors they all share.

Delivery code catches these four failure kinds and nothing platform-specific: a target that
is gone is dropped, a rate limit is rescheduled, a transient failure is retried with the same
idempotency key, and a rejected payload is a rendering bug that must never be retried.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.errors import PapersBotError
from bot.models import Platform
from bot.render.message import RenderedMessage

log = logging.getLogger(__name__)

LOOKBACK_MARGIN = dt.timedelta(seconds=30)
"""Clock skew allowance when asking a platform for messages since an attempt."""


class AdapterError(PapersBotError):
    """A platform call failed; `target` says where, never with a secret in it."""

    def __init__(self, message: str, *, target: str | None = None, status: int | None = None):
        super().__init__(message)
        self.target = target
        self.status = status


class TargetGoneError(AdapterError):
    """403/404 and friends: channel deleted, bot removed, webhook revoked. Stop using it."""


class RateLimitedError(AdapterError):
    """The platform asked us to wait longer than the adapter is willing to wait inline."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        target: str | None = None,
        status: int | None = 429,
    ):
        super().__init__(message, target=target, status=status)
        self.retry_after = retry_after


class TransientError(AdapterError):
    """5xx, timeouts, dropped connections: retry later with the same idempotency key."""


class RejectedPayloadError(AdapterError):
    """400: the body breaks a platform rule. A bug in rendering; retrying cannot help."""


class AuthenticationError(AdapterError):
    """The token or secret was refused: an operator must fix the configuration."""


class CannotEditError(AdapterError):
    """This way of posting cannot change a message once posted (Slack incoming webhooks)."""


Translator = Callable[[BaseException, str], AdapterError | None]
"""Maps a library exception to our error for a target, or None when it is not a platform
failure (a programming error, which must propagate unchanged)."""


@contextlib.asynccontextmanager
async def guarded(target: str, seconds: float, translate: Translator) -> AsyncIterator[None]:
    """Bound one platform call in time and re-raise its failure as one of our classes."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except AdapterError:
        raise
    except Exception as exc:
        translated = translate(exc, target)
        if translated is None:
            raise
        raise translated from exc


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof that a message landed, with the id needed to thread under it or look it up.

    `message_id` is Discord's snowflake or Slack's `ts`; webhooks that answer only "ok"
    (Slack incoming webhooks) have none.
    """

    platform: Platform
    target: str
    message_id: str | None
    channel_id: str | None = None


NONCE_LENGTH = 25
"""Discord caps a nonce at 25 characters; the same key is used as Slack metadata."""


def nonce_for(idempotency_key: str | None) -> str:
    """A short, stable token for a delivery, so a retried send is recognised as the same one.

    Without a key the nonce is random: the library's own retries of one call still share it.
    """
    if idempotency_key is None:
        return secrets.token_hex(NONCE_LENGTH // 2)
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:NONCE_LENGTH]


class Adapter(abc.ABC):
    """A thin translator between a rendered message and one platform API call.

    Lifecycle: `start()` once (log in, open sockets), any number of `send()`, then `stop()`.
    Adapters are also async context managers doing exactly that.
    """

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """A label for logs and CLI output; never contains a token or a webhook secret."""

    # The three hooks below are optional on purpose (B027): webhooks and the console have
    # nothing to connect and no commands to publish.
    async def start(self) -> None:  # noqa: B027
        """Connect and authenticate; the default has nothing to do."""

    async def stop(self) -> None:  # noqa: B027
        """Release connections; must be safe to call twice or without `start()`."""

    @abc.abstractmethod
    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Post `message.body` to `target` in one API call.

        `reply_to` places the message in the thread of an earlier one where the platform
        has threads; `idempotency_key` makes a retry of the same delivery post at most once
        where the platform supports it (Discord nonce) or can be checked (Slack metadata).
        """

    async def find_sent(
        self,
        target: str,
        message: RenderedMessage,
        idempotency_key: str,
        *,
        since: dt.datetime,
        now: dt.datetime,
        reply_to: Receipt | None = None,
    ) -> Receipt | None:
        """The earlier copy of a message that may have landed (its send timed out, or its
        process died mid-send), looked up by its key, or None: send it (again).

        Called before re-sending an uncertain message, with the `reply_to` its send gets
        (where a thread reply would be). The default cannot ask (webhooks, the console):
        the message is sent again, at least once. Bot adapters look in the channel for a
        message carrying the key, posted since `since` (the attempt)."""
        log.info("%s cannot be asked whether a message landed; sending it again", self.name)
        return None

    async def edit(
        self,
        target: str,
        message_id: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
    ) -> None:
        """Make the posted message `message_id` in `target` show `message.body` instead,
        in one API call (live cards). The body is the whole content, as `send` takes it,
        so repeating an edit changes nothing; `reply_to` is what `send` was given for a
        message `in_thread` (the message whose thread holds it). The default cannot edit."""
        raise CannotEditError(f"{self.name} cannot edit a posted message", target=target)

    async def register_commands(self) -> None:  # noqa: B027
        """Publish slash-command definitions where the platform takes them from the API."""

    async def __aenter__(self) -> Adapter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
