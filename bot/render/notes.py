"""The short note a channel with the "note" policy gets on a day with nothing new to post."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Platform
from bot.render.markup import escape_slack
from bot.render.message import MessageRole, RenderedMessage

NOTHING_NEW = "📭 No new Daily Papers since the last post ({day})."
NOTHING_NEW_KO = "📭 지난 게시 이후 새 Daily Papers가 없습니다 ({day})."


def render_nothing_new(platform: Platform, day: dt.date, language: str | None) -> RenderedMessage:
    template = NOTHING_NEW_KO if (language or "").startswith("ko") else NOTHING_NEW
    text = template.format(day=day.isoformat())
    body: dict[str, Any]
    if platform is Platform.DISCORD:
        body = {"content": text, "allowed_mentions": {"parse": []}}
    else:
        body = {
            "text": escape_slack(text),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": escape_slack(text)}}],
            "unfurl_links": False,
            "unfurl_media": False,
        }
    return RenderedMessage(platform, MessageRole.NOTE, body, meta={"date": day.isoformat()})
