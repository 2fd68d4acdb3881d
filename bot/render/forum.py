"""A post in a Discord forum channel: the first message opens a new forum post, the rest
go into its thread.

A forum has no plain messages: a post there is a thread whose starter message is our first
message, created with a title and the forum's tags in one call. The renderer decides the
title and which tag names fit the post, and carries them in the first message's `meta`;
only the adapter can see which tags the forum has (their ids), so it picks the matching
ones when it creates the post. The other messages are marked `in_thread`: the sender puts
them in the thread the first one opened (on Discord a forum post's thread has the id of
its starter message).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from bot.render.limits import DiscordLimits
from bot.render.message import RenderedMessage
from bot.render.text import fit

THREAD_NAME = "thread_name"
"""`meta` key: the forum post's title; its presence makes a message open a forum post."""
THREAD_TAGS = "thread_tags"
"""`meta` key: the tag names to apply where the forum has them, newline-separated, in
order of preference."""
POST_TAGS = ("daily papers", "papers")
"""Tag names every post asks for, before its language and the subscription's keywords."""
LANGUAGE_TAGS = {"en": ("en", "english"), "ko": ("ko", "korean", "한국어")}
"""The names a forum may give the tag of a digest's language; other languages: the code."""


def thread_title(text: str) -> str:
    """`text` on one line, cut to what a forum post's title may hold. Titles are shown as
    written (no markdown) and never mention anyone, so nothing is escaped."""
    return fit(" ".join(text.split()), DiscordLimits.THREAD_NAME, lambda raw: raw)


def tag_names(language: str | None, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The tag names a post asks for: the fixed ones, its language's, then `extra`; each
    once, compared as the adapter compares them (case-insensitively)."""
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    wanted = [*POST_TAGS, *LANGUAGE_TAGS.get(code, (code,) if code else ()), *extra]
    seen: dict[str, str] = {}
    for name in wanted:
        key = " ".join(name.split()).casefold()
        if key and key not in seen:
            seen[key] = " ".join(name.split())
    return tuple(seen.values())


def forum_post(
    messages: Sequence[RenderedMessage], title: str, tags: Sequence[str]
) -> list[RenderedMessage]:
    """`messages` as one forum post titled `title`, asking for the tags named `tags`."""
    if not messages:
        return []
    first, *rest = messages
    meta = {**first.meta, THREAD_NAME: thread_title(title), THREAD_TAGS: "\n".join(tags)}
    opening = dataclasses.replace(first, meta=meta)
    return [opening, *(dataclasses.replace(m, in_thread=True) for m in rest)]
