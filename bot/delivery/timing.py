"""Which digest day a post at a given moment may carry (post times: `bot.post_time`)."""

from __future__ import annotations

import datetime as dt


def complete_day_before(moment: dt.datetime) -> dt.date:
    """The newest UTC day whose papers are all out at `moment`: digests are UTC days, and
    a day is still growing until it ends."""
    return moment.astimezone(dt.UTC).date() - dt.timedelta(days=1)
