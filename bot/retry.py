"""The bot's one retry delay: exponential backoff with jitter.

A failed source GET (`bot.sources.http.Backoff`) and a failed post (the delivery worker)
both wait with `backoff`, each with its own base and cap. It imports nothing from `bot`,
so every layer can use it without depending on another.
"""

from __future__ import annotations

import random

#: Doublings past which any base is beyond any cap; also keeps `2.0 ** n` from overflowing.
MAX_DOUBLINGS = 64


def backoff(
    failures: int, *, base: float, cap: float, rng: random.Random, floor: float = 0.0
) -> float:
    """Seconds to wait after `failures` consecutive failures (1 for the first one).

    The ceiling is `base` after the first failure and doubles with each further one up to
    `cap`; the wait is drawn uniformly from `floor` times the ceiling up to the ceiling.
    Clients that failed together (every channel of a platform that went down) thus spread
    their retries over the window instead of coming back in one burst. A `floor` of 0 is
    full jitter (a fetch may retry at once); the delivery worker keeps half the ceiling, so
    a message whose send timed out is not looked up again while the first request may
    still be landing. `rng` is the caller's, so tests can pin the draw.
    """
    doublings = min(max(0, failures - 1), MAX_DOUBLINGS)
    ceiling = min(cap, base * 2.0**doublings)
    return rng.uniform(ceiling * floor, ceiling)
