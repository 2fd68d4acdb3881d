"""Argument types shared by the subcommands, so every command words a bad value the same way."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _whole_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None


def non_negative_int(value: str) -> int:
    number = _whole_number(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {number}")
    return number


def positive_int(value: str) -> int:
    number = _whole_number(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {number}")
    return number


def check_date_range(
    parser: argparse.ArgumentParser, start: dt.date | None, end: dt.date | None
) -> None:
    """`--from` after `--to` selects nothing: a usage error, not an empty answer."""
    if start is not None and end is not None and end < start:
        parser.error(f"--to {end} is before --from {start}")
