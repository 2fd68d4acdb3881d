"""Option validation and Slack text parsing: every rule, its boundaries, and hostile text
that must come back as our own error (never another exception, never a changed value)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import arguments as a
from bot.commands.errors import CommandError, InvalidArgumentError
from bot.commands.schedule import describe_delay, next_post
from bot.commands.spec import COMMANDS, OptionKind, OptionSpec
from bot.commands.text_options import parse_text
from bot.models import SourceKind
from bot.render.options import SlackLayout

TODAY = dt.date(2024, 5, 7)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), ("100000", 100_000), (" 7 ", 7)])
def test_min_votes_accepts_the_range(value: object, expected: int) -> None:
    assert a.min_votes(value) == expected


@pytest.mark.parametrize("value", [-1, 100_001, "1e3", "٣", "10.5", "", True, "9" * 50])
def test_min_votes_refuses_everything_else(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        a.min_votes(value)
    assert caught.value.option == "min_votes"


@pytest.mark.parametrize(("value", "ok"), [(1, True), (50, True), (0, False), (51, False)])
def test_top_bounds(value: int, ok: bool) -> None:
    if ok:
        assert a.top(value) == value
    else:
        with pytest.raises(InvalidArgumentError, match="between 1 and 50"):
            a.top(value)


@pytest.mark.parametrize(
    ("minimum", "maximum", "value", "refusal"),
    [
        (1, None, 0, "n: must be at least 1, got 0"),
        (None, 9, 10, "n: must be at most 9, got 10"),
        (1, 9, 10, "n: must be between 1 and 9, got 10"),
        (None, None, 999_999_999, None),
    ],
)
def test_integer_checks_the_bounds_the_option_states(
    minimum: int | None, maximum: int | None, value: int, refusal: str | None
) -> None:
    option = OptionSpec("n", "a number", OptionKind.INTEGER, minimum=minimum, maximum=maximum)
    if refusal is None:
        assert a.integer(option, value) == value
    else:
        with pytest.raises(InvalidArgumentError) as caught:
            a.integer(option, value)
        assert str(caught.value) == refusal


@pytest.mark.parametrize(("value", "expected"), [("9:05", "09:05"), ("23:59", "23:59")])
def test_time_is_normalised(value: str, expected: str) -> None:
    assert a.post_time(value) == expected


@pytest.mark.parametrize("value", ["24:00", "9am", "09:60", "0905", "09:5", "", "x" * 10_000])
def test_bad_times(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        a.post_time(value)
    assert caught.value.option == "time"
    assert len(str(caught.value)) < 200


def test_timezone_names_and_hints() -> None:
    assert a.timezone("Asia/Seoul") == "Asia/Seoul"
    with pytest.raises(InvalidArgumentError, match="did you mean Asia/Seoul"):
        a.timezone("asia/seoul")
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "A" * 10_000, "Etc/../UTC"):
        with pytest.raises(InvalidArgumentError):
            a.timezone(bad)
    assert a.timezone("UTC\x00") == "UTC"  # control characters are dropped, as everywhere


def test_keywords_are_split_cleaned_and_deduplicated() -> None:
    assert a.keywords(" LLM, agents ,llm,  vision-language ,C++, 언어 모델") == (
        "LLM",
        "agents",
        "vision-language",
        "C++",
        "언어 모델",
    )
    assert a.keywords("none") == ()
    assert a.keywords("ＬＬＭ") == ("LLM",)  # full-width letters folded by NFKC


@pytest.mark.parametrize(
    "value",
    [
        "@everyone",
        "<@123456789012345678>",
        "<!channel>",
        "**bold**",
        "`code`",
        "a|b",
        "'; DROP TABLE subscriptions; --",
        "x" * 41,
        ",".join(f"k{i}" for i in range(11)),
        "x" * 10_000,
        "\u202eevil",
        ", ,",
        "---",
    ],
)
def test_hostile_keywords_are_refused(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        a.keywords(value)
    assert caught.value.option == "keywords"
    assert len(str(caught.value)) < 300


def test_sources_and_layouts() -> None:
    assert a.sources("hf, markdown,hf") == (SourceKind.HF, SourceKind.MARKDOWN)
    assert a.sources("all") == ()
    assert a.layout("Thread") is SlackLayout.THREAD
    with pytest.raises(InvalidArgumentError, match="unknown source 'rss'"):
        a.sources("rss")
    with pytest.raises(InvalidArgumentError, match="unknown layout"):
        a.layout("grid")


def test_empty_day_policies() -> None:
    assert a.no_papers(" Note ") == "note"
    assert a.no_papers("skip") == "skip"
    for bad in ("never", "", 3):
        with pytest.raises(InvalidArgumentError) as caught:
            a.no_papers(bad)
        assert caught.value.option == "no_papers"
    with pytest.raises(InvalidArgumentError, match="too long"):
        a.no_papers("n" * 10_000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("latest", None),
        ("today", TODAY),
        ("yesterday", dt.date(2024, 5, 6)),
        ("2024-05-01", dt.date(2024, 5, 1)),
    ],
)
def test_days(value: str, expected: dt.date | None) -> None:
    assert a.day(value, TODAY) == expected


@pytest.mark.parametrize("value", ["2024-13-01", "1999-01-01", "2030-01-01", "May 6", ""])
def test_bad_days(value: str) -> None:
    with pytest.raises(InvalidArgumentError):
        a.day(value, TODAY)


def test_query_limits() -> None:
    assert a.query("  attention   is all  ") == "attention is all"
    with pytest.raises(InvalidArgumentError, match="too long"):
        a.query("q" * 10_000)
    with pytest.raises(InvalidArgumentError):
        a.query("!!! ???")


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("papers", "2024-05-06 10 3", {"date": "2024-05-06", "min_votes": "10", "top": "3"}),
        ("papers", "top=3 --share", {"top": "3", "share": True}),
        ("papers", "min-votes:5 share", {"min_votes": "5", "share": True}),
        (
            "subscribe",
            'keywords="large language model, agents" time=08:30 tz=Asia/Seoul',
            {
                "keywords": "large language model, agents",
                "time": "08:30",
                "timezone": "Asia/Seoul",
            },
        ),
        ("subscribe", "time:08:30", {"time": "08:30"}),
        ("subscribe", "layout=thread empty=note", {"layout": "thread", "no_papers": "note"}),
        ("paper", '"sparse experts" --share', {"query": '"sparse experts"', "share": True}),
        ("paper", "2405.00001", {"query": "2405.00001"}),
        ("pause", "holiday &amp; moving", {"reason": "holiday & moving"}),
        ("unsubscribe", "", {}),
    ],
)
def test_slack_text(command: str, text: str, expected: dict[str, Any]) -> None:
    assert parse_text(COMMANDS[command], text) == expected


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("subscribe", "colour=red", "has no option 'colour'"),
        ("subscribe", "top=1 top=2", "given twice"),
        ("subscribe", 'keywords="open', "not closed"),
        ("papers", "2024-05-06 1 2 3", "did not expect '3'"),
        ("unsubscribe", "now", "did not expect 'now'"),
        ("papers", "--verbose", "has no option 'verbose'"),
        ("paper", "x" * 5000, "too long"),
    ],
)
def test_bad_slack_text(command: str, text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_text(COMMANDS[command], text)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300), command=st.sampled_from(sorted(COMMANDS)))
def test_any_text_parses_or_fails_with_our_error(text: str, command: str) -> None:
    """Whatever is typed, parsing and validating end in values or a CommandError."""
    spec = COMMANDS[command]
    validators: dict[str, Callable[[object], object]] = {
        "min_votes": a.min_votes,
        "top": a.top,
        "keywords": a.keywords,
        "time": a.post_time,
        "timezone": a.timezone,
        "source": a.sources,
        "layout": a.layout,
        "no_papers": a.no_papers,
        "query": a.query,
        "reason": a.reason,
        "date": lambda v: a.day(v, TODAY),
        "share": lambda v: a.flag("share", v),
    }
    problems: list[str] = []
    try:
        for name, value in parse_text(spec, text).items():
            validators[name](value)
    except CommandError as exc:
        problems.append(str(exc))
    assert all("Traceback" not in problem and len(problem) < 400 for problem in problems)


def test_next_post_today_tomorrow_and_dst() -> None:
    now = dt.datetime(2024, 5, 7, 12, 0, tzinfo=dt.UTC)
    assert next_post("13:00", "UTC", now) == dt.datetime(2024, 5, 7, 13, 0, tzinfo=dt.UTC)
    later = next_post("09:00", "Asia/Seoul", now)
    assert later.isoformat() == "2024-05-08T09:00:00+09:00"
    # 02:30 does not exist in Berlin on 2024-03-31 (clocks jump 02:00 -> 03:00).
    before_gap = dt.datetime(2024, 3, 30, 23, 0, tzinfo=dt.UTC)
    gap = next_post("02:30", "Europe/Berlin", before_gap)
    assert gap.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.UTC)
    assert describe_delay(dt.timedelta(hours=8, minutes=42)) == "in 8 h 42 min"
    assert describe_delay(dt.timedelta(seconds=10)) == "now"
