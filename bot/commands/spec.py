"""The command set, declared once: names, options, who may run them and where.

Both adapters read this table: Discord builds its option metadata and Slack its text
parsing and help from it, and the router takes the permission and place rules from it, so
a command cannot be guarded on one platform and open on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.commands import arguments as a


class OptionKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    description: str
    kind: OptionKind = OptionKind.TEXT
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    manages: bool = False
    """Changes or reveals a channel's subscription: needs the management permission and a
    real channel (never a DM)."""
    posts: bool = False
    """Makes the bot post in the channel (now or on schedule): the bot must be able to."""
    slow: bool = False
    """May take longer than a platform's answer window: always acknowledged first."""
    free_text: str | None = None
    """The option that takes the whole Slack text (after flags), e.g. /paper's query."""
    positional: tuple[str, ...] = ()
    """Options Slack users may give without a name, in this order."""
    usage: str = ""

    def option(self, name: str) -> OptionSpec | None:
        for option in self.options:
            if name == option.name or name in option.aliases:
                return option
        return None


SHARE = OptionSpec(
    "share", "Post the answer in the channel instead of only to you", OptionKind.FLAG
)
MIN_VOTES = OptionSpec(
    "min_votes",
    f"Only papers with at least this many votes (0-{a.MIN_VOTES_MAX})",
    OptionKind.INTEGER,
    minimum=0,
    maximum=a.MIN_VOTES_MAX,
    aliases=("min-votes", "votes", "min"),
)
TOP = OptionSpec(
    "top",
    f"At most this many papers (1-{a.TOP_MAX})",
    OptionKind.INTEGER,
    minimum=1,
    maximum=a.TOP_MAX,
    aliases=("n", "limit"),
)

PAPER = CommandSpec(
    "paper",
    "Look a paper up by arXiv id, URL or words from its title, authors or summary",
    (
        OptionSpec(
            "query",
            "arXiv id, arXiv/Hugging Face URL, or words (English or Korean)",
            max_length=a.QUERY_CHARS,
            required=True,
        ),
        SHARE,
    ),
    free_text="query",
    usage="<arXiv id | URL | words> [--share]",
)
PAPERS = CommandSpec(
    "papers",
    "A day's papers ranked by votes (default: the latest digest)",
    (
        OptionSpec("date", "YYYY-MM-DD, today, yesterday or latest", max_length=20),
        MIN_VOTES,
        TOP,
        SHARE,
    ),
    positional=("date", "min_votes", "top"),
    usage="[YYYY-MM-DD] [min_votes] [top] [--share]",
)
SUBSCRIBE = CommandSpec(
    "subscribe",
    "Create or change this channel's daily digest",
    (
        MIN_VOTES,
        TOP,
        OptionSpec(
            "keywords",
            'Comma-separated words to match in titles and summaries, or "none"',
            max_length=a.KEYWORDS_TEXT_CHARS,
            aliases=("keyword",),
        ),
        OptionSpec("time", "Post time as HH:MM (24-hour clock)", max_length=5),
        OptionSpec(
            "timezone",
            "IANA time zone, e.g. Europe/Berlin or Asia/Seoul",
            max_length=a.TIMEZONE_CHARS,
            aliases=("tz",),
        ),
        OptionSpec("source", "hf, markdown, feed, or all", max_length=100, aliases=("sources",)),
        OptionSpec("layout", "Slack: channel (one message per paper) or thread", max_length=20),
        OptionSpec(
            "no_papers",
            "A day with nothing to post: skip, or note (a short message)",
            max_length=20,
            aliases=("no-papers", "empty"),
        ),
    ),
    manages=True,
    posts=True,
    usage='[min_votes=N] [top=N] [keywords="a, b"] [time=HH:MM] [timezone=Area/City] '
    "[source=hf|markdown|feed|all] [layout=channel|thread] [no_papers=skip|note]",
)
UNSUBSCRIBE = CommandSpec("unsubscribe", "Stop this channel's daily digest", manages=True)
SUBSCRIPTION = CommandSpec(
    "subscription", "Show this channel's digest settings, state and next post", manages=True
)
PAUSE = CommandSpec(
    "pause",
    "Pause this channel's digest (settings are kept)",
    (OptionSpec("reason", "Why (shown by /subscription)", max_length=a.REASON_CHARS),),
    manages=True,
    free_text="reason",
    usage="[reason]",
)
RESUME = CommandSpec("resume", "Resume this channel's paused digest", manages=True, posts=True)
DIGEST = CommandSpec(
    "digest",
    "Post the latest digest to this channel now, as the subscription renders it",
    manages=True,
    posts=True,
    slow=True,
)

COMMANDS: Mapping[str, CommandSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (PAPER, PAPERS, SUBSCRIBE, UNSUBSCRIBE, SUBSCRIPTION, PAUSE, RESUME, DIGEST)
    }
)
