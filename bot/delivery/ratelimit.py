"""Proactive rate limiting: never send what the platform would answer with 429.

Each scope (Discord's global budget, one Discord channel, one Slack workspace, one Slack
channel, one webhook) is a sliding window: at most `limit` sends in any `period`. A sliding
window is safe against every server-side scheme in use (Discord's fixed windows, Slack's
refilling buckets) because any interval of `period` holds at most `limit` of our sends; the
period is stretched by a small margin for the network jitter between our clock and theirs.
A send waits until every scope it touches has room, then counts in all of them at once.

Edits of posted messages (live cards) have budgets of their own, so they never delay a
post: Discord's per-channel edit bucket, the webhook's, and Slack's chat.update (its own
method, Tier 3). The one budget they must share with posts is Discord's global one, and of
that they may take at most a tenth (`discord:edits`); the editor also waits while posts are
due (`bot.delivery.edits`).

Live feedback: a 429 that still gets through blocks its scope for the Retry-After it
carried. Discord's per-route X-RateLimit-* headers are tracked by discord.py itself, under
us, which waits out an exhausted bucket before sending.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.delivery.targets import Route
from bot.models import Platform, Transport

Clock = Callable[[], float]
#: Waits as `asyncio.sleep` does; one that moves a fake clock goes with it.
Sleep = Callable[[float], Awaitable[None]]
JITTER_MARGIN = 0.02
JITTER_FLOOR = 0.01
#: Seconds between sweeps of idle windows: longer than every documented window, so a
#: window kept by one sweep had a send (or a block) since the previous one.
SWEEP_EVERY = 60.0
SHARED_BURST = 5
GLOBAL_DISCORD = "discord:global"
DISCORD_EDITS = "discord:edits"
EDIT_SHARE = 0.1
"""The part of Discord's global budget edits may take; posts always keep the rest."""
FLEET_SCOPES = (
    GLOBAL_DISCORD,
    DISCORD_EDITS,
    "slack:workspace:",
    "slack:history:",
    "slack:update:",
)
"""Budgets Discord and Slack count per bot or per workspace, whichever instance sends:
instances sharing a database split them (`RateLimiter.share`)."""


@dataclass(frozen=True, slots=True)
class Limit:
    limit: int
    period: float
    averaged: bool = False
    """The budget is counted over a longer span than `period` (Slack's per-minute tiers,
    or a cap of our own such as edits' part of Discord's budget): the window only paces
    the sends, and a part of it for one of several instances may keep the rate alone.
    Otherwise the platform counts every `period` (Discord's global second), and each part
    must hold in every such window."""

    @classmethod
    def per_minute(cls, count: int) -> Limit:
        """N a minute as the smallest window holding whole sends (600/min: 10 per second)."""
        per_second = count / 60
        limit = max(1, math.floor(per_second))
        return cls(limit, limit / per_second, averaged=True)

    def stretched(self) -> Limit:
        period = self.period * (1 + JITTER_MARGIN) + JITTER_FLOOR
        return Limit(self.limit, period, self.averaged)

    def shared(self, instances: int) -> Limit:
        """This instance's part when `instances` send against the same budget, in short
        windows of at most SHARED_BURST requests. An averaged budget is split by rate
        (300 a minute over 2: 2 per 0.8 s each). Otherwise each instance gets a whole
        number of requests per platform window, in bursts that divide it evenly, so that
        every window of the platform holds at most the limit from all of them together:
        50/s over 2 is 5 per 0.2 s each; over 3, 16 a second as 4 per 0.25 s (5 per 0.3 s
        would let 4 bursts, 20, into one second: 60 from three)."""
        if instances <= 1:
            return self
        share = self.limit // instances
        if self.averaged or share < 1:
            burst = max(1, min(share, SHARED_BURST))
            return Limit(burst, self.period * burst * instances / self.limit, self.averaged)
        burst = max(k for k in range(1, min(share, SHARED_BURST) + 1) if share % k == 0)
        return Limit(burst, self.period * burst / share)


