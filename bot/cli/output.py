"""Terminal output shared by the commands that print JSON Lines or tables."""

from __future__ import annotations

import io
from typing import TextIO


def utf8(stream: TextIO) -> TextIO:
    """JSON Lines are UTF-8 whatever the locale says (a C locale would choke on Hangul)."""
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
        stream.reconfigure(encoding="utf-8")
    return stream
