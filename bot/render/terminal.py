"""Rendered messages drawn in a terminal, close to how the chat client shows them.

`papers-bot preview` uses this so anyone can see a post before it is sent: Discord
markdown goes through rich's markdown renderer (Discord's dialect is a CommonMark subset),
Slack mrkdwn through `bot.render.mrkdwn` (the reader the HTML preview uses too). Shows the
exact bodies, never re-renders papers, so what you see is what the renderer produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.models import Platform
from bot.render.message import RenderedMessage
from bot.render.mrkdwn import Style, read_mrkdwn

_STYLES = {
    Style.BOLD: "bold",
    Style.ITALIC: "italic",
    Style.STRIKE: "strike",
    Style.CODE: "bold cyan",
}


def mrkdwn_text(source: str, style: str = "") -> Text:
    """Slack mrkdwn as styled text: links, *bold*, _italic_, ~strike~, `code`."""
    out = Text(style=style)
    for span in read_mrkdwn(source):
        styles = [_STYLES[s] for s in sorted(span.styles)]
        if span.url is not None:
            styles.append(f"underline blue link {span.url}")
        out.append(span.text, style=" ".join(styles))
    return out


def _slack_block(block: dict[str, Any]) -> RenderableType | None:
    kind = block.get("type")
    if kind == "header":
        return Text(block["text"]["text"], style="bold reverse")
    if kind == "section":
        return mrkdwn_text(block["text"]["text"])
    if kind == "context":
        parts = [mrkdwn_text(e.get("text", ""), style="dim") for e in block["elements"]]
        return Text("  ").join(parts)
    if kind == "image":
        return Text(f"[image] {block['image_url']}", style="magenta")
    if kind == "video":
        return Text(f"[video] {block['video_url']}", style="magenta")
    return None


def _slack(message: RenderedMessage) -> RenderableType:
    blocks = message.body.get("blocks") or []
    parts = [r for r in (_slack_block(b) for b in blocks) if r is not None]
    parts.append(Text(f"notification: {message.body['text']}", style="dim italic"))
    return Group(*parts)


def _discord_markdown(text: str, style: str = "") -> RenderableType:
    """Discord keeps single newlines as line breaks, CommonMark would join the lines."""
    return Group(*(Markdown(line, style=style) for line in text.split("\n")))


def _discord_embed(embed: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    if embed.get("description"):
        parts.append(_discord_markdown(embed["description"]))
    for item in embed.get("fields", []):
        parts.append(Markdown(f"**{item['name']}**: {item['value']}"))
    if "image" in embed:
        parts.append(Text(f"[image] {embed['image']['url']}", style="magenta"))
    if "footer" in embed:
        parts.append(Text(embed["footer"]["text"], style="dim"))
    title = _discord_markdown(embed.get("title", ""), style="bold")
    link = Text(embed.get("url", ""), style="dim underline")
    color = f"#{embed.get('color', 0):06x}"
    return Panel(Group(title, link, *parts), border_style=color)


def _discord(message: RenderedMessage) -> RenderableType:
    parts: list[RenderableType] = []
    if message.body.get("content"):
        parts.append(Text(message.body["content"]))
    parts.extend(_discord_embed(embed) for embed in message.body.get("embeds", []))
    return Group(*parts)


def preview_renderables(messages: Sequence[RenderedMessage]) -> Iterable[RenderableType]:
    """One panel per message, titled with its number, role and thread placement."""
    for number, message in enumerate(messages, start=1):
        where = "thread reply" if message.in_thread else "channel"
        title = (
            f"{message.platform.value} {number}/{len(messages)} · {message.role.value} · {where}"
        )
        inner = _discord(message) if message.platform is Platform.DISCORD else _slack(message)
        yield Panel(inner, title=title, title_align="left")
