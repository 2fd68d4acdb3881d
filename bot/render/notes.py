"""The short note a channel with the "note" policy gets on a day with nothing new to post."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Platform
from bot.render.forum import forum_post, tag_names
from bot.render.markup import escape_slack
from bot.render.message import MessageRole, RenderedMessage

NOTHING_NEW = "📭 No new Daily Papers since the last post ({day})."
NOTHING_NEW_KO = "📭 지난 게시 이후 새 Daily Papers가 없습니다 ({day})."


def render_nothing_new(
    platform: Platform, day: dt.date, language: str | None, *, discord_forum: bool = False
) -> RenderedMessage:
    """The note; in a Discord forum (`discord_forum`), a forum post of its own."""
    template = NOTHING_NEW_KO if (language or "").startswith("ko") else NOTHING_NEW
    text = template.format(day=day.isoformat())
    meta = {"date": day.isoformat()}
    if platform is Platform.SLACK:
        body: dict[str, Any] = {
            "text": escape_slack(text),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": escape_slack(text)}}],
            "unfurl_links": False,
            "unfurl_media": False,
        }
        return RenderedMessage(platform, MessageRole.NOTE, body, meta=meta)
    body = {"content": text, "allowed_mentions": {"parse": []}}
    note = RenderedMessage(platform, MessageRole.NOTE, body, meta=meta)
    if not discord_forum:
        return note
    [opening] = forum_post([note], text, tag_names(language))
    return opening
