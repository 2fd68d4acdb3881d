"""Terminal output shared by the commands that print JSON Lines or tables."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TextIO


def utf8(stream: TextIO) -> TextIO:
    """JSON Lines are UTF-8 whatever the locale says (a C locale would choke on Hangul)."""
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
        stream.reconfigure(encoding="utf-8")
    return stream


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns aligned by their width on a terminal (a Hangul keyword takes two cells), two
    spaces apart; each cell on one line with no control characters (a pause reason may
    carry an error's text). Ends with a newline."""
    from rich.cells import cell_len  # noqa: PLC0415

    from bot.render.text import one_line  # noqa: PLC0415

    lines = [list(headers), *([one_line(cell) for cell in row] for row in rows)]
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(headers))]
    out = []
    for line in lines:
        padded = [
            cell + " " * (width - cell_len(cell)) for cell, width in zip(line, widths, strict=True)
        ]
        out.append("  ".join(padded).rstrip())
    return "\n".join(out) + "\n"
