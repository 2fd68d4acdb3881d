"""When a subscription posts next: its HH:MM in its time zone, today or tomorrow.

Computed from the wall clock in the subscription's zone so daylight-saving changes move the
UTC instant, not the local time people chose. (Issue 7's scheduler posts at these times;
this module only answers "when".)
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import parse_post_time


def next_post(post_time: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """The next moment at or after `now` (aware) when the local clock shows `post_time`."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    at = parse_post_time(post_time)
    for days in range(3):
        day = local_now.date() + dt.timedelta(days=days)
        candidate = dt.datetime.combine(day, at, tzinfo=zone)
        # Round-trip through UTC: a time inside a DST gap becomes the real instant after it.
        candidate = candidate.astimezone(dt.UTC).astimezone(zone)
        if candidate >= local_now:
            return candidate
    raise AssertionError("unreachable: a local time recurs within two days")


def describe_delay(delta: dt.timedelta) -> str:
    """ "in 5 h 3 min", "in 12 min", "now": how far away, readable at a glance."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes == 0:
        return "now"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"in {hours} h {minutes} min"
    if hours:
        return f"in {hours} h"
    return f"in {minutes} min"


def describe_moment(moment: dt.datetime, now: dt.datetime) -> str:
    """ "2026-11-29 09:00 KST (in 8 h 42 min)" in the moment's own zone."""
    zone_name = moment.tzname() or ""
    stamp = moment.strftime("%Y-%m-%d %H:%M")
    return f"{stamp} {zone_name} ({describe_delay(moment - now)})".replace("  ", " ")
