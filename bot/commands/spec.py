"""The command set, declared once: names, options, their limits, who may run them and where.

Both adapters read this table: `bot.adapters.discord_commands` generates the Discord
application-command definitions from it (types, required, bounds, lengths, choices), and
`bot.commands.text_options` parses Slack's text and writes its usage lines from it. The
validators in `bot.commands.arguments` take their bounds and lengths from the same
options, and the router takes the permission and place rules from the commands, so a
limit or a guard cannot differ between the platforms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.config import KNOWN_SOURCES
from bot.render.options import SlackLayout

DESCRIPTION_CHARS = 100
"""Discord's cap on command and option descriptions; a longer one is refused here, at
import, rather than cut short or refused by Discord when the commands are registered."""

MIN_VOTES_MAX = 100_000
TOP_MAX = 50
KEYWORDS_MAX = 10
KEYWORD_CHARS = 40
FOLLOW_NAME_CHARS = 100
FOLLOWS_MAX = 50
"""The most names one channel may follow, authors and organisations together."""


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
    """Smallest INTEGER value accepted (Discord's min_value, checked again on every run)."""
    maximum: int | None = None
    """Largest INTEGER value accepted (Discord's max_value, checked again on every run)."""
    max_length: int | None = None
    """Longest TEXT value accepted (Discord's max_length, checked again on every run)."""
    aliases: tuple[str, ...] = ()
    """Other names Slack text may use (`tz=` for `timezone=`)."""
    required: bool = False
    choices: tuple[str, ...] = ()
    """The values Discord offers as a list and Slack's usage line shows as `a|b|c`. The
    layout and no_papers validators accept only these; source also takes several,
    comma-separated, on Slack."""
    placeholder: str = ""
    """How usage lines show the value (`HH:MM`); without one they show the choices, the
    bounds or the option's name (`value_hint`)."""
    autocomplete: bool = False
    """Discord suggests papers from the archive while this option is typed."""

    def __post_init__(self) -> None:
        if len(self.description) > DESCRIPTION_CHARS:
            raise ValueError(f"option {self.name}: description over {DESCRIPTION_CHARS} chars")

    @property
    def value_hint(self) -> str:
        """The value as Slack's usage line and the command line's help show it: `HH:MM`,
        `channel|thread`, `1-50`, or the option's name."""
        if self.placeholder:
            return self.placeholder
        if self.choices:
            return "|".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum}-{self.maximum}"
        return self.name


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    manages: bool = False
    """Changes or reveals a channel's subscription: the router refuses it in a DM and to a
    caller without the management permission; Discord registers it guild-only with Manage
    Channels as its default member permission."""
    posts: bool = False
    """Makes the bot post in the channel (now or on schedule): the router first checks that
    the bot can post there."""
    slow: bool = False
    """May take longer than a platform's answer window: Discord always defers it (Slack
    acknowledges every command at once anyway)."""
    free_text: str | None = None
    """The option that takes the whole Slack text apart from flag words such as --share,
    e.g. /paper's query."""
    positional: tuple[str, ...] = ()
    """Options Slack users may give without a name, in this order."""

    def __post_init__(self) -> None:
        if len(self.description) > DESCRIPTION_CHARS:
            raise ValueError(f"/{self.name}: description over {DESCRIPTION_CHARS} chars")

    def option(self, name: str) -> OptionSpec | None:
        """The option called `name` or one of its aliases, None when there is none."""
        for option in self.options:
            if name == option.name or name in option.aliases:
                return option
        return None


