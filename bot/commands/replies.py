"""The platform-neutral answer to a command: a few lines of styled text, optionally one
paper card, and who may see it.

Text is kept as spans (plain, bold, link) rather than markup, so user input echoed back
(a keyword, a rejected time zone) can only ever be text: each platform's formatter escapes
every span for its own markup and defuses mentions. Cards are the neutral `Paper`; the
adapter renders them with the same renderer as the daily post.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import Paper
from bot.render.options import RenderOptions
from bot.render.text import one_line, truncate

ECHO_LIMIT = 60
"""How much of a user's own value an error message repeats (a 10 KB argument is not)."""


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"


class Tone(StrEnum):
    OK = "ok"
    INFO = "info"
    ERROR = "error"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = Style.PLAIN
    url: str | None = None
    """Set only from `safe_url`-checked URLs of our own data."""


Line = tuple[Span, ...]


def plain(text: str) -> Span:
    return Span(text)


def bold(text: str) -> Span:
    return Span(text, Style.BOLD)


def link(text: str, url: str) -> Span:
    return Span(text, url=url)


def field_line(label: str, value: str) -> Line:
    """ "Label: value" with the label in bold, the settings-listing shape."""
    return (bold(f"{label}:"), plain(f" {value}"))


def echo(value: object) -> str:
    """A user's value as an error message may quote it: one line, short."""
    return repr(truncate(one_line(str(value)), ECHO_LIMIT))


@dataclass(frozen=True, slots=True)
class Reply:
    lines: tuple[Line, ...]
    tone: Tone = Tone.OK
    ephemeral: bool = True
    card: Paper | None = None
    """Shown above the lines when set (the best /paper match)."""
    card_options: RenderOptions = field(default_factory=RenderOptions)
    more: int = 0
    """How many list lines were left out on purpose (shown as "...and N more")."""

    @classmethod
    def text(cls, message: str, *, tone: Tone = Tone.INFO, ephemeral: bool = True) -> Reply:
        return cls(((plain(message),),), tone=tone, ephemeral=ephemeral)

    @classmethod
    def error(cls, message: str) -> Reply:
        return cls.text(message, tone=Tone.ERROR)

    @classmethod
    def refused(cls, message: str) -> Reply:
        return cls.text(message, tone=Tone.REFUSED)

    @property
    def plain_text(self) -> str:
        """Every span's text without styling: logs, tests, notification fallbacks."""
        return "\n".join("".join(span.text for span in line) for line in self.lines)


TONE_MARKS = {Tone.ERROR: "⚠️", Tone.REFUSED: "🚫"}
"""Shown before the first line of error and refusal replies, on both platforms."""


def render_lines(
    reply: Reply,
    span: Callable[[Span], str],
    *,
    limit: int,
    more: Callable[[int], str],
) -> str:
    """The reply's lines in one platform's markup within `limit` code points.

    Lines are dropped from the end (never cut in the middle of a link) and the count of
    what is missing, plus what the handler left out on purpose, is said on a last line;
    "" when not even that line fits.
    """
    rendered = ["".join(span(item) for item in line) for line in reply.lines]
    mark = TONE_MARKS.get(reply.tone)
    if mark and rendered:
        rendered[0] = f"{mark} {rendered[0]}"
    kept = list(rendered)
    while True:
        missing = len(rendered) - len(kept) + reply.more
        tail = [more(missing)] if missing else []
        text = "\n".join(kept + tail)
        if len(text) <= limit or not kept:
            return text if len(text) <= limit else ""
        kept.pop()
