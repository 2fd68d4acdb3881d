"""Rendered messages as one self-contained HTML page that looks like the chat clients.

`papers-bot preview --html` writes it so a person can see a post in a browser before any
channel does: a dark Discord-like pane (messages, embeds with their colour bar, title link,
description, fields, image and footer, a player under a message that links a video) and a
light Slack-like one (header, section, context, image, video and divider blocks, mrkdwn
drawn, and in the thread layout the header message followed by its thread of replies).

The page is drawn from the exact request bodies the renderers produced, never from the
papers, so it shows what `post` sends. Every piece of text is HTML-escaped (digest text
is untrusted); links and images are only absolute http(s) addresses; the page carries a
Content-Security-Policy that allows no script and fetches nothing but images (the
papers' own thumbnails), so even a slip in escaping could not run anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit

from bot.models import MediaKind, Platform, media_kind_for_url
from bot.render.discord_html import DiscordMarkdown
from bot.render.html_style import PAGE_CSS
from bot.render.message import RenderedMessage
from bot.render.mrkdwn import Span, Style, read_mrkdwn
from bot.render.urls import safe_url

BOT_NAME = "papers-bot"
CHANNEL_NAME = "daily-papers"
AVATAR = "📚"
CSP = (
    "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
_SPAN_TAGS = ((Style.CODE, "code"), (Style.STRIKE, "s"), (Style.ITALIC, "em"), (Style.BOLD, "b"))

Pane = tuple[Platform, Sequence[RenderedMessage]]


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _link(url: str | None, inner: str, css: str = "") -> str:
    """`inner` (HTML) linked to `url` when it is an http(s) address, else as it is."""
    href = safe_url(url)
    if href is None:
        return inner
    cls = f' class="{css}"' if css else ""
    return f'<a{cls} href="{_text(href)}" rel="noopener noreferrer" target="_blank">{inner}</a>'


def _file_name(url: str) -> str:
    """The last part of an address's path (what a placeholder names), or the address."""
    return urlsplit(url).path.rsplit("/", 1)[-1] or url


def _image(url: object, alt: str, css: str) -> str:
    """An image of the post; its alt text shows in a placeholder of the same size when
    the image cannot load (offline, or the address is gone)."""
    src = safe_url(url if isinstance(url, str) else None)
    if src is None:
        return ""
    return (
        f'<img class="{css}" src="{_text(src)}" alt="{_text(alt)}" '
        'loading="lazy" referrerpolicy="no-referrer">'
    )


def _player(video_url: str, thumbnail: str, alt: str) -> str:
    """A video as the clients show it: a still (or a dark frame) with a play button,
    linked to the video itself."""
    still = _image(thumbnail, alt, "still") if thumbnail else ""
    name = _file_name(video_url)
    play = '<span class="play" aria-hidden="true"></span>'
    inner = f'{still}{play}<span class="file">{_text(name)}</span>'
    return _link(video_url, inner, "player")


def _author(date: str) -> str:
    return (
        f'<div class="who"><span class="name">{BOT_NAME}</span><span class="badge">APP</span>'
        f'<span class="time">{_text(date)}</span></div>'
    )


# ---------------------------------------------------------------------------------- Discord


def _discord_fields(md: DiscordMarkdown, fields: Iterable[dict[str, Any]]) -> str:
    cells = [
        f'<div class="field{" inline" if item.get("inline") else ""}">'
        f'<div class="fname">{md.inline_html(str(item.get("name", "")))}</div>'
        f'<div class="fvalue">{md.render(str(item.get("value", "")))}</div></div>'
        for item in fields
    ]
    return f'<div class="fields">{"".join(cells)}</div>' if cells else ""


def _discord_embed(md: DiscordMarkdown, embed: dict[str, Any]) -> str:
    color = embed.get("color")
    bar = f' style="border-left-color:#{color:06x}"' if isinstance(color, int) else ""
    parts: list[str] = []
    if embed.get("title"):
        title = md.inline_html(str(embed["title"]))
        parts.append(f'<div class="etitle">{_link(embed.get("url"), title)}</div>')
    if embed.get("description"):
        parts.append(f'<div class="edesc">{md.render(str(embed["description"]))}</div>')
    parts.append(_discord_fields(md, embed.get("fields") or []))
    image = (embed.get("image") or {}).get("url")
    if image:
        parts.append(_image(image, _file_name(str(image)), "eimage"))
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(f'<div class="efooter">{_text(footer)}</div>')
    return f'<div class="embed"{bar}>{"".join(parts)}</div>'


def _discord_message(md: DiscordMarkdown, message: RenderedMessage, first: bool) -> str:
    body = message.body
    parts: list[str] = []
    content = str(body.get("content") or "")
    if content:
        parts.append(f'<div class="content">{md.render(content)}</div>')
    parts.extend(_discord_embed(md, embed) for embed in body.get("embeds") or [])
    # Discord adds the player of a video linked in the content after the bot's embeds.
    videos = [url for url in md.links(content) if media_kind_for_url(url) is MediaKind.VIDEO]
    parts.extend(_player(url, "", _file_name(url)) for url in videos)
    return _message(message, Platform.DISCORD, "".join(parts), first)


