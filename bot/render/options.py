"""How a subscription wants its posts to look; the same digest renders differently per channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.render.labels import Labels, labels_for


class SlackLayout(StrEnum):
    CHANNEL = "channel"
    """A header message, then one channel message per paper."""
    THREAD = "thread"
    """A header message (with an index) in the channel, each paper a reply in its thread."""


def slack_layout_named(name: str | None) -> SlackLayout:
    """The layout a subscription stored under this name. A missing or unknown name (a row
    written by a newer version, say) falls back to the channel layout rather than failing
    the post: it is only a matter of looks."""
    try:
        return SlackLayout(name) if name is not None else SlackLayout.CHANNEL
    except ValueError:
        return SlackLayout.CHANNEL


@dataclass(frozen=True, slots=True)
class RenderOptions:
    slack_layout: SlackLayout = SlackLayout.CHANNEL
    locale: str | None = None
    """Overrides the language of the digest (or paper) for the fixed labels."""
    slack_video_domains: frozenset[str] = frozenset()
    """Hosts declared as the Slack app's unfurl domains: only their videos get a video block."""
    show_images: bool = True
    show_authors: bool = True
    max_authors: int = 5
    summary_limit: int | None = None
    """Cap in code points on one paper's summary; None means as much as the platform allows."""
    discord_forum: bool = False
    """Discord: the channel is a forum, so each post opens a new forum post (`forum`)."""
    forum_tags: tuple[str, ...] = ()
    """Forum tag names to apply besides the fixed ones (a subscription's keywords)."""

    def labels(self, language: str) -> Labels:
        return labels_for(self.locale or language)

    def summary_budget(self, platform_room: int) -> int:
        if self.summary_limit is None:
            return platform_room
        return max(0, min(self.summary_limit, platform_room))
