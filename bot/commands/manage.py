"""Changing one channel's subscription, for every caller: the slash commands
(`bot.commands.subscription`, `bot.commands.follows`) and the operators' command line
(`papers-bot subscriptions`): its settings, its pause state, and what it follows.

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
from bot.commands.errors import InvalidArgumentError
from bot.commands.spec import FOLLOWS_MAX
from bot.models import ChannelRef
from bot.store import Store
from bot.store.rows import Follow, FollowKind, Subscription

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


_FOLLOW_PARSERS = ((FollowKind.AUTHOR, a.author), (FollowKind.ORG, a.org))
"""Each /follow option: the kind it follows (named as the option), its check."""


def _named(options: Mapping[str, object]) -> list[Follow]:
    return [
        Follow(kind, parse(raw))
        for kind, parse in _FOLLOW_PARSERS
        if (raw := a.optional(options, kind.value)) is not None
    ]


def _not_one(command: str, choices: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        command, f'give exactly one of {choices}, e.g. author="Kim Min-jun" or org=google'
    )


def requested_follow(options: Mapping[str, object]) -> Follow:
    """The one name /follow was given (author or org), checked; raises
    InvalidArgumentError for a bad name, for none and for both."""
    named = _named(options)
    if len(named) != 1:
        raise _not_one("follow", "author or org")
    return named[0]


def requested_unfollow(options: Mapping[str, object]) -> Follow | None:
    """The one name /unfollow was given, checked, or None for `all`; exactly one of
    author, org and all."""
    named = _named(options)
    every = a.optional(options, "all")
    wants_all = every is not None and a.flag("all", every)
    if len(named) + wants_all != 1:
        raise _not_one("unfollow", "author, org or all")
    return named[0] if named else None


@dataclass(frozen=True, slots=True)
class FollowChange:
    """What /follow or /unfollow found or did for a subscription."""

    subscription: Subscription
    follows: tuple[Follow, ...]
    """What was followed (/follow) or unfollowed (/unfollow), as stored: empty when
    nothing changed."""


async def add_follow(
    store: Store, channel: ChannelRef, follow: Follow, *, actor: str, now: dt.datetime
) -> FollowChange | None:
    """Follow a name in the channel's subscription; None when it has none. Following what
    it follows already changes nothing; a follow past `FOLLOWS_MAX` is refused."""
    sub = await store.subscriptions.get(channel)
    if sub is None:
        return None
    current = await store.follows.of(sub.id)
    if any(f.kind is follow.kind and f.key == follow.key for f in current):
        return FollowChange(sub, ())
    if len(current) >= FOLLOWS_MAX:
        raise InvalidArgumentError(
            follow.kind.value,
            f"this channel follows {FOLLOWS_MAX} names already, the most it may; "
            "unfollow one first",
        )
    added = await store.follows.add(sub.id, follow, actor=actor, now=now)
    return FollowChange(sub, () if added is None else (added,))


async def remove_follow(
    store: Store, channel: ChannelRef, follow: Follow | None
) -> FollowChange | None:
    """Stop following a name (None: every name) in the channel's subscription; None when
    it has none."""
    sub = await store.subscriptions.get(channel)
    if sub is None:
        return None
    if follow is None:
        return FollowChange(sub, await store.follows.clear(sub.id))
    removed = await store.follows.remove(sub.id, follow.kind, follow.key)
    return FollowChange(sub, () if removed is None else (removed,))
