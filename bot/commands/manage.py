"""Changing one channel's subscription, for every caller: the slash commands
(`bot.commands.subscription`) and the operators' command line (`papers-bot subscriptions`).

Both hand over the options as typed, by their names in the spec (`bot.commands.spec`), and
get them checked here by `bot.commands.arguments`, so a value is refused with the same words
whoever typed it, before the store is touched. What the store then does is the same too: a
new subscription starts from the configured defaults (`CommandDefaults`) and the store's
defaults for the rest; an existing one changes only what it is given and keeps its pause
state. The callers only word the outcome (`Change`) their own way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.commands import arguments as a
from bot.commands.env import CommandDefaults
from bot.models import ChannelRef
from bot.store import Store
from bot.store.rows import Subscription

_PARSERS: tuple[tuple[str, str, Any], ...] = (
    ("min_votes", "min_votes", a.min_votes),
    ("top", "top_n", a.top),
    ("keywords", "keywords", a.keywords),
    ("time", "post_time", a.post_time),
    ("timezone", "timezone", a.timezone),
    ("source", "sources", a.sources),
    ("layout", "layout", lambda raw: a.layout(raw).value),
    ("no_papers", "no_papers", a.no_papers),
    ("live_votes", "live_votes", a.live_votes),
)
"""Each /subscribe option: its name in the spec, its SubscriptionSettings field, its check."""


def requested_changes(options: Mapping[str, object]) -> dict[str, Any]:
    """The /subscribe options given (absent or blank ones left out), checked, as
    SubscriptionSettings fields; raises InvalidArgumentError for the first bad one."""
    changes: dict[str, Any] = {}
    for option, field, parse in _PARSERS:
        raw = a.optional(options, option)
        if raw is not None:
            changes[field] = parse(raw)
    return changes


def pause_reason(options: Mapping[str, object], default: str) -> str:
    """The /pause reason given, checked, or the caller's own words when none was."""
    raw = a.optional(options, "reason")
    return default if raw is None else a.reason(raw)


@dataclass(frozen=True, slots=True)
class Change:
    """A subscription before and after a request; the same value twice when the request
    asked for what it already was."""

    before: Subscription | None
    after: Subscription

    @property
    def created(self) -> bool:
        return self.before is None

    @property
    def changed(self) -> bool:
        return self.before != self.after


async def save_settings(
    store: Store,
    channel: ChannelRef,
    changes: Mapping[str, Any],
    *,
    defaults: CommandDefaults,
    actor: str,
    now: dt.datetime,
) -> Change:
    """Create the channel's subscription or change the given settings of its existing one;
    nothing is written when they are what it already has."""
    existing = await store.subscriptions.get(channel)
    base = defaults.new_settings() if existing is None else existing.settings
    wanted = dataclasses.replace(base, **changes)
    if existing is not None and wanted == existing.settings:
        return Change(existing, existing)
    saved = await store.subscriptions.save(channel, wanted, actor=actor, now=now)
    return Change(existing, saved)


async def set_paused(
    store: Store,
    channel: ChannelRef,
    paused: bool,
    *,
    reason: str | None,
    actor: str,
    now: dt.datetime,
) -> Change | None:
    """Pause (with the reason) or resume the channel's subscription; None when it has none.
    One already in that state is left as it is, its reason too."""
    existing = await store.subscriptions.get(channel)
    if existing is None:
        return None
    if existing.paused == paused:
        return Change(existing, existing)
    after = await store.subscriptions.set_paused(
        channel, paused, reason=reason, actor=actor, now=now
    )
    return None if after is None else Change(existing, after)
