"""Validating what people type: every option value of every command goes through here.

Values arrive typed from Discord (ints, strings, booleans) and as text from Slack; both
paths end in the same checks, so a limit is enforced once. Bounds, lengths and choices are
read from the options in `bot.commands.spec`, the table Discord's definitions are
generated from, so Discord and Slack refuse the same values. Each check returns a clean
value or raises `InvalidArgumentError` naming the option and the rule, quoting at most a
short, one-line piece of what was typed. Nothing here touches the store: a bad value is
refused before anything changes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping

from bot.commands.errors import InvalidArgumentError
from bot.commands.replies import echo
from bot.commands.spec import (
    AUTHOR,
    DATE,
    KEYWORD_CHARS,
    KEYWORDS,
    KEYWORDS_MAX,
    LAYOUT,
    LIVE_VOTES,
    MIN_VOTES,
    NO_PAPERS,
    ORG,
    QUERY,
    REASON,
    SOURCE,
    TIME,
    TIMEZONE,
    TOP,
    OptionSpec,
)
from bot.config import KNOWN_SOURCES
from bot.models import SourceKind, name_key
from bot.post_time import PostTimeError, parse_clock
from bot.render.options import SlackLayout
from bot.render.text import one_line

EARLIEST_DAY = dt.date(2020, 1, 1)

CLEAR_WORDS = frozenset({"none", "-", "clear", "off"})
ALL_WORDS = frozenset({"all", "any", "*"})
LATEST_WORDS = frozenset({"latest", "last", "newest"})

_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
# Letters and digits of any script, combining marks, spaces and a few joiners ("C++",
# "GPT-4o", "vision-language", "R&D"); anything that is markup or mention syntax on some
# platform (@ < > * _ ~ ` | [ ] #...) is refused rather than stored.
_KEYWORD_PUNCTUATION = frozenset(" -+.'&/:()")
# A person's or account's name: letters, marks, digits, and what names and Hugging Face
# handles hold between them ("Jean-François", "O'Neil", "Jr.", "deepseek-ai", "open_ai").
_NAME_PUNCTUATION = frozenset(" -.'’_&()")
_OPTION = Mapping[str, object]


def _text(option: OptionSpec, value: object) -> str:
    """One clean line of text, or an error when it is not text or longer than the option's
    max_length."""
    if not isinstance(value, str):
        raise InvalidArgumentError(option.name, "expected text")
    cleaned = one_line(value)
    limit = option.max_length
    if limit is not None and len(cleaned) > limit:
        raise InvalidArgumentError(
            option.name, f"too long ({len(cleaned)} characters; at most {limit})"
        )
    return cleaned


def integer(option: OptionSpec, value: object) -> int:
    """A whole number (Discord's int or Slack's digits) within the option's minimum and
    maximum, each checked when the spec states it."""
    name, low, high = option.name, option.minimum, option.maximum
    if isinstance(value, bool):
        raise InvalidArgumentError(name, "expected a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise InvalidArgumentError(name, f"expected a whole number, got {echo(value)}")
    too_small = low is not None and number < low
    too_large = high is not None and number > high
    if too_small or too_large:
        if low is not None and high is not None:
            rule = f"must be between {low} and {high}"
        else:
            rule = f"must be at least {low}" if too_small else f"must be at most {high}"
        raise InvalidArgumentError(name, f"{rule}, got {number}")
    return number


def min_votes(value: object) -> int:
    return integer(MIN_VOTES, value)


def top(value: object) -> int:
    return integer(TOP, value)


def flag(option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "off"}:
        return False
    raise InvalidArgumentError(option, f"expected yes or no, got {echo(value)}")


def post_time(value: object) -> str:
    text = _text(TIME, value)
    try:
        parsed = parse_clock(text)  # ASCII digits only: int() would read full-width ones
    except PostTimeError:
        raise InvalidArgumentError(
            "time", f"expected a 24-hour time as HH:MM (e.g. 09:30), got {echo(value)}"
        ) from None
    return parsed.strftime("%H:%M")


def timezone(value: object) -> str:
    """An IANA zone name as the tz database spells it; a wrong case gets a suggestion."""
    limit = TIMEZONE.max_length
    if isinstance(value, str) and limit is not None and len(value) > limit:
        raise InvalidArgumentError("timezone", f"too long (at most {limit} characters)")
    name = _text(TIMEZONE, value)
    if _is_zone(name):
        return name
    hint = _zone_hint(name)
    suffix = f"; did you mean {hint}?" if hint else " (e.g. Europe/Berlin, Asia/Seoul, UTC)"
    raise InvalidArgumentError("timezone", f"unknown IANA time zone {echo(name)}{suffix}")


def _is_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _zone_hint(name: str) -> str | None:
    """The zone whose name differs only in case or separators (asia/seoul, Asia Seoul)."""
    wanted = name.casefold().replace(" ", "_")
    for zone in zoneinfo.available_timezones():
        if zone.casefold() == wanted:
            return zone
    return None


def keywords(value: object) -> tuple[str, ...]:
    """Comma-separated words or phrases; "none" clears them."""
    if not isinstance(value, str):
        raise InvalidArgumentError("keywords", "expected text")
    limit = KEYWORDS.max_length
    if limit is not None and len(value) > limit:
        raise InvalidArgumentError(
            "keywords",
            f"too long ({len(value)} characters); give at most {KEYWORDS_MAX} keywords "
            f"of up to {KEYWORD_CHARS} characters each",
        )
    text = one_line(unicodedata.normalize("NFKC", value))
    if text.casefold() in CLEAR_WORDS:
        return ()
    found: list[str] = []
    for raw in text.split(","):
        word = " ".join(raw.split())
        if not word:
            continue
        _check_keyword(word)
        if word.casefold() not in {w.casefold() for w in found}:
            found.append(word)
    if not found:
        raise InvalidArgumentError("keywords", 'give words separated by commas, or "none"')
    if len(found) > KEYWORDS_MAX:
        raise InvalidArgumentError("keywords", f"at most {KEYWORDS_MAX} keywords, got {len(found)}")
    return tuple(found)


def _check_keyword(word: str) -> None:
    if len(word) > KEYWORD_CHARS:
        raise InvalidArgumentError(
            "keywords", f"{echo(word)} is longer than {KEYWORD_CHARS} characters"
        )
    bad = sorted({ch for ch in word if not _keyword_char(ch)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InvalidArgumentError(
            "keywords",
            f"only letters, digits, spaces and - + . ' & / : ( ) are allowed; not {shown}",
        )
    if not any(ch.isalnum() for ch in word):
        raise InvalidArgumentError("keywords", f"{echo(word)} has no letter or digit")


def _keyword_char(ch: str) -> bool:
    if ch in _KEYWORD_PUNCTUATION:
        return True
    return unicodedata.category(ch)[0] in {"L", "N", "M"}


def author(value: object) -> str:
    return follow_name(AUTHOR, value)


def org(value: object) -> str:
    return follow_name(ORG, value)


def follow_name(option: OptionSpec, value: object) -> str:
    """One author (AUTHOR) or Hugging Face account (ORG) name, as typed but on one line
    with single spaces; it must hold a letter or digit, and no markup or mention syntax."""
    name = " ".join(_text(option, value).split())
    bad = sorted({ch for ch in name if not _name_char(ch)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InvalidArgumentError(
            option.name,
            f"one name, of letters, digits, spaces and - . ' _ & ( ); not {shown}",
        )
    if not name_key(name):
        raise InvalidArgumentError(option.name, "give a name with a letter or digit in it")
    return name


def _name_char(ch: str) -> bool:
    return ch in _NAME_PUNCTUATION or unicodedata.category(ch)[0] in {"L", "N", "M"}


def sources(value: object) -> tuple[SourceKind, ...]:
    """One or more of the known sources, comma-separated; "all" means no filter."""
    text = _text(SOURCE, value).casefold()
    if text in ALL_WORDS:
        return ()
    chosen: list[SourceKind] = []
    for raw in text.replace(" ", ",").split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in KNOWN_SOURCES:
            raise InvalidArgumentError(
                "source", f"unknown source {echo(name)}; use {', '.join(KNOWN_SOURCES)} or all"
            )
        kind = SourceKind(name)
        if kind not in chosen:
            chosen.append(kind)
    if not chosen:
        raise InvalidArgumentError("source", f"use {', '.join(KNOWN_SOURCES)} or all")
    return tuple(chosen)


def layout(value: object) -> SlackLayout:
    text = _text(LAYOUT, value).casefold()
    if text not in LAYOUT.choices:
        known = ", ".join(LAYOUT.choices)
        raise InvalidArgumentError("layout", f"unknown layout {echo(value)}; use one of {known}")
    return SlackLayout(text)


def no_papers(value: object) -> str:
    """What a channel gets on an empty day: nothing ("skip") or a short "note"."""
    text = _text(NO_PAPERS, value).casefold()
    if text not in NO_PAPERS.choices:
        raise InvalidArgumentError(
            "no_papers",
            f"unknown choice {echo(value)}; use skip (post nothing) or note (a short message)",
        )
    return text


def live_votes(value: object) -> bool:
    """Whether the channel's posted digests keep their vote counts current: on or off."""
    text = _text(LIVE_VOTES, value).casefold()
    if text not in LIVE_VOTES.choices:
        raise InvalidArgumentError(
            "live_votes",
            f"unknown choice {echo(value)}; use on (edit the counts as votes come) or off",
        )
    return text == "on"


def day(value: object, today: dt.date) -> dt.date | None:
    """A date (YYYY-MM-DD, today, yesterday); None means the latest digest."""
    text = _text(DATE, value).casefold()
    if text in LATEST_WORDS:
        return None
    if text == "today":
        return today
    if text == "yesterday":
        return today - dt.timedelta(days=1)
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(
            "date", f"expected YYYY-MM-DD, today, yesterday or latest, got {echo(value)}"
        ) from None
    if not EARLIEST_DAY <= parsed <= today + dt.timedelta(days=1):
        raise InvalidArgumentError(
            "date", f"must be between {EARLIEST_DAY.isoformat()} and today, got {parsed}"
        )
    return parsed


def query(value: object) -> str:
    text = _text(QUERY, value)
    if not any(ch.isalnum() for ch in text):
        raise InvalidArgumentError("query", "give an arXiv id, a paper URL or some words")
    return text


def reason(value: object) -> str:
    return _text(REASON, value)


def optional(options: _OPTION, name: str) -> object | None:
    """The raw value of an option the user gave, None when absent or left empty."""
    value = options.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value
