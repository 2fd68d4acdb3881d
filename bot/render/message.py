"""The hand-off between renderers and adapters: one platform request body, ready to send.

Renderers own every platform rule (lengths, escaping, mention safety); adapters only
translate a body into one API call, so what `preview --json` prints is what gets sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.models import Platform


class MessageRole(StrEnum):
    HEADER = "header"
    PAPER = "paper"
    ALERT = "alert"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message to post.

    `body` is the platform's JSON body without the target: Discord's create-message body
    (content, embeds, allowed_mentions, ...), Slack's chat.postMessage arguments (text,
    blocks, ...) without `channel`. `in_thread` asks the sender to reply in the thread of
    the digest's header message (Slack thread layout).
    """

    platform: Platform
    role: MessageRole
    body: dict[str, Any]
    paper_key: str | None = None
    in_thread: bool = False
    meta: dict[str, str] = field(default_factory=dict)
