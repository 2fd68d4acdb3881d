"""The handler layer: runs one invocation and always comes back with a reply.

This is the one place where errors become words. A `CommandError` becomes its own
message; anything else (a database outage, a bug) is logged with its traceback and the
user gets a generic apology, never the exception's text. Adapters call `prepare` first
(the permission and place checks, fast) so a refusal can be answered at once and only
the real work is ever deferred.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from bot.commands import arguments as a
from bot.commands import digest_now, follows, lookup, subscription
from bot.commands.context import Invocation, Prepared, Suggestion
from bot.commands.env import CommandEnv
from bot.commands.errors import (
    GENERIC_FAILURE,
    TOO_SLOW,
    CommandError,
    PermissionDeniedError,
    WrongPlaceError,
)
from bot.commands.permissions import check_allowed
from bot.commands.replies import Reply, Tone
from bot.commands.text_options import parse_text

log = logging.getLogger(__name__)

Handler = Callable[[CommandEnv, Invocation], Awaitable[Reply]]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "paper": lookup.paper,
        "papers": lookup.papers,
        "subscribe": subscription.subscribe,
        "unsubscribe": subscription.unsubscribe,
        "subscription": subscription.show,
        "pause": subscription.pause,
        "resume": subscription.resume,
        "follow": follows.follow,
        "unfollow": follows.unfollow,
        "digest": digest_now.digest,
    }
)
QUICK_TIMEOUT = 20.0
SLOW_TIMEOUT = 120.0
SUGGEST_LIMIT = 10


class Commands:
    """Every slash command, platform-neutral. One instance serves both platforms."""

    def __init__(self, env: CommandEnv) -> None:
        self.env = env

    async def prepare(self, invocation: Invocation) -> Reply | Prepared:
        """A refusal to send now, or the checked command to run (possibly deferred)."""
        try:
            await check_allowed(invocation)
            if invocation.text is not None:
                options = parse_text(invocation.spec, invocation.text)
                invocation = dataclasses.replace(invocation, options=options, text=None)
            share = a.optional(invocation.options, "share")
            ephemeral = share is None or not a.flag("share", share)
        except CommandError as exc:
            return _refusal(invocation, exc)
        except Exception:
            log.exception(
                "/%s: checking the caller failed", invocation.spec.name, extra=_fields(invocation)
            )
            return Reply.error(GENERIC_FAILURE)

        async def run() -> Reply:
            reply = await self._run(invocation)
            if reply.tone in (Tone.ERROR, Tone.REFUSED):
                return reply  # a failure is only ever shown to the person who asked
            return dataclasses.replace(reply, ephemeral=ephemeral)

        return Prepared(ephemeral=ephemeral, run=run)

    async def run(self, invocation: Invocation) -> Reply:
        """Checks and work in one go (for platforms that acknowledge separately)."""
        prepared = await self.prepare(invocation)
        if isinstance(prepared, Reply):
            return prepared
        return await prepared.run()

    async def _run(self, invocation: Invocation) -> Reply:
        spec = invocation.spec
        handler = HANDLERS[spec.name]
        where = _where(invocation)
        try:
            async with asyncio.timeout(SLOW_TIMEOUT if spec.slow else QUICK_TIMEOUT):
                reply = await handler(self.env, invocation)
        except CommandError as exc:
            log.info(
                "/%s in %s: %s", spec.name, where, type(exc).__name__, extra=_fields(invocation)
            )
            return Reply.error(str(exc))
        except TimeoutError:
            log.warning("/%s in %s timed out", spec.name, where, extra=_fields(invocation))
            return Reply.error(TOO_SLOW)
        except Exception:
            log.exception("/%s in %s failed", spec.name, where, extra=_fields(invocation))
            return Reply.error(GENERIC_FAILURE)
        log.info("/%s in %s: %s", spec.name, where, reply.tone.value, extra=_fields(invocation))
        return reply

    async def suggest(self, text: str, *, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
        """Autocomplete for /paper; an empty list (never an error) when anything fails."""
        try:
            return await lookup.suggest(self.env, text, limit=limit)
        except Exception:
            log.exception("/paper autocomplete failed")
            return []


def _refusal(invocation: Invocation, exc: CommandError) -> Reply:
    log.info(
        "/%s in %s refused: %s",
        invocation.spec.name,
        _where(invocation),
        type(exc).__name__,
        extra=_fields(invocation),
    )
    if isinstance(exc, PermissionDeniedError | WrongPlaceError):
        return Reply.refused(str(exc))
    return Reply.error(str(exc))


def _fields(invocation: Invocation) -> dict[str, object]:
    """The structured fields of a line about this command (`bot.logs.FIELDS`)."""
    channel = invocation.channel
    return {
        "platform": channel.platform.value,
        "channel": channel.label,
        "command": invocation.spec.name,
    }


def _where(invocation: Invocation) -> str:
    channel = invocation.channel
    return f"{channel.platform.value}:{channel.workspace_id}/{channel.channel_id}"
