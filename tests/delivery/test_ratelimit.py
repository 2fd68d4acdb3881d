"""The proactive limiter: documented windows per scope, and a 429 blocking its scope."""

from __future__ import annotations

from bot.delivery.ratelimit import Limit, RateLimiter
from bot.delivery.targets import Route
from bot.models import Platform, Transport


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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
    assert Limit.per_minute(600) == Limit(10, 1.0)
    assert Limit.per_minute(30) == Limit(1, 2.0)
