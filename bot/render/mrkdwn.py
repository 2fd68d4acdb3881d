"""Slack mrkdwn read back into styled text, for the previews that draw our own bodies
(`bot.render.terminal`, `bot.render.html_preview`).

The renderers write mrkdwn; the previews need to show it as Slack would: `<url|label>`
links, `*bold*`, `_italic_`, `~strike~`, `` `code` `` and the three entities Slack
escapes (`&amp;`, `&lt;`, `&gt;`). A link is only a link when its target is an absolute
http(s) URL; any other `<...>` (which our renderers never write) reads as its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import regex

from bot.render.urls import safe_url


class Style(StrEnum):
    BOLD = "bold"
    ITALIC = "italic"
    STRIKE = "strike"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text as shown (entities decoded), its styles, and its link if it is one."""

    text: str
    styles: frozenset[Style] = frozenset()
    url: str | None = None


# A `<...>` sequence is one piece: emphasis around a link contains it whole, and a star
# inside a link's label never closes emphasis that began outside it.
_PIECE = r"(?:<[^<>\n]*>|[^{mark}\n<>])+"
_MRKDWN = regex.compile(
    r"<(?P<url>[^|<>]+)\|(?P<label>[^<>]*)>|<(?P<bare>[^<>]+)>"
    rf"|\*(?P<bold>{_PIECE.format(mark='*')})\*|_(?P<italic>{_PIECE.format(mark='_')})_"
    rf"|~(?P<strike>{_PIECE.format(mark='~')})~|`(?P<code>[^`\n]+)`"
)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _link(target: str, label: str, styles: frozenset[Style]) -> Span:
    url = _unescape(target)
    if safe_url(url) is None:
        return Span(_unescape(f"<{target}|{label}>" if label else f"<{target}>"), styles)
    return Span(_unescape(label) or url, styles, url)


def read_mrkdwn(source: str, styles: frozenset[Style] = frozenset()) -> list[Span]:
    """The spans of `source`, in order; `styles` apply to all of them (for nesting)."""
    spans: list[Span] = []
    last = 0
    for match in _MRKDWN.finditer(source):
        if match.start() > last:
            spans.append(Span(_unescape(source[last : match.start()]), styles))
        kind = next(name for name, value in match.groupdict().items() if value is not None)
        if kind == "url":
            spans.append(_link(match.group("url"), match.group("label"), styles))
        elif kind == "bare":
            spans.append(_link(match.group("bare"), "", styles))
        elif kind == "code":
            spans.append(Span(_unescape(match.group(kind)), styles | {Style.CODE}))
        else:
            spans.extend(read_mrkdwn(match.group(kind), styles | {Style(kind)}))
        last = match.end()
    if last < len(source):
        spans.append(Span(_unescape(source[last:]), styles))
    return spans
