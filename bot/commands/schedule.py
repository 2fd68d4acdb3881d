"""When a subscription posts next: its HH:MM in its time zone, today or tomorrow.

The instants come from `bot.post_time`, the scheduler's own reading of a post time, so what
/subscription says is when the post is made.
"""

from __future__ import annotations

import datetime as dt

from bot.post_time import PostTime


def next_post(post_time: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """The next moment at or after `now` (aware) when the local clock shows `post_time`."""
    return PostTime.parse(post_time, timezone).next(now)


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
