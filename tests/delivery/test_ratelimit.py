"""The proactive limiter: documented windows per scope, a 429 blocking its scope, and idle
windows dropped so memory follows the scopes in use, not every scope ever sent to."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.delivery.ratelimit import SWEEP_EVERY, Limit, Limits, RateLimiter
from bot.delivery.targets import Route
from bot.models import Platform, Transport


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.during: list[Callable[[], object]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Time passes at once; `during` runs while the sleeper is away."""
        self.now += seconds
        for action in self.during:
            action()


def discord(channel: str) -> Route:
    return Route(Platform.DISCORD, Transport.BOT, channel, f"discord:{channel}", "guild")


def slack(channel: str) -> Route:
    return Route(Platform.SLACK, Transport.BOT, channel, f"slack:{channel}", "T1")


async def test_a_discord_channel_takes_five_then_waits_out_its_window() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for _ in range(5):
        assert limiter.delay(discord("1")) == 0
        await limiter.acquire(discord("1"))
    assert 5.0 < limiter.delay(discord("1")) < 5.3
    assert limiter.delay(discord("2")) == 0  # other channels are not held up
    clock.now += 5.2
    assert limiter.delay(discord("1")) == 0


async def test_the_discord_global_budget_spans_channels() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for n in range(50):
        await limiter.acquire(discord(str(n)))
    assert limiter.delay(discord("new")) > 1.0


async def test_slack_waits_for_the_channel_and_the_workspace() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    await limiter.acquire(slack("C1"))
    assert limiter.delay(slack("C1")) > 1.0  # one a second per channel
    for n in range(2, 6):
        await limiter.acquire(slack(f"C{n}"))
    assert limiter.delay(slack("C9")) > 1.0  # five a second per workspace (300/min)


async def test_a_429_blocks_the_route_for_its_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.block(slack("C1"), 7.0)
    assert 6.9 < limiter.delay(slack("C1")) <= 7.0
    clock.now += 7.0
    assert limiter.delay(slack("C1")) == 0


def test_per_minute_budgets_become_whole_sends_per_window() -> None:
    assert Limit.per_minute(600) == Limit(10, 1.0, averaged=True)
    assert Limit.per_minute(30) == Limit(1, 2.0, averaged=True)
    defaults = Limits()  # the documented defaults, written out as per_minute makes them
    assert defaults.slack_workspace == Limit.per_minute(300)
    assert defaults.slack_history == defaults.slack_update == Limit.per_minute(50)


async def test_idle_windows_are_dropped_and_busy_ones_kept() -> None:
    clock = Clock()
    start = clock.now
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for n in range(1000):  # one post each, paced within the global budget
        assert await limiter.acquire(discord(str(n))) == 0
        clock.now += 0.03
    limiter.block(discord("blocked"), 600.0)
    assert limiter.scopes == 1002  # the global budget, 1000 channels, the blocked one

    clock.now = start + SWEEP_EVERY - 1
    for _ in range(5):
        await limiter.acquire(discord("busy"))
    clock.now = start + SWEEP_EVERY

    # The next call sweeps: the 1000 channels are idle; the global budget and "busy" had
    # sends within their windows, and "blocked" still waits out its 429.
    assert limiter.delay(discord("busy")) > 4.0
    assert limiter.scopes == 3
    assert limiter.delay(discord("blocked")) > 500.0
    # A channel whose window was dropped starts afresh, under the same limit.
    for _ in range(5):
        assert await limiter.acquire(discord("7")) == 0
    assert limiter.delay(discord("7")) > 5.0
    assert limiter.scopes == 4


async def test_a_send_waiting_through_a_sweep_still_counts() -> None:
    clock = Clock()
    limits = Limits(discord_global=Limit(1, 1.0), discord_channel=Limit(1, 30.0))
    limiter = RateLimiter(limits, clock=clock, sleep=clock.sleep)
    clock.now += SWEEP_EVERY - 0.5  # the next sweep is due within the wait below
    await limiter.acquire(discord("other"))
    # While the send below waits for the global budget, another send sweeps the windows,
    # and the waiting send's channel window, still empty, is idle.
    clock.during.append(lambda: limiter.delay(discord("other")))

    waited = await limiter.acquire(discord("1"))

    assert waited > 1.0
    assert limiter.delay(discord("1")) > 25.0  # counted in the channel's 30 s window


async def test_discord_reads_share_the_global_budget_but_not_the_channel_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for n in range(45):  # a restart looking 45 uncertain messages up
        assert await limiter.acquire(discord(str(n)), reading=True) == 0
    for n in range(5):
        assert await limiter.acquire(discord(str(n))) == 0  # the global budget is at 50
    assert limiter.delay(discord("new")) > 0.9  # the next post waits for the global window
    clock.now += 1.1
    # Reading channel 1 left its post bucket alone: only its one post counts, four more fit.
    for _ in range(4):
        assert await limiter.acquire(discord("1")) == 0


async def test_slack_reads_have_their_own_workspace_budget() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert await limiter.acquire(slack("C1"), reading=True) == 0
    assert await limiter.acquire(slack("C1")) == 0  # a read does not hold the post back
    waited = await limiter.acquire(slack("C2"), reading=True)
    assert 1.1 < waited < 1.4  # about 50 history calls a minute per workspace
    webhook = Route(Platform.SLACK, Transport.WEBHOOK, "url", "slack-webhook:B1", "B1")
    assert await limiter.acquire(webhook, reading=True) == 0  # webhooks are never read


