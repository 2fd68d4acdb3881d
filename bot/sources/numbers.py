"""Counts read from any source (votes, comment counts, page sizes): one reading for all.

Sources drift in how they write a number: the HF API has sent `21.0` for `21`, hand-made
JSON and markdown write `"21"` or `1,234`. Those are the same count and are kept. Anything
that is not a count (a fraction, a bool, a negative number, NaN, a list, a number too large
to be real) becomes None, "unknown", which every consumer already handles, with a DEBUG
line; it never fails the paper, let alone the digest.
"""

from __future__ import annotations

import logging
import math
import re
import reprlib

log = logging.getLogger(__name__)

#: No paper has ten million votes; every count kept also fits a 32-bit database column.
MAX_COUNT = 10_000_000
#: Plain digits or thousands groups ("1,234"), with an optional all-zero fraction ("21.0").
_NUMERAL = re.compile(r"(\d+|\d{1,3}(?:,\d{3})+)(?:\.0*)?")
_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40


def read_count(value: object, *, what: str) -> int | None:
    """`value` as a count from 0 to MAX_COUNT, else None; `what` names it in the log line.

    Accepted: an int, a float with no fraction, a string of ASCII digits (surrounding space,
    thousands commas and a `.0` fraction allowed). A bool is refused even though Python
    counts it as an int: `true` in a votes field is a drifted flag, not one vote.
    """
    if value is None:
        return None  # absent: unknown, and no drift worth a log line
    count: int | None = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        count = value
    elif isinstance(value, float):
        count = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, str):
        count = _from_numeral(value.strip())
    if count is not None and 0 <= count <= MAX_COUNT:
        return count
    log.debug("%s: %s is not a count; taken as unknown", what, _SHORT.repr(value))
    return None


def int_literal(text: str) -> int | float:
    """`json.loads(..., parse_int=int_literal)`: a JSON integer, or infinity for one of over
    100 digits. Python's own `int()` refuses literals of over 4,300 digits, and json would
    then refuse the whole document for one absurd number; infinity is refused where it is
    read (as a count: by read_count) and loses nothing else."""
    return int(text) if len(text) <= 100 else math.inf


def _from_numeral(text: str) -> int | None:
    """The digits' value; long strings are refused before `int()` (which refuses over 4,300
    digits with an error of its own) since they are over the cap anyway."""
    match = _NUMERAL.fullmatch(text) if len(text) <= 32 and text.isascii() else None
    return int(match[1].replace(",", "")) if match else None
