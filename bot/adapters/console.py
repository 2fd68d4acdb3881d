"""The console "platform": a dry run prints what it would post instead of sending it.

It is the default when no platform is configured, so a fresh checkout can run the whole
pipeline and show its output without any account. Each message is either drawn as
`papers-bot preview` draws it (rich panels, for a person at a terminal) or written as one
JSON line holding the exact request body (for a program reading stdout).
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import TextIO

from rich.console import Console
from rich.panel import Panel

from bot.adapters.base import Adapter, Receipt
from bot.render.message import RenderedMessage
from bot.render.terminal import preview_renderables


class ConsoleAdapter(Adapter):
    """Prints each message to `stream` (stdout when None): drawn when `drawn`, otherwise
    one JSON line per message with its target, platform, role and exact body."""

    def __init__(self, stream: TextIO | None = None, *, drawn: bool = False) -> None:
        self._stream = stream
        self._drawn = drawn
        self._ids = itertools.count(1)

    @property
    def name(self) -> str:
        return "console"

    async def send(
        self,
        target: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        message_id = f"console-{next(self._ids)}"
        reply = reply_to.message_id if reply_to else None
        self._print(target, message, {"id": message_id, "reply_to": reply}, edited=None)
        return Receipt(platform=message.platform, target=target, message_id=message_id)

    async def edit(
        self,
        target: str,
        message_id: str,
        message: RenderedMessage,
        *,
        reply_to: Receipt | None = None,
    ) -> None:
        """Prints the message's new content, as `send` prints a message, marked as an edit
        of `message_id`."""
        self._print(target, message, {"edit": message_id}, edited=message_id)

    def _print(
        self,
        target: str,
        message: RenderedMessage,
        ids: dict[str, str | None],
        *,
        edited: str | None,
    ) -> None:
        stream = self._stream or sys.stdout
        if self._drawn:
            self._draw(stream, target, message, edited=edited)
        else:
            line = {
                "target": target,
                "platform": message.platform.value,
                "role": message.role.value,
                **ids,
                "body": message.body,
            }
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        stream.flush()

    @staticmethod
    def _draw(
        stream: TextIO, target: str, message: RenderedMessage, *, edited: str | None = None
    ) -> None:
        """The preview's panel, titled with where and what it is: one message arrives at a
        time, so the preview's "n of m" numbering would always read 1/1."""
        console = Console(file=stream)
        for renderable in preview_renderables([message]):
            if isinstance(renderable, Panel):
                where = "thread reply" if message.in_thread else "channel"
                title = f"{target} · {message.role.value} · {where}"
                renderable.title = title if edited is None else f"{title} · edited {edited}"
            console.print(renderable)
