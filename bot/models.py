"""The neutral data model every stage shares: sources produce it, the store keeps it,
renderers and commands read it.

Values are frozen so a parsed digest can be handed to many renderers and tasks at once
without anyone changing it under the others' feet.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

HF_PAPER_URL = "https://huggingface.co/papers/{arxiv_id}"
ARXIV_ABS_URL = "https://arxiv.org/abs/{arxiv_id}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{arxiv_id}"
HF_DAY_URL = "https://huggingface.co/papers/date/{date}"
HF_SOCIAL_THUMBNAIL_URL = (
    "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png"
)

VIDEO_EXTENSIONS = frozenset({".mp4", ".webm", ".mov", ".qt", ".m4v", ".mkv", ".ogv"})


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class SourceKind(StrEnum):
    MARKDOWN = "markdown"
    HF = "hf"
    FEED = "feed"


class Platform(StrEnum):
    """The chat platform a message is rendered for and a channel lives on."""

    DISCORD = "discord"
    SLACK = "slack"


class Transport(StrEnum):
    """How the bot reaches a channel: as its bot account, through a configured incoming
    webhook (post-only), or by printing to the console (a dry run)."""

    BOT = "bot"
    WEBHOOK = "webhook"
    CONSOLE = "console"


class ChannelKind(StrEnum):
    """What kind of channel a subscription posts in, as the platform said when it was
    subscribed: a forum (Discord forum or media channel) has no plain messages, so each
    post opens a new forum post there; a thread takes messages but needs its own
    permission. Slack channels are all TEXT."""

    TEXT = "text"
    THREAD = "thread"
    FORUM = "forum"


def channel_kind_named(name: str | None) -> ChannelKind:
    """The kind stored under this name; a missing or unknown one (a row written by a newer
    version) reads as TEXT, what every channel was before kinds were recorded."""
    try:
        return ChannelKind(name) if name is not None else ChannelKind.TEXT
    except ValueError:
        return ChannelKind.TEXT


WEBHOOK_WORKSPACE = "webhook"
"""The workspace id of a configured webhook's channel; its channel id is the webhook's
label (the URL is a secret and stays in the configuration)."""
CONSOLE_WORKSPACE = "dry-run"
"""The workspace id of the console's channels in a dry run."""


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """One place the bot posts to. Real workspaces are Discord guild snowflakes and Slack
    team ids, so the two reserved workspace ids above can never clash with one."""

    platform: Platform
    workspace_id: str
    channel_id: str

    @property
    def transport(self) -> Transport:
        if self.workspace_id == WEBHOOK_WORKSPACE:
            return Transport.WEBHOOK
        if self.workspace_id == CONSOLE_WORKSPACE:
            return Transport.CONSOLE
        return Transport.BOT

    @property
    def label(self) -> str:
        """For logs and limiter keys; never a secret (webhook channels are labels)."""
        return f"{self.platform.value}:{self.channel_id}"

    @property
    def target(self) -> str:
        """The channel as people name it, with its workspace: `discord:<guild>/<channel>`,
        a configured webhook's label, or `console:<channel>`; never a secret. The command
        line takes it back (`papers-bot subscriptions`), the status page shows it."""
        if self.transport is Transport.WEBHOOK:
            return self.channel_id
        if self.transport is Transport.CONSOLE:
            return f"console:{self.channel_id}"
        return f"{self.platform.value}:{self.workspace_id}/{self.channel_id}"


def media_kind_for_url(url: str) -> MediaKind:
    """The file type decides, not the markdown syntax: digests write videos as images."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    dot = path.rfind(".")
    if dot != -1 and path[dot:] in VIDEO_EXTENSIONS:
        return MediaKind.VIDEO
    return MediaKind.IMAGE


@dataclass(frozen=True, slots=True)
class Media:
    kind: MediaKind
    url: str

    @classmethod
    def from_url(cls, url: str) -> Media:
        return cls(media_kind_for_url(url), url)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "url": self.url}


_TITLE_JUNK = re.compile(r"[\W_]+", re.UNICODE)


def normalize_title(title: str) -> str:
    """A key that survives case, punctuation and Unicode form differences between sources."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return _TITLE_JUNK.sub(" ", folded).strip()


def title_key(title: str) -> str:
    """The key of a paper known only by its title (no arXiv id)."""
    return "title:" + normalize_title(title)


