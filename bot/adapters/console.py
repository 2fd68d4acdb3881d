"""The console "platform": dry runs print exactly the request bodies that would be sent.

It is the default when no platform is configured, so a fresh checkout can run the whole
pipeline and show its output without any account.
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import TextIO

from bot.adapters.base import Adapter, Receipt
from bot.render.message import RenderedMessage


class ConsoleAdapter(Adapter):
    """Writes one JSON line per message: target, platform, role and the exact body."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
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
        line = {
            "target": target,
            "platform": message.platform.value,
            "role": message.role.value,
            "id": message_id,
            "reply_to": reply_to.message_id if reply_to else None,
            "body": message.body,
        }
        stream = self._stream or sys.stdout
        stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        stream.flush()
        return Receipt(platform=message.platform, target=target, message_id=message_id)
