"""A subscription's post time: a wall-clock time of day in an IANA time zone, parsed one way
for the settings file, slash commands and the scheduler alike.

Instants are computed from the local wall clock, so daylight-saving changes move the UTC
instant, not the time people chose; a time inside a DST gap becomes the real instant after
the gap. People write HH:MM; HH:MM:SS is accepted where a caller allows it (the scheduler
reads stored times with seconds, which lets tests and operators who edit the database
schedule a post a few seconds ahead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import PapersBotError


class PostTimeError(PapersBotError, ValueError):
    """A time of day or a time zone that cannot be scheduled; says which, in one line."""


def parse_clock(text: str, *, seconds: bool = False) -> dt.time:
    """HH:MM on a 24-hour clock (HH:MM[:SS] with `seconds`), ASCII digits only."""
    parts = text.strip().split(":")
    shapes = (2, 3) if seconds else (2,)
    well_formed = len(parts) in shapes and all(p.isascii() and p.isdigit() for p in parts)
    if not well_formed or any(len(p) != 2 for p in parts[1:]):
        raise PostTimeError(f"expected a time as HH:MM, got {text!r}")
    hour, minute, second = (int(p) for p in [*parts, "0"][:3])
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise PostTimeError(f"time {text!r} is out of range 00:00-23:59")
    return dt.time(hour, minute, second)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PostTimeError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class PostTime:
    at: dt.time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, timezone: str) -> PostTime:
        """A stored subscription's time (seconds allowed) and zone."""
        return cls(parse_clock(text, seconds=True), parse_zone(timezone))

    def on(self, day: dt.date) -> dt.datetime:
        """The instant of the post on local `day`; a time inside a DST gap moves past it."""
        local = dt.datetime.combine(day, self.at, self.zone)
        return local.astimezone(dt.UTC).astimezone(self.zone)

    def latest(self, now: dt.datetime) -> dt.datetime:
        """The most recent post instant at or before `now`."""
        today = now.astimezone(self.zone).date()
        for back in range(3):
            moment = self.on(today - dt.timedelta(days=back))
            if moment <= now:
                return moment
        raise AssertionError("unreachable: a local time recurs within two days")

    def next(self, now: dt.datetime) -> dt.datetime:
        """The first post instant at or after `now`."""
        today = now.astimezone(self.zone).date()
        for ahead in range(3):
            moment = self.on(today + dt.timedelta(days=ahead))
            if moment >= now:
                return moment
        raise AssertionError("unreachable: a local time recurs within two days")
