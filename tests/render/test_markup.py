"""Escaping and markup conversion: untrusted text can't format, link or ping."""

from __future__ import annotations

import pytest

from bot.render.markup import (
    SLACK_BACKTICK,
    ZWSP,
    discord_link,
    discord_markdown,
    escape_discord_markdown,
    escape_slack,
    neutralize_discord_mentions,
    slack_link,
    slack_mrkdwn,
    slack_text,
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


def test_discord_escape_keeps_an_address_from_becoming_a_link() -> None:
    assert escape_discord_markdown("see https://evil.example/x") == "see https\\://evil.example/x"


def test_discord_markdown_keeps_emphasis_and_writes_links_out() -> None:
    out = discord_markdown("***What's New***: see [code](https://e.org/a_(b)) [x](javascript:y)")
    assert out == "***What's New***: see code (https://e.org/a_%28b%29) x"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[Official code](https://evil.example/x)", "Official code (https://evil.example/x)"),
        ("![](https://e.org/i.png)", "https://e.org/i.png"),
        ("![chart](https://e.org/i.png)", "chart (https://e.org/i.png)"),
        ("[https://e.org/x](https://e.org/x)", "https://e.org/x"),
        # Not a link to our parser; every bracket stays text.
        ("[[nested]](https://e.org/x)", "\\[\\[nested\\]\\](https://e.org/x)"),
        ("[a](https://e.org/[b]\\c)", "a (https://e.org/%5Bb%5D%5Cc)"),
        ("[@everyone](https://e.org/)", f"@{ZWSP}everyone (https://e.org/)"),
        ("# heading", "\\# heading"),
        ("-# subtext", "\\-# subtext"),
        ("> quote", "\\> quote"),
        ("* item", "\\* item"),
        ("**bold** start", "**bold** start"),
        ("1. item", "1\\. item"),
        ("• ok\n## heading", "• ok\n\\## heading"),
        ("a `b` ```c```", "a \\`b\\` \\`\\`\\`c\\`\\`\\`"),
    ],
)
def test_discord_markdown_leaves_only_emphasis_live(markdown: str, expected: str) -> None:
    assert discord_markdown(markdown) == expected


def test_discord_link_is_ours_with_a_verbatim_label() -> None:
    out = discord_link("https://arxiv.org/abs/1", "[x](https://evil.example) @here")
    assert out == f"[\\[x\\](https\\://evil.example) @{ZWSP}here](https://arxiv.org/abs/1)"


def test_slack_escape_is_exactly_amp_lt_gt() -> None:
    assert escape_slack("a & b <!channel> > *c*") == "a &amp; b &lt;!channel&gt; &gt; *c*"


def test_slack_text_adds_no_code_and_no_quote() -> None:
    assert (
        slack_text("> `x` & <!here>")
        == f"{ZWSP}&gt; {SLACK_BACKTICK}x{SLACK_BACKTICK} &amp; &lt;!here&gt;"
    )
    assert slack_link("https://e.org/?a=1&b=2", "`t` <x|y>") == (
        f"<https://e.org/?a=1&amp;b=2|{SLACK_BACKTICK}t{SLACK_BACKTICK} &lt;x|y&gt;>"
    )


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("***What's New***: 새로움", "*_What's New_*: 새로움"),
        ("**Technical Details**: x", "*Technical Details*: x"),
        ("__bold__", "*bold*"),
        ("an *italic* word", "an _italic_ word"),
        ("~~gone~~", "~gone~"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("[site](https://e.org/?a=1&b=2)", "site (https://e.org/?a=1&amp;b=2)"),
        ("[bad](javascript:alert(1))", "bad"),
        ("[rel](/x)", "rel"),
        ("<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"),
        ("[<!here>](https://e.org)", "&lt;!here&gt; (https://e.org)"),
        ("![](https://e.org/i.png)", "https://e.org/i.png"),
        ("<https://evil.example|arXiv>", "&lt;https://evil.example|arXiv&gt;"),
        (
            "a `b` ```c```",
            f"a {SLACK_BACKTICK}b{SLACK_BACKTICK} {SLACK_BACKTICK * 3}c{SLACK_BACKTICK * 3}",
        ),
        ("> quote", f"{ZWSP}&gt; quote"),
        ("• ok\n  >>> all", f"• ok\n{ZWSP}  &gt;&gt;&gt; all"),
        ("x > y", "x &gt; y"),
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
