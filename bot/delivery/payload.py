"""What an outbox row carries: the post's rendered messages, frozen at planning time, and
how far sending them got.

Rendering once, when the post is planned, makes every retry and every restart send the same
bytes, so a platform's dedupe (Discord nonce, Slack metadata lookup) can recognise a message
that landed before a crash. Progress (`sent`) is written after every message, which is what
lets a restarted worker resume at the first message not known to have landed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.errors import PapersBotError
from bot.models import Paper, Platform, SourceKind
from bot.render.message import MessageRole, RenderedMessage
from bot.store.rows import SubscriptionSettings


class PayloadError(PapersBotError):
    """An outbox row whose payload this version cannot read (it is dead-lettered)."""


def message_to_json(message: RenderedMessage) -> dict[str, Any]:
    return {
        "platform": message.platform.value,
        "role": message.role.value,
        "body": message.body,
        "paper_key": message.paper_key,
        "in_thread": message.in_thread,
        "meta": message.meta,
    }


def message_from_json(data: dict[str, Any]) -> RenderedMessage:
    return RenderedMessage(
        platform=Platform(data["platform"]),
        role=MessageRole(data["role"]),
        body=dict(data["body"]),
        paper_key=data.get("paper_key"),
        in_thread=bool(data.get("in_thread", False)),
        meta={str(k): str(v) for k, v in (data.get("meta") or {}).items()},
    )


@dataclass(frozen=True, slots=True)
class Look:
    """What a digest post was composed and drawn from, frozen with it: a live edit renders
    the post again from the same sources, language, layout, channel kind and forum tags,
    with the same papers marked as followed, whatever the channel's settings and follows
    have become since."""

    sources: tuple[SourceKind, ...] = ()
    language: str | None = None
    layout: str = "channel"
    channel_kind: str = "text"
    keywords: tuple[str, ...] = ()
    """The channel's keywords, which a Discord forum post asks for as tags."""
    following: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(paper key, the followed names its card shows) for each paper marked."""

    @classmethod
    def of(cls, settings: SubscriptionSettings, papers: Sequence[Paper]) -> Look:
        return cls(
            settings.sources,
            settings.language,
            settings.layout,
            settings.channel_kind.value,
            settings.keywords,
            tuple((p.key, p.following) for p in papers if p.following),
        )

    def to_json(self) -> str:
        data = {"sources": [s.value for s in self.sources], "language": self.language}
        return json.dumps(
            {
                **data,
                "layout": self.layout,
                "channel_kind": self.channel_kind,
                "keywords": list(self.keywords),
                "following": {key: list(names) for key, names in self.following},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Look:
        data = json.loads(text)
        following = data.get("following") or {}
        return cls(
            tuple(SourceKind(s) for s in data["sources"]),
            data.get("language"),
            str(data.get("layout") or "channel"),
            str(data.get("channel_kind") or "text"),
            tuple(str(k) for k in data.get("keywords") or ()),
            tuple((str(k), tuple(str(n) for n in v)) for k, v in following.items()),
        )


@dataclass(frozen=True, slots=True)
class Post:
    messages: tuple[RenderedMessage, ...]
    papers: tuple[str, ...] = ()
    """Keys of the papers the post carries (alerts skip those)."""
    day: str = ""
    watch: tuple[str, ...] = ()
    """Papers left out only for too few votes: each may earn a vote-threshold alert."""
    sent: tuple[str | None, ...] = ()
    """Message id per message done, in order; None for one skipped or without an id."""
    tries: int = 0
    """Consecutive failed attempts at the next message."""
    uncertain: bool = False
    """The next message may have landed (timeout, crash): look before sending again."""
    problems: tuple[str, ...] = field(default=())
    look: Look | None = None
    """How a digest post was composed (None for alerts, notes and rows planned before live
    cards): the post's cards can be kept current only with it."""

    @property
    def done(self) -> bool:
        return len(self.sent) >= len(self.messages)

    @property
    def next_index(self) -> int:
        return len(self.sent)

    def header_id(self) -> str | None:
        """The message id threads hang under: the first message when it is the header."""
        if self.messages and self.messages[0].role is MessageRole.HEADER and self.sent:
            return self.sent[0]
        return None

    def advanced(self, message_id: str | None, problem: str | None = None) -> Post:
        problems = (*self.problems, problem) if problem else self.problems
        return replace(
            self, sent=(*self.sent, message_id), tries=0, uncertain=False, problems=problems
        )

    def failed(self, *, uncertain: bool, counted: bool = True) -> Post:
        """After a failed attempt; `counted` failures move the post toward dead-lettering."""
        return replace(self, tries=self.tries + int(counted), uncertain=uncertain)

    def to_payload(self) -> dict[str, str]:
        return {
            "messages": json.dumps([message_to_json(m) for m in self.messages], ensure_ascii=False),
            "papers": "\n".join(self.papers),
            "day": self.day,
            "watch": "\n".join(self.watch),
            "sent": json.dumps(list(self.sent)),
            "tries": str(self.tries),
            "uncertain": "1" if self.uncertain else "",
            "problems": json.dumps(list(self.problems), ensure_ascii=False),
            "look": self.look.to_json() if self.look is not None else "",
        }

    @classmethod
    def from_payload(cls, payload: dict[str, str]) -> Post:
        try:
            return cls(
                messages=tuple(message_from_json(m) for m in json.loads(payload["messages"])),
                papers=tuple(k for k in payload.get("papers", "").split("\n") if k),
                day=payload.get("day", ""),
                watch=tuple(k for k in payload.get("watch", "").split("\n") if k),
                sent=tuple(json.loads(payload.get("sent") or "[]")),
                tries=int(payload.get("tries") or 0),
                uncertain=bool(payload.get("uncertain")),
                problems=tuple(json.loads(payload.get("problems") or "[]")),
                look=Look.from_json(payload["look"]) if payload.get("look") else None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise PayloadError(f"unreadable outbox payload: {type(exc).__name__}: {exc}") from None
