"""The previews' readers of our own markup: Slack mrkdwn back into styled spans, Discord
markdown into HTML, each as the client shows it and with nothing live that the renderer
did not make live."""

from __future__ import annotations

import re

import pytest

from bot.render.discord_html import DiscordMarkdown
from bot.render.markup import discord_markdown, escape_discord_markdown, slack_link, slack_text
from bot.render.mrkdwn import Span, Style, read_mrkdwn

BOLD = frozenset({Style.BOLD})


def test_mrkdwn_styles_links_and_entities() -> None:
    source = "*b* _i_ ~s~ `c*d*` " + slack_link("https://x.org/?a=1&b=2", "A & <B>")
    assert read_mrkdwn(source) == [
        Span("b", BOLD),
        Span(" "),
        Span("i", frozenset({Style.ITALIC})),
        Span(" "),
        Span("s", frozenset({Style.STRIKE})),
        Span(" "),
        Span("c*d*", frozenset({Style.CODE})),
        Span(" "),
        Span("A & <B>", url="https://x.org/?a=1&b=2"),
    ]


def test_mrkdwn_emphasis_holds_a_link_whole() -> None:
    """A star in a linked title must not end the bold around it (the index line of a
    thread layout: `*<url|title>*`)."""
    title = "**Bold** claim"
    spans = read_mrkdwn("*" + slack_link("https://h.co/p", title) + "*")
    assert spans == [Span(title, BOLD, "https://h.co/p")]


@pytest.mark.parametrize(
    "source", ["<!channel>", "<@U123>", "<javascript:alert(1)|x>", "<ftp://e.org|f>"]
)
def test_mrkdwn_reads_other_sequences_as_text(source: str) -> None:
    assert read_mrkdwn(source) == [Span(source)]


def test_mrkdwn_of_escaped_untrusted_text_is_that_text() -> None:
    text = "A & B <script> &amp; <!here>"
    assert "".join(span.text for span in read_mrkdwn(slack_text(text))) == text


def test_discord_markdown_as_discord_shows_it() -> None:
    md = DiscordMarkdown()
    html = md.render("***New***: __under__ ~~gone~~ &amp; [HF](https://huggingface.co/x)")
    assert html == (
        "<p><em><strong>New</strong></em>: <u>under</u> <s>gone</s> &amp;amp; "
        '<a href="https://huggingface.co/x">HF</a></p>\n'
    )
    assert md.render("a\nb") == "<p>a<br />\nb</p>\n"


def test_discord_written_out_address_is_a_link_and_an_escaped_one_is_not() -> None:
    md = DiscordMarkdown()
    summary = discord_markdown("see [code](https://github.com/x/y).")
    assert md.links(summary) == ["https://github.com/x/y"]
    title = escape_discord_markdown("see https://evil.example/t and [x](https://evil.example)")
    assert md.links(title) == []
    assert md.inline_html(title) == "see https://evil.example/t and [x](https://evil.example)"


@pytest.mark.parametrize(
    "source",
    ["[x](javascript:alert(1))", "<b onclick=x>hi</b>", "[r][1]", "<javascript:alert(1)>"],
)
def test_discord_markdown_makes_nothing_else_live(source: str) -> None:
    """No masked link but to http(s), no image, no HTML, no reference link: only the
    written-out address of the reference's definition is a link, showing itself."""
    html = DiscordMarkdown().render(source + "\n\n[1]: https://e.org")
    assert re.findall(r"<a [^>]*>", html) == ['<a href="https://e.org">']
    assert '<a href="https://e.org">https://e.org</a>' in html
    assert "<b " not in html


def test_discord_markdown_draws_no_image() -> None:
    """Discord shows no inline images: `![i](url)` reads as `!` and a link."""
    html = DiscordMarkdown().render("![i](https://e.org/i.png)")
    assert html == '<p>!<a href="https://e.org/i.png">i</a></p>\n'
