"""Post times in a subscription's zone and the day a post carries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.timing import complete_day_before
from bot.post_time import PostTime, PostTimeError

NEW_YORK = ZoneInfo("America/New_York")


def test_latest_occurrence_is_in_the_subscriptions_zone() -> None:
    post = PostTime.parse("09:00", "Asia/Seoul")
    now = dt.datetime(2025, 3, 4, 0, 30, tzinfo=dt.UTC)  # 09:30 in Seoul
    assert post.latest(now) == dt.datetime(2025, 3, 4, 0, 0, tzinfo=dt.UTC)
    before = dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC)  # 08:59 in Seoul
    assert post.latest(before) == dt.datetime(2025, 3, 3, 0, 0, tzinfo=dt.UTC)


def test_a_time_inside_the_spring_forward_gap_posts_just_after_it() -> None:
    post = PostTime.parse("02:30", "America/New_York")
    moment = post.on(dt.date(2025, 3, 9))  # 02:00-03:00 does not exist that night
    assert moment.astimezone(NEW_YORK).hour == 3
    assert post.on(dt.date(2025, 3, 10)).astimezone(NEW_YORK).hour == 2


def test_seconds_are_accepted_for_the_schedule() -> None:
    post = PostTime.parse("07:05:09", "UTC")
    assert post.at == dt.time(7, 5, 9)


@pytest.mark.parametrize(
    ("text", "zone"), [("25:00", "UTC"), ("9am", "UTC"), ("09:00", "Mars/Olympus")]
)
def test_bad_times_and_zones_are_schedule_errors(text: str, zone: str) -> None:
    with pytest.raises(PostTimeError):
        PostTime.parse(text, zone)


def test_the_posted_day_is_the_newest_complete_utc_day() -> None:
    seoul_morning = dt.datetime(2025, 3, 4, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert complete_day_before(seoul_morning) == dt.date(2025, 3, 3)
    hawaii_night = dt.datetime(2025, 3, 4, 23, 0, tzinfo=ZoneInfo("Pacific/Honolulu"))
    assert complete_day_before(hawaii_night) == dt.date(2025, 3, 4)
