"""How `papers-bot subscriptions` shows a subscription: a JSON object with stable keys for
scripts, and for people a table row (`list`) or a one-line summary (the other actions).

The next post is computed as /subscription computes it (`bot.commands.schedule`), from the
scheduler's own reading of the post time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.cli._targets import target_text
from bot.commands.follows import describe
from bot.commands.schedule import describe_moment, next_post
from bot.models import ChannelKind
from bot.post_time import PostTimeError
from bot.store.rows import Follow, Subscription

HEADERS = (
    "TARGET",
    "TIME",
    "TOP",
    "MIN VOTES",
    "KEYWORDS",
    "SOURCES",
    "LAYOUT",
    "EMPTY DAYS",
    "LIVE VOTES",
    "FOLLOWING",
    "STATE",
)


def _next_post(sub: Subscription, now: dt.datetime) -> dt.datetime | str:
    """When it posts next, or why it does not."""
    if sub.paused:
        return "none while paused"
    try:
        return next_post(sub.settings.post_time, sub.settings.timezone, now)
    except PostTimeError as exc:  # a row written by hand or by another version
        return f"never: {exc}"


def record(sub: Subscription, follows: Sequence[Follow], now: dt.datetime) -> dict[str, Any]:
    """The JSON object of one subscription and what it follows; these keys stay as they
    are (`follows` came last, with follows)."""
    settings = sub.settings
    channel = sub.channel
    upcoming = _next_post(sub, now)
    return {
        "target": target_text(channel),
        "platform": channel.platform.value,
        "transport": channel.transport.value,
        "workspace": channel.workspace_id,
        "channel": channel.channel_id,
        "state": "paused" if sub.paused else "active",
        "paused_reason": sub.paused_reason if sub.paused else None,
        "post_time": settings.post_time,
        "timezone": settings.timezone,
        "next_post": upcoming.isoformat() if isinstance(upcoming, dt.datetime) else None,
        "top": settings.top_n,
        "min_votes": settings.min_votes,
        "keywords": list(settings.keywords),
        "sources": [source.value for source in settings.sources],
        "language": settings.language,
        "layout": settings.layout,
        "no_papers": settings.no_papers,
        "live_votes": settings.live_votes,
        "channel_kind": settings.channel_kind.value,
        "created_at": sub.created_at.isoformat(),
        "created_by": sub.created_by,
        "updated_at": sub.updated_at.isoformat(),
        "updated_by": sub.updated_by,
        "follows": [{"kind": f.kind.value, "name": f.name} for f in follows],
    }


def _state(sub: Subscription) -> str:
    if not sub.paused:
        return "active"
    return f"paused ({sub.paused_reason or 'no reason given'})"


def _keywords(sub: Subscription) -> str:
    return ", ".join(sub.settings.keywords) or "any"


def _sources(sub: Subscription) -> str:
    return ", ".join(source.value for source in sub.settings.sources) or "all"


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _layout(sub: Subscription) -> str:
    """A Slack channel's layout, or `forum` for a Discord forum (a post per digest)."""
    if sub.settings.channel_kind is ChannelKind.FORUM:
        return ChannelKind.FORUM.value
    return sub.settings.layout


def row(sub: Subscription, follows: Sequence[Follow]) -> tuple[str, ...]:
    """The subscription under `HEADERS`."""
    settings = sub.settings
    return (
        target_text(sub.channel),
        f"{settings.post_time} {settings.timezone}",
        str(settings.top_n),
        str(settings.min_votes),
        _keywords(sub),
        _sources(sub),
        _layout(sub),
        settings.no_papers,
        _on_off(settings.live_votes),
        describe(follows, limit=len(follows)),
        _state(sub),
    )


def summary(sub: Subscription, follows: Sequence[Follow], now: dt.datetime) -> str:
    """Its settings, follows, state and next post in one line."""
    settings = sub.settings
    upcoming = _next_post(sub, now)
    when = describe_moment(upcoming, now) if isinstance(upcoming, dt.datetime) else upcoming
    following = f"; following {describe(follows)}" if follows else ""
    return (
        f"{settings.post_time} {settings.timezone}, top {settings.top_n}, min votes "
        f"{settings.min_votes}, keywords {_keywords(sub)}, sources {_sources(sub)}, layout "
        f"{_layout(sub)}, empty days {settings.no_papers}, live votes "
        f"{_on_off(settings.live_votes)}{following}; {_state(sub)}; next post {when}"
    )