@dataclass
class Window:
    limit: int
    period: float
    base: Limit
    """The scope's documented limit, before this instance's share of it."""
    sent: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0

    def wait(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.period:
            self.sent.popleft()
        wait = max(0.0, self.blocked_until - now)
        if len(self.sent) >= self.limit:
            wait = max(wait, self.sent[0] + self.period - now)
        return wait

    def idle(self, now: float) -> bool:
        """No send inside the period and no block: the window is as good as a new one."""
        return self.wait(now) <= 0 and not self.sent


@dataclass(frozen=True, slots=True)
class Limits:
    """The documented numbers (see PLATFORM_LIMITS.md), overridable from settings."""

    discord_global: Limit = Limit(50, 1.0)
    discord_channel: Limit = Limit(5, 5.0)
    discord_webhook: Limit = Limit(5, 2.0)
    slack_channel: Limit = Limit(1, 1.0)
    slack_workspace: Limit = Limit(5, 1.0, averaged=True)
    """300 a minute (SLACK_WORKSPACE_PER_MINUTE), as `Limit.per_minute` makes it."""
    slack_webhook: Limit = Limit(1, 1.0)
    slack_history: Limit = Limit(1, 60 / 50, averaged=True)
    """conversations.history is Slack's Tier 3: about 50 calls a minute per workspace
    (SLACK_HISTORY_PER_MINUTE)."""
    discord_edits: Limit = Limit(5, 1.0, averaged=True)
    """Edits' share of the global budget (EDIT_SHARE of it): a cap of ours, which the
    global window below holds to the platform's count."""
    discord_edit_channel: Limit = Limit(5, 5.0)
    """PATCH of a channel's messages: a bucket of its own per channel, 5 per 5 s."""
    discord_webhook_edit: Limit = Limit(5, 2.0)
    slack_update: Limit = Limit(1, 60 / 50, averaged=True)
    """chat.update is Slack's Tier 3: about 50 calls a minute per workspace."""

    def scopes(
        self, route: Route, *, reading: bool = False, editing: bool = False
    ) -> list[tuple[str, Limit]]:
        """The windows one request to `route` counts in: a send, a read of the channel's
        recent messages (the look-up before re-sending an uncertain message), or an edit
        of a posted message. A Discord read shares the bot's global budget but not the
        channel's message-post bucket; a Slack read has its method's own workspace budget."""
        discord = route.platform is Platform.DISCORD
        if reading:
            return self._read_scopes(route)
        if editing:
            return self._edit_scopes(route)
        if route.transport is Transport.BOT and discord:
            return [
                (GLOBAL_DISCORD, self.discord_global),
                (f"discord:channel:{route.target}", self.discord_channel),
            ]
        if route.transport is Transport.BOT:
            return [
                (f"slack:workspace:{route.workspace}", self.slack_workspace),
                (f"slack:channel:{route.target}", self.slack_channel),
            ]
        if route.transport is Transport.WEBHOOK and discord:
            return [(f"discord:webhook:{route.label}", self.discord_webhook)]
        if route.transport is Transport.WEBHOOK:
            return [(f"slack:webhook:{route.label}", self.slack_webhook)]
        return []

    def _edit_scopes(self, route: Route) -> list[tuple[str, Limit]]:
        discord = route.platform is Platform.DISCORD
        if route.transport is Transport.BOT and discord:
            return [
                (DISCORD_EDITS, self.discord_edits),
                (GLOBAL_DISCORD, self.discord_global),
                (f"discord:edit:{route.target}", self.discord_edit_channel),
            ]
        if route.transport is Transport.BOT:
            return [(f"slack:update:{route.workspace}", self.slack_update)]
        if route.transport is Transport.WEBHOOK and discord:
            return [(f"discord:webhook-edit:{route.label}", self.discord_webhook_edit)]
        return []  # the console; Slack incoming webhooks cannot edit

    def _read_scopes(self, route: Route) -> list[tuple[str, Limit]]:
        if route.transport is not Transport.BOT:
            return []  # webhooks and the console are never asked
        if route.platform is Platform.DISCORD:
            return [(GLOBAL_DISCORD, self.discord_global)]
        return [(f"slack:history:{route.workspace}", self.slack_history)]


class RateLimiter:
    """The windows of the scopes sent to recently, keyed by scope.

    A window with no send inside its period and no block is idle, and an idle window acts
    exactly like a new one, so it is dropped: a bot posting once a day to 10,000 channels
    does not keep 10,000 windows between posts. Idle windows are swept at most once per
    `SWEEP_EVERY` seconds, on the next call after that: a sweep visits every window, but
    each window it keeps had a send within its period (or a block), so the work per sweep
    is paid for by windows created or sends made since the last one, not by every send.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[str, Window] = {}
        self._next_sweep = clock() + SWEEP_EVERY
        self._instances = 1

    def share(self, instances: int) -> None:
        """`instances` (this one included) send for the same bot now: each keeps its part
        of the budgets the platform counts per bot or per workspace. Windows in use take
        their new size at once and keep the requests they counted."""
        self._instances = max(1, instances)
        for key, window in self._windows.items():
            sized = self._limit_for(key, window.base)
            window.limit, window.period = sized.limit, sized.period

    def _limit_for(self, key: str, limit: Limit) -> Limit:
        """The window this instance keeps for `limit`: the platform's window stretched
        for jitter first, then split, so the margin is taken once from the platform's
        period (50 per 1.03 s; two instances 5 per 0.206 s each) and not again from every
        part of it."""
        stretched = limit.stretched()
        return stretched.shared(self._instances) if key.startswith(FLEET_SCOPES) else stretched

    @property
    def scopes(self) -> int:
        """Windows kept now (for /healthz: bounded by the scopes recently sent to)."""
        return len(self._windows)

    def _windows_for(
        self, route: Route, now: float, *, reading: bool = False, editing: bool = False
    ) -> list[Window]:
        if now >= self._next_sweep:
            self._sweep(now)
        found = []
        for key, limit in self.limits.scopes(route, reading=reading, editing=editing):
            window = self._windows.get(key)
            if window is None:
                sized = self._limit_for(key, limit)
                window = self._windows[key] = Window(sized.limit, sized.period, limit)
            found.append(window)
        return found

    def _sweep(self, now: float) -> None:
        idle = [key for key, window in self._windows.items() if window.idle(now)]
        for key in idle:
            del self._windows[key]
        self._next_sweep = now + SWEEP_EVERY

    def delay(self, route: Route) -> float:
        """Seconds until a send to `route` fits every window (0: now)."""
        now = self._clock()
        return max((w.wait(now) for w in self._windows_for(route, now)), default=0.0)

    async def acquire(self, route: Route, *, reading: bool = False, editing: bool = False) -> float:
        """Wait for room, then count the request (a send, with `reading` a look-up in the
        channel's history, with `editing` an edit of a posted message); returns the
        seconds waited. Every request a platform counts
        is counted here, so a restart's look-ups never push its posts into 429s.

        The windows are looked up again after every sleep: another send may have swept one
        of them meanwhile, and a send counted in a dropped window would not count at all."""
        waited = 0.0
        while True:
            now = self._clock()
            windows = self._windows_for(route, now, reading=reading, editing=editing)
            wait = max((w.wait(now) for w in windows), default=0.0)
            if wait <= 0:
                for window in windows:
                    window.sent.append(now)
                return waited
            await self._sleep(wait)
            waited += wait

    def block(self, route: Route, seconds: float, *, editing: bool = False) -> None:
        """A 429 got through: hold the route's narrowest scope (of its edits, with
        `editing`) for `seconds`."""
        now = self._clock()
        windows = self._windows_for(route, now, editing=editing)
        if windows:
            windows[-1].blocked_until = max(windows[-1].blocked_until, now + seconds)
