"""asyncio's own slow-callback warning, on for a benchmark: in debug mode the event loop logs
"Executing <callback> took N seconds" for every callback that held it longer than
`slow_callback_duration`. The benches turn it on with `--asyncio-debug` and report the
worst callback it names, beside their own ticker's figure (debug mode slows coroutines a
little, so the other figures of such a run are not compared with plain runs).

In this process `watching()` sets the threshold and collects the warnings; a `papers-bot
run` instance gets `PYTHONASYNCIODEBUG=1` (`CHILD_ENV`, asyncio's default threshold of
100 ms) and its log lines are read back with `from_log()`, start-up apart from the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CHILD_ENV = {"PYTHONASYNCIODEBUG": "1"}
CHILD_THRESHOLD = 0.1
"""asyncio's default `slow_callback_duration`, which a child in debug mode keeps."""
READY = re.compile(r"papers-bot \S+ ready: ")
"""The line `papers-bot run` logs once it serves."""
WARNING = re.compile(r"Executing (?P<callback>.+?) took (?P<seconds>\d+\.\d+) seconds")


@dataclass
class SlowCallbacks:
    """The callbacks asyncio reported as slow: (seconds, what it printed of the callback)."""

    threshold: float
    found: list[tuple[float, str]] = field(default_factory=list)

    def add(self, seconds: float, callback: str) -> None:
        self.found.append((seconds, callback))

    @property
    def worst(self) -> float:
        return max((s for s, _ in self.found), default=0.0)

    def summary(self) -> str:
        """One line: how many went over the threshold, and the worst with its callback."""
        over = f"asyncio slow-callback warnings over {self.threshold * 1000:g} ms: "
        if not self.found:
            return over + "none"
        seconds, callback = max(self.found)
        return over + f"{len(self.found)}, worst {seconds * 1000:.0f} ms ({callback[:120]})"


class _Collector(logging.Handler):
    def __init__(self, into: SlowCallbacks) -> None:
        super().__init__(logging.WARNING)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        found = WARNING.search(record.getMessage())
        if found:
            self._into.add(float(found["seconds"]), found["callback"])


@contextlib.contextmanager
def watching(threshold: float) -> Iterator[SlowCallbacks]:
    """Debug mode on the running loop with `threshold`, its warnings collected (and kept
    off the console) until the block ends."""
    loop = asyncio.get_running_loop()
    found = SlowCallbacks(threshold)
    collector = _Collector(found)
    logger = logging.getLogger("asyncio")
    was = (loop.get_debug(), loop.slow_callback_duration, logger.propagate)
    loop.set_debug(True)
    loop.slow_callback_duration = threshold
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield found
    finally:
        logger.removeHandler(collector)
        loop.set_debug(was[0])
        loop.slow_callback_duration = was[1]
        logger.propagate = was[2]


def from_log(lines: Iterable[str]) -> tuple[SlowCallbacks, SlowCallbacks]:
    """The warnings a child in debug mode wrote to its log: those before its ready line
    (start-up) and those after it (what the bot does once it serves)."""
    starting, serving = SlowCallbacks(CHILD_THRESHOLD), SlowCallbacks(CHILD_THRESHOLD)
    into = starting
    for line in lines:
        if into is starting and READY.search(line):
            into = serving
        match = WARNING.search(line)
        if match:
            into.add(float(match["seconds"]), match["callback"])
    return starting, serving
