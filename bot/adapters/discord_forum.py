"""Forum posts on Discord: the request that opens one, the tags it gets, and finding one
an earlier attempt made.

A forum channel (type 15, or 16 for a media channel) takes no plain messages; a post is a
thread created with its starter message in one call (`POST /channels/{forum}/threads`),
whose answer is the thread, with the id its starter message also has. Discord keeps no
nonce for that call, so a post whose answer was lost is looked for among the forum's
threads by what identifies it: its parent, its title, our bot as its owner, and an id no
older than the attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FORUM_TYPES = frozenset({15, 16})
"""GUILD_FORUM and GUILD_MEDIA: channels whose messages all live in posts (threads)."""
ARCHIVE_AFTER_MINUTES = 10080
"""A week, the longest Discord allows: the post stays among the guild's active threads,
where a lost answer is looked for first, for as long as a retry could come."""
MAX_TAGS = 5
"""Discord's cap on the tags of one post."""


def _name_key(name: object) -> str:
    return " ".join(str(name or "").split()).casefold()


def matching_tags(available: Iterable[Mapping[str, Any]], wanted: Sequence[str]) -> list[str]:
    """The ids of the forum's tags named as one of `wanted` (case-insensitively), in the
    order `wanted` prefers them, at most five. Moderated tags are left alone: only members
    with Manage Threads may apply them, which the bot is not asked to have."""
    by_name: dict[str, str] = {}
    for tag in available:
        key = _name_key(tag.get("name"))
        if key and not tag.get("moderated") and key not in by_name:
            by_name[key] = str(tag["id"])
    picked: list[str] = []
    for name in wanted:
        found = by_name.get(_name_key(name))
        if found is not None and found not in picked:
            picked.append(found)
    return picked[:MAX_TAGS]


def thread_body(name: str, message: dict[str, Any], tags: Sequence[str]) -> dict[str, Any]:
    """The body of `POST /channels/{forum}/threads`: the post's title, its starter message
    and its tags (none when the forum has none that match)."""
    body: dict[str, Any] = {
        "name": name,
        "auto_archive_duration": ARCHIVE_AFTER_MINUTES,
        "message": message,
    }
    if tags:
        body["applied_tags"] = list(tags)
    return body


@dataclass(frozen=True, slots=True)
class PostKey:
    """What identifies the post an attempt opened: in this forum, with this title, opened
    by our bot, with an id no smaller than `since_id` (the smallest snowflake of the
    attempt's time)."""

    forum_id: str
    name: str
    owner_id: str
    since_id: int

    def find(self, threads: Iterable[Mapping[str, Any]]) -> str | None:
        """The id of the post among `threads`, or None."""
        for thread in threads:
            if (
                str(thread.get("parent_id")) == self.forum_id
                and str(thread.get("owner_id")) == self.owner_id
                and thread.get("name") == self.name
                and int(thread["id"]) >= self.since_id
            ):
                return str(thread["id"])
        return None