# ------------------------------------------------------------------------------------ Slack


def _span_html(span: Span) -> str:
    html = _text(span.text)
    for style, tag in _SPAN_TAGS:
        if style in span.styles:
            html = f"<{tag}>{html}</{tag}>"
    return _link(span.url, html) if span.url is not None else html


def _slack_text(obj: object) -> str:
    """A text object: mrkdwn drawn, plain_text as written."""
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return "".join(_span_html(span) for span in read_mrkdwn(text))
    return _text(text)


def _slack_block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="header">{_slack_text(block.get("text"))}</div>'
    if kind == "section":
        return f'<div class="section">{_slack_text(block.get("text"))}</div>'
    if kind == "context":
        items = "".join(
            f"<span>{_slack_text(element)}</span>" for element in block.get("elements") or []
        )
        return f'<div class="context">{items}</div>'
    if kind == "image":
        return _image(block.get("image_url"), str(block.get("alt_text", "")), "simage")
    if kind == "video":
        title = _slack_text(block.get("title"))
        video = _player(
            str(block.get("video_url", "")),
            str(block.get("thumbnail_url", "")),
            str(block.get("alt_text", "")),
        )
        return f'<div class="video"><div class="vtitle">{title}</div>{video}</div>'
    if kind == "divider":
        return '<hr class="divider">'
    return f'<div class="unknown">[{_text(kind)} block]</div>'


def _notification(message: RenderedMessage) -> str:
    """The `text` a Slack notification shows, as plain words (for a tooltip)."""
    return "".join(span.text for span in read_mrkdwn(str(message.body.get("text", ""))))


def _slack_message(message: RenderedMessage, first: bool) -> str:
    blocks = "".join(_slack_block(block) for block in message.body.get("blocks") or [])
    return _message(message, Platform.SLACK, blocks, first)


def _slack_log(messages: Sequence[RenderedMessage]) -> str:
    """Channel messages in order; replies (`in_thread`) gathered under the message they
    answer, as the thread a reader opens from it."""
    threads: list[tuple[RenderedMessage, list[RenderedMessage]]] = []
    for message in messages:
        if message.in_thread and threads:
            threads[-1][1].append(message)
        else:
            threads.append((message, []))
    out: list[str] = []
    for parent, replies in threads:
        out.append(_slack_message(parent, first=True))
        if not replies:
            continue
        count = f"{len(replies)} {'reply' if len(replies) == 1 else 'replies'}"
        out.append(f'<div class="replies">{count}</div>')
        thread = "".join(
            _slack_message(reply, first=index == 0) for index, reply in enumerate(replies)
        )
        out.append(
            f'<div class="thread"><div class="thread-head">Thread <span># {CHANNEL_NAME}</span>'
            f"</div>{thread}</div>"
        )
    return "".join(out)


# ------------------------------------------------------------------------------------- page


def _message(message: RenderedMessage, platform: Platform, inner: str, first: bool) -> str:
    """One message; the first of a run from the bot shows its avatar and name, as both
    clients group a sender's messages."""
    date = message.meta.get("date", "")
    head = _author(date) if first else ""
    avatar = f'<div class="avatar" aria-hidden="true">{AVATAR}</div>' if first else ""
    cls = "msg" if first else "msg more"
    tip = ""
    if platform is Platform.SLACK:
        tip = f' title="Notification: {_text(_notification(message))}"'
    return (
        f'<article class="{cls}" data-role="{_text(message.role.value)}"{tip}>'
        f'{avatar}<div class="body">{head}{inner}</div></article>'
    )


def _pane(md: DiscordMarkdown, platform: Platform, messages: Sequence[RenderedMessage]) -> str:
    if platform is Platform.DISCORD:
        log = "".join(
            _discord_message(md, message, first=index == 0)
            for index, message in enumerate(messages)
        )
        name = "Discord"
    else:
        log = _slack_log(messages)
        name = "Slack"
    count = f"{len(messages)} {'message' if len(messages) == 1 else 'messages'}"
    return (
        f'<section class="pane {platform.value}" aria-label="{name}">'
        f'<div class="channel"><span class="hash">#</span> {CHANNEL_NAME}'
        f'<span class="where">{name} · {count}</span></div>'
        f'<div class="log">{log}</div></section>'
    )


def preview_page(panes: Sequence[Pane], *, title: str, language: str) -> str:
    """The whole page: one pane per (platform, messages), side by side on a wide window
    and stacked on a narrow one. `title` and `language` (the digest's, for the fonts
    a browser picks) are ours."""
    md = DiscordMarkdown()
    body = "".join(_pane(md, platform, messages) for platform, messages in panes)
    return (
        f'<!doctype html>\n<html lang="{_text(language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
        f'<h1 class="page-title">{_text(title)}</h1>\n<main class="panes">{body}</main>\n'
        "</body>\n</html>\n"
    )
