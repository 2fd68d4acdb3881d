"""Digests read from disk: `papers-bot parse`, imports and backfills take files of either
format, so the format is told by the content, not by a file name someone may have chosen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.models import Digest
from bot.sources.errors import ParseError, SourceError
from bot.sources.markdown import date_from_origin, parse_markdown_digest
from bot.sources.numbers import int_literal


class UnreadableFileError(SourceError):
    """The file could not be read at all (missing, a directory, no permission)."""


def decode_body(data: bytes, *, origin: str) -> str:
    """UTF-8 text of a digest body, BOM removed.

    Refusing other encodings loudly beats guessing: a mis-decoded digest would publish
    mojibake titles to every channel.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{origin}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def load_digest_file(path: Path) -> Digest:
    """A markdown digest or an HF daily-papers JSON answer (list or object) from `path`."""
    origin = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreadableFileError(f"{origin}: cannot read: {reason}") from None
    text = decode_body(data, origin=origin)
    document = _json_document(text)
    if document is None:
        return parse_markdown_digest(text, origin=origin)
    # Lazy: hf_api pulls in the HTTP stack, which markdown-only callers never need.
    from bot.sources.hf_api import parse_hf_daily  # noqa: PLC0415

    items = _papers_list(document)
    # The answer's own dates win (a weekend file holds Friday's papers); the name only
    # dates an empty answer.
    day = date_from_origin(path.as_posix()) if items == [] else None
    return parse_hf_daily(items, day=day, origin=origin)


def _json_document(text: str) -> Any | None:
    """The parsed JSON when the text is a JSON list or object, else None (markdown)."""
    start = text.lstrip()[:1]
    if start not in ("[", "{"):
        return None
    try:
        return json.loads(text, parse_int=int_literal)
    except (ValueError, RecursionError):
        return None  # e.g. a markdown file that happens to open with a link


def _papers_list(document: Any) -> Any:
    """The list of paper items; saved answers are sometimes wrapped in an object."""
    if isinstance(document, dict):
        for key in ("papers", "items", "data", "results"):
            if isinstance(document.get(key), list):
                return document[key]
        if "paper" in document:
            return [document]
    return document
