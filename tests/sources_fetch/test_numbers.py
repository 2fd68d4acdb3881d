"""Counts from any source (bot.sources.numbers): drifted spellings kept, the rest unknown."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.numbers import MAX_COUNT, int_literal, read_count
from tests.sources_fetch.test_properties import PROPERTY_SETTINGS, json_values


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (21, 21),
        (0, 0),
        (21.0, 21),
        ("21", 21),
        (" 21 ", 21),
        ("21.0", 21),
        ("\t1,204\n", 1204),
        (MAX_COUNT, MAX_COUNT),
        (float(MAX_COUNT), MAX_COUNT),
    ],
)
def test_counts_in_any_spelling_are_kept(value: Any, count: int) -> None:
    assert read_count(value, what="test") == count


@pytest.mark.parametrize(
    "value",
    [
        21.5,
        True,
        False,
        -3,
        "-3",
        -0.5,
        math.nan,
        math.inf,
        MAX_COUNT + 1,
        10**400,
        "9" * 5000,
        "1e3",
        "1,2,3",
        "21 votes",
        "",
        "２１",  # fullwidth digits
        [21],
        {"count": 21},
    ],
)
def test_anything_else_is_unknown_with_a_debug_line(
    value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.sources.numbers"):
        assert read_count(value, what="paper 2403.00001 upvotes") is None
    [record] = caplog.records
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith("paper 2403.00001 upvotes: ")
    assert len(record.getMessage()) < 120  # a 5,000-digit value is not logged whole


def test_an_absent_count_is_unknown_without_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.sources.numbers"):
        assert read_count(None, what="x") is None
    assert caplog.records == []


def test_json_with_an_absurdly_long_integer_still_parses() -> None:
    text = '{"upvotes": ' + "7" * 5000 + ', "other": 12}'
    with pytest.raises(ValueError, match="digits"):
        json.loads(text)  # what the parsers did before: the whole answer refused
    loaded = json.loads(text, parse_int=int_literal)
    assert loaded == {"upvotes": math.inf, "other": 12}
    assert read_count(loaded["upvotes"], what="x") is None


@PROPERTY_SETTINGS
@given(json_values | st.floats() | st.integers().map(str))
def test_any_json_value_is_a_count_in_range_or_unknown(value: Any) -> None:
    count = read_count(value, what="x")
    assert count is None or (type(count) is int and 0 <= count <= MAX_COUNT)
