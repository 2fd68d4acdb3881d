"""Sending a rendered digest to the invoking channel through the bot's own adapter.

Both platforms share this: render with the platform's digest renderer, send each message
in order, thread replies under the header where the layout asks for it, and turn the
adapter's failure kinds into messages the person who ran /digest can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.adapters.base import (
    Adapter,
    AdapterError,
    RateLimitedError,
    Receipt,
    TargetGoneError,
    TransientError,
)
from bot.commands.errors import CommandError, TryLaterError, WrongPlaceError
from bot.models import Digest, Paper
from bot.render.message import MessageRole, RenderedMessage
from bot.render.options import RenderOptions

DigestRenderer = Callable[..., list[RenderedMessage]]
"""`render_discord_digest` / `render_slack_digest`: (digest, papers, *, options)."""


class AdapterPoster:
    """A `ChannelPoster` for one channel of one adapter."""

    def __init__(self, adapter: Adapter, target: str, render: DigestRenderer) -> None:
        self._adapter = adapter
        self._target = target
        self._render = render

    async def post_digest(
        self, digest: Digest, papers: Sequence[Paper], options: RenderOptions
    ) -> int:
        messages = self._render(digest, papers, options=options)
        header: Receipt | None = None
        sent = 0
        for message in messages:
            reply_to = header if message.in_thread else None
            try:
                receipt = await self._adapter.send(self._target, message, reply_to=reply_to)
            except AdapterError as exc:
                raise _user_error(exc, sent) from exc
            if message.role is MessageRole.HEADER and header is None:
                header = receipt
            sent += 1
        return sent


def _user_error(exc: AdapterError, sent: int) -> CommandError:
    done = f" ({sent} message(s) went out before that)" if sent else ""
    if isinstance(exc, TargetGoneError):
        return WrongPlaceError(
            "I can't post in this channel: the platform refused access. "
            f"Invite me or give me permission to post here{done}."
        )
    if isinstance(exc, RateLimitedError):
        return TryLaterError(
            f"The platform is rate-limiting me; try /digest again in about "
            f"{max(1, round(exc.retry_after))} s{done}."
        )
    if isinstance(exc, TransientError):
        return TryLaterError(f"The platform did not answer in time; try again shortly{done}.")
    return TryLaterError(f"The platform refused the post; this was logged{done}.")