SHARE = OptionSpec(
    "share", "Post the answer in the channel instead of only to you", OptionKind.FLAG
)
MIN_VOTES = OptionSpec(
    "min_votes",
    f"Only papers with at least this many votes (0-{MIN_VOTES_MAX})",
    OptionKind.INTEGER,
    minimum=0,
    maximum=MIN_VOTES_MAX,
    aliases=("min-votes", "votes", "min"),
)
TOP = OptionSpec(
    "top",
    f"At most this many papers (1-{TOP_MAX})",
    OptionKind.INTEGER,
    minimum=1,
    maximum=TOP_MAX,
    aliases=("n", "limit"),
)
QUERY = OptionSpec(
    "query",
    "arXiv id, arXiv/Hugging Face URL, or words (English or Korean)",
    max_length=300,
    required=True,
    placeholder="arXiv id | URL | words",
    autocomplete=True,
)
DATE = OptionSpec(
    "date", "YYYY-MM-DD, today, yesterday or latest", max_length=20, placeholder="YYYY-MM-DD"
)
KEYWORDS = OptionSpec(
    "keywords",
    'Comma-separated words to match in titles and summaries, or "none"',
    max_length=KEYWORDS_MAX * (KEYWORD_CHARS + 2),
    aliases=("keyword",),
    placeholder='"a, b"',
)
TIME = OptionSpec("time", "Post time as HH:MM (24-hour clock)", max_length=5, placeholder="HH:MM")
TIMEZONE = OptionSpec(
    "timezone",
    "IANA time zone, e.g. Europe/Berlin or Asia/Seoul",
    max_length=64,
    aliases=("tz",),
    placeholder="Area/City",
)
SOURCE = OptionSpec(
    "source",
    f"{', '.join(KNOWN_SOURCES)}, or all",
    max_length=100,
    aliases=("sources",),
    choices=(*KNOWN_SOURCES, "all"),
)
LAYOUT = OptionSpec(
    "layout",
    "Slack: channel (one message per paper) or thread",
    max_length=20,
    choices=tuple(layout.value for layout in SlackLayout),
)
NO_PAPERS = OptionSpec(
    "no_papers",
    "A day with nothing to post: skip, or note (a short message)",
    max_length=20,
    aliases=("no-papers", "empty"),
    choices=("skip", "note"),
)
LIVE_VOTES = OptionSpec(
    "live_votes",
    "Keep vote counts on posted digests current (edits): on or off",
    max_length=20,
    aliases=("live-votes", "live"),
    choices=("on", "off"),
)
REASON = OptionSpec("reason", "Why (shown by /subscription)", max_length=200)
AUTHOR = OptionSpec(
    "author",
    'An author\'s name as papers list it, e.g. "Kim Min-jun" (case, accents, spaces ignored)',
    max_length=FOLLOW_NAME_CHARS,
    placeholder='"Name"',
)
ORG = OptionSpec(
    "org",
    "A Hugging Face organisation or submitter, e.g. google",
    max_length=FOLLOW_NAME_CHARS,
    aliases=("organization", "organisation", "submitter"),
    placeholder="name",
)
ALL = OptionSpec("all", "Stop following every author and organisation", OptionKind.FLAG)

PAPER = CommandSpec(
    "paper",
    "Look a paper up by arXiv id, URL or words from its title, authors or summary",
    (QUERY, SHARE),
    free_text="query",
)
PAPERS = CommandSpec(
    "papers",
    "A day's papers ranked by votes (default: the latest digest)",
    (DATE, MIN_VOTES, TOP, SHARE),
    positional=("date", "min_votes", "top"),
)
SUBSCRIBE = CommandSpec(
    "subscribe",
    "Create or change this channel's daily digest",
    (MIN_VOTES, TOP, KEYWORDS, TIME, TIMEZONE, SOURCE, LAYOUT, NO_PAPERS, LIVE_VOTES),
    manages=True,
    posts=True,
)
UNSUBSCRIBE = CommandSpec("unsubscribe", "Stop this channel's daily digest", manages=True)
SUBSCRIPTION = CommandSpec(
    "subscription", "Show this channel's digest settings, state and next post", manages=True
)
PAUSE = CommandSpec(
    "pause",
    "Pause this channel's digest (settings are kept)",
    (REASON,),
    manages=True,
    free_text="reason",
)
RESUME = CommandSpec("resume", "Resume this channel's paused digest", manages=True, posts=True)
FOLLOW = CommandSpec(
    "follow",
    "Post an author's or Hugging Face org's papers here, even below the vote threshold",
    (AUTHOR, ORG),
    manages=True,
)
UNFOLLOW = CommandSpec(
    "unfollow",
    "Stop following an author or Hugging Face org here (or all of them)",
    (AUTHOR, ORG, ALL),
    manages=True,
)
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
        for spec in (
            PAPER,
            PAPERS,
            SUBSCRIBE,
            UNSUBSCRIBE,
            SUBSCRIPTION,
            PAUSE,
            RESUME,
            FOLLOW,
            UNFOLLOW,
            DIGEST,
        )
    }
)
