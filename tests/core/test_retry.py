"""The one retry delay: exponential ceiling, full jitter below it, and each caller's own
base and cap (source fetches, delivery of posts)."""

from __future__ import annotations

import random

from bot.delivery.pacing import BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS, BACKOFF_FLOOR
from bot.retry import backoff
from bot.sources.http import Backoff


class Top(random.Random):
    """Always draws the ceiling, so a test reads the ceiling itself."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_the_ceiling_starts_at_base_doubles_and_stops_at_cap() -> None:
    ceilings = [backoff(n, base=1.0, cap=20.0, rng=Top()) for n in range(1, 8)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert backoff(0, base=1.0, cap=20.0, rng=Top()) == 1.0
    assert backoff(100_000, base=1.0, cap=20.0, rng=Top()) == 20.0  # no overflow


def test_waits_are_drawn_from_zero_to_the_ceiling() -> None:
    rng = random.Random(3)
    waits = [backoff(5, base=1.0, cap=20.0, rng=rng) for _ in range(200)]
    assert all(0.0 <= w <= 16.0 for w in waits)
    # Full jitter: the whole window is used, not only its upper half.
    assert min(waits) < 4.0
    assert max(waits) > 12.0


def test_sources_and_delivery_keep_their_own_base_and_cap() -> None:
    fetches = Backoff(rng=Top())
    assert [fetches.delay(attempt) for attempt in range(8)] == [
        0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0
    ]  # fmt: skip
    posts = [
        backoff(n, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS, rng=Top())
        for n in range(1, 11)
    ]
    assert posts == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0, 300.0]


def test_a_floor_keeps_the_lower_part_of_the_window_empty() -> None:
    rng = random.Random(5)
    waits = [backoff(3, base=2.0, cap=300.0, rng=rng, floor=BACKOFF_FLOOR) for _ in range(200)]
    assert all(4.0 <= w <= 8.0 for w in waits)  # half the 8 s ceiling at least
    assert min(waits) < 4.5
    assert max(waits) > 7.5