async def test_instances_sharing_a_bot_split_its_budgets_but_not_a_channels() -> None:
    """Two instances alive: each keeps 25 of Discord's 50/s (5 per 0.2 s, so their bursts
    stay small) and half of a Slack workspace's budget; a Discord channel's own 5 per 5 s
    stays whole (one instance at a time posts to a channel). A window in use takes its new
    size at once."""
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire(discord("0"))  # the global window exists before the share
    limiter.share(2)
    for n in range(1, 5):
        assert limiter.delay(discord(str(n))) == 0
        await limiter.acquire(discord(str(n)))
    assert limiter.delay(discord("5")) > 0.19  # 5 in this fifth of a second
    for n in range(5, 25):
        await limiter.acquire(discord(str(n)))
    elapsed = clock.now - 1000.0
    assert elapsed + limiter.delay(discord("25")) > 1.0  # no 26th inside the first second
    for _ in range(4):
        await limiter.acquire(discord("0"))
    assert limiter.delay(discord("0")) > 4.0  # still 5 per 5 s in a channel
    await limiter.acquire(slack("C1"))
    await limiter.acquire(slack("C2"))
    assert limiter.delay(slack("C3")) > 0.7  # 2 per 0.8 s of the workspace's 5 per second
    limiter.share(1)  # the other instance left: the whole budget again
    assert limiter.delay(slack("C3")) == 0


def test_a_shared_limit_keeps_the_rate_in_whole_requests() -> None:
    assert Limit(50, 1.0).shared(2) == Limit(5, 0.2)
    assert Limit(50, 1.0).shared(3) == Limit(4, 0.25)  # 16 of 50 a second, in even bursts
    per_minute = Limit.per_minute(300)  # Slack counts a minute: the rate alone is split
    assert per_minute.shared(2) == Limit(2, 0.8, averaged=True)  # 2.5 a second each
    assert Limit.per_minute(50).shared(3).period == pytest.approx(3.6)
    assert Limit(5, 5.0).shared(1) == Limit(5, 5.0)


@pytest.mark.parametrize(("instances", "floor"), [(2, 0.96), (3, 0.92), (4, 0.92)])
@pytest.mark.parametrize("phase", [0.0, 0.05, 0.1, 0.137])
async def test_instances_fill_discords_global_budget_without_overrunning_it(
    instances: int, floor: float, phase: float
) -> None:
    """Instances each sending to new channels as fast as their share allows, each starting
    `phase` seconds after the one before: no interval of Discord's 1 s window (widened by
    the 30 ms of jitter the margin allows) holds more than 50 of their requests together,
    and together they get at least `floor` of 50 a second (the margin is taken once, from
    the 1 s window; three or four instances split 48 or 48 of the 50 in even bursts)."""
    clock = Clock()
    limiters = [RateLimiter(clock=clock) for _ in range(instances)]
    for limiter in limiters:
        limiter.share(instances)
    ready = [clock.now + n * phase for n in range(instances)]
    sent: list[float] = []
    while clock.now < 1020.0:
        n = min(range(instances), key=lambda i: ready[i])
        clock.now = max(clock.now, ready[n])
        channel = discord(f"{n}-{len(sent)}")  # a new channel: only the global budget binds
        wait = limiters[n].delay(channel)
        if wait > 0:
            ready[n] = clock.now + wait
            continue
        assert await limiters[n].acquire(channel) == 0
        sent.append(clock.now)
    for i, t in enumerate(sent):
        inside = sum(1 for later in sent[i : i + 60] if later < t + 1.03)
        assert inside <= 50, (t - 1000.0, inside)
    assert len(sent) / 20.0 >= floor * 50


async def test_edits_take_at_most_a_tenth_of_discords_global_budget() -> None:
    """However many edits wait, they get 5 of the 50 requests a second; posts keep 45."""
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for n in range(5):
        await limiter.acquire(discord(f"edited-{n}"), editing=True)
    assert limiter.delay(discord("post")) == 0
    edits = 0
    start = clock.now
    while clock.now - start < 10.0:
        await limiter.acquire(discord(f"edited-{edits % 40}"), editing=True)
        edits += 1
    assert edits <= 5 * 11  # five a second, with the window's small margin
    for n in range(45):  # in any of those seconds, the posts' share is all there
        assert limiter.delay(discord(f"post-{n}")) == 0
        await limiter.acquire(discord(f"post-{n}"))


async def test_edits_and_posts_of_one_channel_have_buckets_of_their_own() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await limiter.acquire(discord("1"), editing=True)
    assert limiter.delay(discord("1")) == 0  # posting there is not held back
    assert limiter.limits.scopes(discord("1"), editing=True)[-1][0] == "discord:edit:1"
    limiter.block(discord("1"), 30.0, editing=True)  # a 429 on an edit holds edits only
    assert limiter.delay(discord("1")) == 0


async def test_slack_updates_are_tier_3_apart_from_posting() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire(slack("C1"), editing=True)
    assert limiter.delay(slack("C1")) == 0  # chat.postMessage has its own budgets
    waited = await limiter.acquire(slack("C2"), editing=True)
    assert 1.2 <= waited < 1.3  # about 50 a minute per workspace, whatever the channel
