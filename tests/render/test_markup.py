"""Escaping and markup conversion: untrusted text can't format, link or ping."""

from __future__ import annotations

import pytest

from bot.render.markup import (
    ZWSP,
    discord_markdown,
    escape_discord_markdown,
    escape_slack,
    neutralize_discord_mentions,
    slack_mrkdwn,
)
from bot.render.urls import host_matches, https_url, is_displayable_image, safe_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@everyone hi", f"@{ZWSP}everyone hi"),
        ("@here", f"@{ZWSP}here"),
        ("@Everyone", f"@{ZWSP}Everyone"),
        ("<@123>", f"<{ZWSP}@123>"),
        ("<@!123>", f"<{ZWSP}@!123>"),
        ("<@&9>", f"<{ZWSP}@&9>"),
        ("<#42>", f"<{ZWSP}#42>"),
        ("</cmd:1>", f"<{ZWSP}/cmd:1>"),
        ("<t:1700000000:R>", f"<{ZWSP}t:1700000000:R>"),
        # Discord may ping on "@here" anywhere in a word; defusing costs an invisible char.
        ("mail me@here.org", f"mail me@{ZWSP}here.org"),
        ("@heresy", f"@{ZWSP}heresy"),
        ("<think> tag", "<think> tag"),
    ],
)
def test_discord_mentions_are_defused(raw: str, expected: str) -> None:
    assert neutralize_discord_mentions(raw) == expected


def test_discord_escape_makes_markup_literal() -> None:
    out = escape_discord_markdown("**bold** _it_ ~~s~~ `c` |sp| [l](u) <x>")
    assert out == r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`c\` \|sp\| \[l\](u) \<x\>"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("# Title", "\\# Title"),
        ("> quote", "\\> quote"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        # Discord shows a backslash before a digit literally: escape the dot instead.
        ("1. item", "1\\. item"),
        ("  12. item", "  12\\. item"),
        ("2024 results", "2024 results"),
    ],
)
def test_discord_escape_defuses_line_start_syntax(start: str, expected: str) -> None:
    assert escape_discord_markdown(start) == expected


def test_discord_markdown_keeps_emphasis_and_http_links_only() -> None:
    out = discord_markdown("***What's New***: see [code](https://e.org/a_(b)) [x](javascript:y)")
    assert out.startswith("***What's New***: ")
    assert "[code](https://e.org/a_%28b%29)" in out
    assert "javascript" not in out
    assert out.endswith(" x")


def test_slack_escape_is_exactly_amp_lt_gt() -> None:
    assert escape_slack("a & b <!channel> > *c*") == "a &amp; b &lt;!channel&gt; &gt; *c*"


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("***What's New***: 새로움", "*_What's New_*: 새로움"),
        ("**Technical Details**: x", "*Technical Details*: x"),
        ("__bold__", "*bold*"),
        ("an *italic* word", "an _italic_ word"),
        ("~~gone~~", "~gone~"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("[site](https://e.org/?a=1&b=2)", "<https://e.org/?a=1&amp;b=2|site>"),
        ("[bad](javascript:alert(1))", "bad"),
        ("[rel](/x)", "rel"),
        ("<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"),
        ("[<!here>](https://e.org)", "<https://e.org|&lt;!here&gt;>"),
    ],
)
def test_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert slack_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/1", "https://arxiv.org/abs/1"),
        ("  http://e.org/x  ", "http://e.org/x"),
        ("HTTPS://E.ORG/a", "HTTPS://E.ORG/a"),
        ("https://e.org/a|b>c", "https://e.org/a%7Cb%3Ec"),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
        ("ftp://e.org/f", None),
        ("https://", None),
        ("https://e.org/a b", None),
        ("https://e.org/\x00", None),
        ("https://[::1", None),
        ("", None),
        (None, None),
        ("https://e.org/" + "a" * 3000, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_https_url_and_hosts() -> None:
    assert https_url("http://e.org/v.mp4") is None
    assert https_url("https://e.org/v.mp4") == "https://e.org/v.mp4"
    domains = frozenset({"example.org"})
    assert host_matches("https://cdn.example.org/v.mp4", domains)
    assert host_matches("https://example.org/v.mp4", domains)
    assert not host_matches("https://badexample.org/v.mp4", domains)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://e.org/a.png", True),
        ("https://e.org/a.JPEG?x=1", True),
        ("https://e.org/thumbnail", True),
        ("https://e.org/a.svg", False),
        ("https://e.org/a.webm", False),
    ],
)
def test_displayable_images(url: str, ok: bool) -> None:
    assert is_displayable_image(url) is ok


def test_discord_half_link_left_by_truncation_is_inert() -> None:
    out = discord_markdown("see [x](javascript:alert… and \\[y](javascript:z)")
    assert "](" not in out.replace("\\](", "")
    assert out == "see \\[x\\](javascript:alert… and \\\\y"
