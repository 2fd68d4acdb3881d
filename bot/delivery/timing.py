"""When a subscription posts: its local wall-clock time, every day, in its own time zone.

Commands only ever store HH:MM; HH:MM:SS is accepted here too so tests (and operators who
edit the database) can schedule a post a few seconds ahead instead of waiting a minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.errors import PapersBotError


class ScheduleError(PapersBotError):
    """A subscription's stored time or zone cannot be scheduled."""


@dataclass(frozen=True, slots=True)
class PostTime:
    hour: int
    minute: int
    second: int
    zone: ZoneInfo

    def trigger(self) -> CronTrigger:
        return CronTrigger(
            hour=self.hour, minute=self.minute, second=self.second, timezone=self.zone
        )

    def on(self, day: dt.date) -> dt.datetime:
        """The instant of the post on local `day`; a time inside a DST gap moves past it."""
        local = dt.datetime.combine(day, dt.time(self.hour, self.minute, self.second), self.zone)
        return local.astimezone(dt.UTC).astimezone(self.zone)

    def latest(self, now: dt.datetime) -> dt.datetime:
        """The most recent post instant at or before `now`."""
        today = now.astimezone(self.zone).date()
        for back in range(3):
            moment = self.on(today - dt.timedelta(days=back))
            if moment <= now:
                return moment
        raise AssertionError("unreachable: a local time recurs within two days")


def parse_post_time(text: str, timezone: str) -> PostTime:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or len(parts[1]) != 2:
        raise ScheduleError(f"post time {text!r} is not HH:MM")
    hour, minute, second = (int(p) for p in [*parts, "0"][:3])
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise ScheduleError(f"post time {text!r} is out of range")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {timezone!r}") from None
    return PostTime(hour, minute, second, zone)


def complete_day_before(moment: dt.datetime) -> dt.date:
    """The newest UTC day whose papers are all out at `moment`: digests are UTC days, and
    a day is still growing until it ends."""
    return moment.astimezone(dt.UTC).date() - dt.timedelta(days=1)
