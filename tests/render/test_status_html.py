"""The status page's words for time: UTC in ISO 8601, and how far ahead or back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.render.status_html import iso_utc, relative

NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (dt.timedelta(seconds=29), "now"),
        (dt.timedelta(seconds=-29), "now"),
        (dt.timedelta(minutes=5), "in 5 min"),
        (dt.timedelta(minutes=-5), "5 min ago"),
        (dt.timedelta(minutes=59, seconds=40), "in 1 h"),
        (dt.timedelta(hours=1, minutes=30), "in 1 h 30 min"),
        (dt.timedelta(hours=-3), "3 h ago"),
        (dt.timedelta(hours=11, minutes=30), "in 11 h"),  # minutes no longer matter
        (dt.timedelta(hours=-47), "47 h ago"),
        (dt.timedelta(days=2), "in 2 d"),
        (dt.timedelta(days=-6, hours=-5), "6 d 5 h ago"),
    ],
)
def test_relative(offset: dt.timedelta, words: str) -> None:
    assert relative(NOW + offset, NOW) == words


def test_times_are_shown_in_utc_whatever_their_zone() -> None:
    seoul = dt.datetime(2026, 12, 8, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert iso_utc(seoul) == "2026-12-08T00:00:00Z"
    assert relative(seoul, NOW) == "in 18 h"
