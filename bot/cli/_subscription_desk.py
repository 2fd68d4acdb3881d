"""What `papers-bot subscriptions` does once its values are checked: the actions on the
store, through the same functions as the slash commands (`bot.commands.manage`), and what
they print.

Imported by the command's handler only, so `papers-bot --help` never loads the store.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.cli._subscription_view import HEADERS, record, row, summary
from bot.cli._targets import Target, TargetError, find_subscription, router, target_text
from bot.cli.output import table, utf8
from bot.commands.env import CommandDefaults, utc_now
from bot.commands.follows import describe
from bot.commands.manage import add_follow, remove_follow, save_settings, set_paused
from bot.config import Settings, load_settings
from bot.delivery.targets import UnroutableError
from bot.errors import PapersBotError
from bot.models import CONSOLE_WORKSPACE, ChannelRef, Platform
from bot.store import Store, open_store
from bot.store.rows import Follow, Subscription

ACTOR = "cli"
"""Who a change made here was made by (`created_by`, `updated_by`)."""
SAID = {
    "added": "added {name}: {summary}",
    "updated": "updated {name}: {summary}",
    "unchanged": "{name} already has these settings: {summary}",
    "paused": "paused {name}: {summary}",
    "already_paused": "{name} was already paused: {summary}",
    "resumed": "resumed {name}: {summary}",
    "not_paused": "{name} is not paused: {summary}",
    "removed": "removed {name} and its queued posts",
    "followed": "{name} follows {what} now: {summary}",
    "already_following": "{name} already follows {what}: {summary}",
    "unfollowed": "{name} no longer follows {what}: {summary}",
    "followed_nobody": "{name} follows nobody; nothing to stop: {summary}",
}
"""The line each result prints without --json; the result is the JSON's `result`."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did (`SAID`'s key), to which subscription, and to what follow."""

    result: str
    sub: Subscription
    what: str = ""


class SubscriptionStateError(PapersBotError):
    """The target has no subscription, or (`add`) already has one."""


@dataclass(frozen=True, slots=True)
class Request:
    """One action with its checked values; `list` takes its filters instead of a target."""

    action: str
    target: Target | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    platform: str | None = None
    state: str | None = None
    follow: Follow | None = None
    """What `follow` follows, or `unfollow` stops following (None: everything)."""

    @property
    def named(self) -> Target:
        assert self.target is not None, "every action but list takes a TARGET"
        return self.target


async def perform(request: Request, *, as_json: bool) -> int:
    settings = load_settings()
    now = utc_now()
    async with open_store(settings.resolved_database_url) as store:
        desk = _Desk(settings, store, now)
        if request.action == "list":
            subs = await desk.listed(request)
        else:
            done = await desk.actions[request.action](request)
            subs = [done.sub]
        follows = await store.follows.of_many([s.id for s in subs])
    out = utf8(sys.stdout)
    if request.action == "list":
        views = [(s, follows.get(s.id, ())) for s in subs]
        if as_json:
            out.writelines(json.dumps(record(*v, now), ensure_ascii=False) + "\n" for v in views)
        elif subs:
            out.write(table(HEADERS, (row(*v) for v in views)))
        else:
            print("no subscriptions", file=sys.stderr)
        return 0
    view = (done.sub, follows.get(done.sub.id, ()))
    if as_json:
        found = {"result": done.result, "subscription": record(*view, now)}
        out.write(json.dumps(found, ensure_ascii=False) + "\n")
    else:
        name = target_text(done.sub.channel)
        line = SAID[done.result].format(name=name, what=done.what, summary=summary(*view, now))
        out.write(line + "\n")
    return 0


class _Desk:
    """The actions on one open store; each returns its result word and the subscription
    (for `remove`, as it was)."""

    def __init__(self, settings: Settings, store: Store, now: dt.datetime) -> None:
        self.settings = settings
        self.store = store
        self.defaults = CommandDefaults.from_settings(settings)
        self.now = now
        self.actions: dict[str, Callable[[Request], Awaitable[Outcome]]] = {
            "add": self.add,
            "set": self.change,
            "pause": self.pause,
            "resume": self.resume,
            "remove": self.remove,
            "follow": self.follow,
            "unfollow": self.unfollow,
        }

    async def listed(self, request: Request) -> list[Subscription]:
        platform = Platform(request.platform) if request.platform else None
        subs = await self.store.subscriptions.list(
            platform=platform, active_only=request.state == "active"
        )
        return [sub for sub in subs if request.state != "paused" or sub.paused]

    async def add(self, request: Request) -> Outcome:
        target = request.named
        _takes_settings(target.name, target.workspace)
        taken = await self.store.subscriptions.list(
            platform=target.platform, channel_id=target.channel
        )
        if taken:
            raise SubscriptionStateError(
                f"{target_text(taken[0].channel)} is already subscribed; change it with "
                "`papers-bot subscriptions set`"
            )
        channel = target.channel_ref()
        self._can_post(target.name, channel)
        change = await save_settings(
            self.store, channel, request.changes, defaults=self.defaults, actor=ACTOR, now=self.now
        )
        return Outcome("added" if change.created else "updated", change.after)

    async def change(self, request: Request) -> Outcome:
        target, sub = await self._existing(request)
        self._can_post(target.name, sub.channel)
        change = await save_settings(
            self.store,
            sub.channel,
            request.changes,
            defaults=self.defaults,
            actor=ACTOR,
            now=self.now,
        )
        return Outcome("updated" if change.changed else "unchanged", change.after)

    async def pause(self, request: Request) -> Outcome:
        return await self._toggle(request, paused=True)

    async def resume(self, request: Request) -> Outcome:
        return await self._toggle(request, paused=False)

    async def _toggle(self, request: Request, *, paused: bool) -> Outcome:
        target, sub = await self._existing(request)
        if not paused:
            self._can_post(target.name, sub.channel)
        change = await set_paused(
            self.store, sub.channel, paused, reason=request.reason, actor=ACTOR, now=self.now
        )
        if change is None:  # removed meanwhile
            raise _missing(target)
        if paused:
            return Outcome("paused" if change.changed else "already_paused", change.after)
        return Outcome("resumed" if change.changed else "not_paused", change.after)

    async def remove(self, request: Request) -> Outcome:
        target, sub = await self._existing(request)
        if not await self.store.subscriptions.delete(sub.channel):
            raise _missing(target)
        return Outcome("removed", sub)

    async def follow(self, request: Request) -> Outcome:
        target, sub = await self._existing(request)
        wanted = request.follow
        assert wanted is not None, "follow takes --author or --org"
        change = await add_follow(self.store, sub.channel, wanted, actor=ACTOR, now=self.now)
        if change is None:  # removed meanwhile
            raise _missing(target)
        result = "followed" if change.follows else "already_following"
        return Outcome(result, change.subscription, wanted.label)

    async def unfollow(self, request: Request) -> Outcome:
        target, sub = await self._existing(request)
        change = await remove_follow(self.store, sub.channel, request.follow)
        if change is None:
            raise _missing(target)
        if change.follows:
            return Outcome("unfollowed", change.subscription, describe(change.follows))
        if request.follow is None:
            return Outcome("followed_nobody", change.subscription)
        raise SubscriptionStateError(f"{target.name} does not follow {request.follow.label}")

    async def _existing(self, request: Request) -> tuple[Target, Subscription]:
        target = request.named
        sub = await find_subscription(self.store, target)
        if sub is None:
            raise _missing(target)
        return target, sub

    def _can_post(self, name: str, channel: ChannelRef) -> None:
        """What /subscribe and /resume ask the platform first, asked of the configuration:
        the running bot schedules only what it can route."""
        try:
            router(self.settings).route(channel)
        except UnroutableError as exc:
            raise TargetError(f"{name}: this configuration cannot post there: {exc}") from None


def _takes_settings(name: str, workspace: str | None) -> None:
    """The dry run makes its one console channel itself (`console:stdout`); its settings
    may be changed like any channel's, but no other console channel can be added."""
    if workspace == CONSOLE_WORKSPACE:
        raise TargetError(
            f"{name}: a dry run has one console channel, console:stdout, and makes it "
            "itself; change its settings with `papers-bot subscriptions set console:stdout`"
        )


def _missing(target: Target) -> SubscriptionStateError:
    return SubscriptionStateError(f"{target.name} has no subscription")
