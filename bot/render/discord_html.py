"""Discord's markdown dialect as HTML, for the HTML preview of our own bodies.

Discord reads CommonMark, less some of it and plus a little: no setext headings, rules,
indented code, reference links, images or HTML; entities stay text (`&amp;` shows as
written); `__x__` underlines; `~~x~~` strikes; a single newline breaks the line; and a
bare http(s) address, as `<address>` or written out, is a link. markdown-it-py, set up
that way, does the reading, so every piece of text it writes is HTML-escaped. Links are
only ever to absolute http(s) addresses; anything else stays text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import regex
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from bot.render.urls import safe_url

# Discord's own reading of a written-out address: up to a space or `<`, not ending in
# punctuation that usually closes the sentence around it.
_BARE_URL = regex.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]", regex.IGNORECASE)
_NOT_DISCORD = ["code", "hr", "reference", "html_block", "lheading", "image", "entity"]


class DiscordMarkdown(MarkdownIt):
    """A markdown-it parser and HTML renderer for what Discord shows of a message's
    content, an embed's title, description, field names and values."""

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": False, "breaks": True, "linkify": False})
        self.disable(_NOT_DISCORD)
        self.enable("strikethrough")
        self.core.ruler.before("text_join", "bare_urls", _link_bare_urls)
        self.add_render_rule("strong_open", _strong_or_underline)
        self.add_render_rule("strong_close", _strong_or_underline)

    def validateLink(self, url: str) -> bool:
        """markdown-it's check of every link target: http(s) addresses only."""
        return safe_url(url) is not None

    def inline_html(self, text: str) -> str:
        """One line of markdown (a title, a field name) as HTML without a paragraph."""
        html: str = self.renderInline(text)
        return html

    def links(self, text: str) -> list[str]:
        """The addresses `text` links to, in order (for the players Discord draws under a
        message whose content links a video)."""
        return [
            str(token.attrs["href"])
            for token in _inline_tokens(self.parse(text))
            if token.type == "link_open"
        ]


def _inline_tokens(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield from token.children or ()


def _strong_or_underline(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: Any, env: Any
) -> str:
    token = tokens[index]
    tag = "u" if token.markup == "__" else "strong"
    return f"<{tag}>" if token.nesting == 1 else f"</{tag}>"


def _link_tokens(text: str, level: int) -> list[Token]:
    """`text` as text tokens, with every bare address in it made a link."""
    out: list[Token] = []
    last = 0
    for match in _BARE_URL.finditer(text):
        url = safe_url(match.group())
        if url is None:
            continue
        if match.start() > last:
            out.append(Token("text", "", 0, content=text[last : match.start()], level=level))
        out.append(Token("link_open", "a", 1, attrs={"href": url}, level=level))
        out.append(Token("text", "", 0, content=match.group(), level=level + 1))
        out.append(Token("link_close", "a", -1, level=level))
        last = match.end()
    if last < len(text):
        out.append(Token("text", "", 0, content=text[last:], level=level))
    return out


def _link_bare_urls(state: StateCore) -> None:
    """Runs before adjacent text is joined, so an escaped `\\:` (its own token) keeps an
    address we escaped from becoming a link; text already inside a link is left alone."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type == "text" and depth == 0:
                children.extend(_link_tokens(token.content, token.level))
            else:
                children.append(token)
        block.children = children