def name_key(name: str) -> str:
    """A person's or organisation's name as follows compare it: "Kim Min-jun", "kim minjun"
    and "KIM MINJUN" are one key, "김 민준" and "김민준" another, "Jörg" is "Jorg".

    Compatibility forms are folded (full-width letters), case is folded, accents are
    dropped (the nonspacing marks of the decomposed form; and the dotless ı, the one letter
    whose upper case folds to another, is i), and so is everything that is neither a
    letter, a digit nor a spacing mark: spaces, hyphens, dots, apostrophes.
    Hangul syllables come back composed, so a name typed in jamo matches one typed in
    syllables. Written order stays: "Minjun Kim" is not "Kim Minjun", as sources list
    a person's name in one order and reordering would merge different people."""
    # Case is folded before marks are dropped: folding makes the Greek iota subscript the
    # letter it stands for (upper case writes it as one), so "ᾳ" is "αι" as "ΑΙ" is.
    folded = unicodedata.normalize("NFKC", name).casefold().replace("ı", "i")
    kept = "".join(
        ch
        for ch in unicodedata.normalize("NFKD", folded)
        if unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Mc"
    )
    return unicodedata.normalize("NFC", kept)


@dataclass(frozen=True, slots=True)
class Account:
    """A Hugging Face account a paper is listed under: its organisation, or who put it on
    Daily Papers. `handle` is the account name in URLs, `name` the name it shows."""

    handle: str
    name: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a follow may give for it."""
        return (self.handle,) if not self.name else (self.handle, self.name)

    def to_json(self) -> dict[str, str | None]:
        return {"handle": self.handle, "name": self.name}


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as one source saw it on one day."""

    title: str
    url: str
    date: dt.date
    source: SourceKind
    language: str
    arxiv_id: str | None = None
    votes: int | None = None
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    media: Media | None = None
    bullets: tuple[str, ...] = ()
    abstract: str | None = None
    github_url: str | None = None
    project_url: str | None = None
    keywords: tuple[str, ...] = ()
    organization: Account | None = None
    """The Hugging Face organisation the paper is listed under (HF API only)."""
    submitter: Account | None = None
    """Who put the paper on Daily Papers (HF API only)."""
    following: tuple[str, ...] = ()
    """The names a channel follows that this paper matched, as the channel wrote them: set
    by the composer for that channel's post only, shown on the card, never stored."""

    @property
    def key(self) -> str:
        """The identity used to merge the same paper seen in several sources."""
        if self.arxiv_id:
            return self.arxiv_id
        return title_key(self.title)

    @property
    def hf_url(self) -> str | None:
        return HF_PAPER_URL.format(arxiv_id=self.arxiv_id) if self.arxiv_id else None

    @property
    def arxiv_url(self) -> str | None:
        return ARXIV_ABS_URL.format(arxiv_id=self.arxiv_id) if self.arxiv_id else None

    @property
    def pdf_url(self) -> str | None:
        return ARXIV_PDF_URL.format(arxiv_id=self.arxiv_id) if self.arxiv_id else None

    @property
    def still_image_url(self) -> str | None:
        """An image to show even when the paper's media is a video (chat embeds can't play one)."""
        if self.media is not None and self.media.kind is MediaKind.IMAGE:
            return self.media.url
        if self.arxiv_id:
            return HF_SOCIAL_THUMBNAIL_URL.format(arxiv_id=self.arxiv_id)
        return None

    @property
    def video_url(self) -> str | None:
        if self.media is not None and self.media.kind is MediaKind.VIDEO:
            return self.media.url
        return None

    def to_json(self) -> dict[str, Any]:
        """The `papers-bot parse` line format (DESIGN.md); extra keys come after the fixed ones."""
        return {
            "date": self.date.isoformat(),
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "url": self.url,
            "votes": self.votes,
            "authors": list(self.authors),
            "authors_truncated": self.authors_truncated,
            "media": self.media.to_json() if self.media else None,
            "bullets": list(self.bullets),
            "source": self.source.value,
            "language": self.language,
            "abstract": self.abstract,
            "github_url": self.github_url,
            "project_url": self.project_url,
            "keywords": list(self.keywords),
            "organization": self.organization.to_json() if self.organization else None,
            "submitter": self.submitter.to_json() if self.submitter else None,
        }


@dataclass(frozen=True, slots=True)
class Digest:
    """The papers one source published for one day, in the source's order."""

    date: dt.date
    source: SourceKind
    papers: tuple[Paper, ...] = ()
    origin: str | None = None
    language: str = "en"

    @property
    def day_url(self) -> str:
        return HF_DAY_URL.format(date=self.date.isoformat())
