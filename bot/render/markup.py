"""Turning untrusted digest text into each platform's markup, inert and still readable.

Everything a digest says is untrusted: titles, author names, summary bullets, abstracts.
Titles and author names are shown verbatim (every markup character escaped). Summaries are
markdown whose emphasis we keep ("***What's New***:") and nothing else: a link written in a
summary becomes its label and its address as plain text ("code (https://github.com/x)"),
because a masked link's label can claim any destination and a written-out address can't.
A heading, subtext, quote or list marker at a line start, and code (which reflows the text
and would show our escapes literally), stay text as well. Nothing here may ping:
`@everyone`, `<@id>`, `<!channel>` arrive as plain text. Live links are only ever ours,
built from a paper's URL fields (`discord_link`, `slack_link`).
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from bot.render.urls import markdown_link_target, safe_url

ZWSP = "\u200b"
SLACK_BACKTICK = "\u02cb"
"""What a backtick in untrusted text becomes on Slack, whose mrkdwn has no escape for it:
the modifier letter grave accent looks the same and never opens code."""

# Markdown links and images: [text](url) / ![alt](url), with an optional "title".
_MD_LINK = regex.compile(
    r"(!?)\[([^\[\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s<>]*\))*)>?(?:\s+\"[^\"\n]*\")?\s*\)"
)

# No word boundary required: whether Discord pings "@everyone" followed by a combining
# mark or a letter is not documented, and a zero-width space is invisible anyway.
_DISCORD_MENTION_AT = regex.compile(r"@(?=everyone|here)", regex.IGNORECASE)
_DISCORD_TAG_OPEN = regex.compile(r"<(?=[@#/]|a?:\w*:|t:)")
_DISCORD_ESCAPE = regex.compile(r"([\\*_~`|\[\]<>])")
_DISCORD_SUMMARY_ESCAPE = regex.compile(r"([\\`\[\]])")
# A heading ("#", "-#"), quote (">"), list item ("-", "+", "* ", "1.") at a line start.
_DISCORD_LINE_START = regex.compile(r"(?m)^(\s*)([#>+\-]|\*(?=\s)|\d+(?=\.))")
_SLACK_QUOTE_START = regex.compile(r"(?m)^(?=[ \t]*&gt;)")

# Private-use sentinels stand for Slack emphasis markers while markdown ones are rewritten;
# `clean_text` strips private-use code points from input, so they can't collide.
_BOLD = "\ue000"
_ITALIC = "\ue001"
_MD_BOLD_ITALIC = regex.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*")
_MD_BOLD = regex.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# CommonMark-like: Korean particles follow emphasis directly ("*수작업*으로"), so word
# characters around the stars don't prevent it; spaces inside the stars do ("2 * 3 * 4").
_MD_ITALIC_STAR = regex.compile(r"(?<!\*)\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?!\*)")
_MD_STRIKE = regex.compile(r"~~(?=\S)(.+?)(?<=\S)~~")


def neutralize_discord_mentions(text: str) -> str:
    """Defuse @everyone/@here and <@id>, <@&id>, <#id>, </cmd:id>, <t:..>, <:emoji:id>."""
    text = _DISCORD_MENTION_AT.sub("@" + ZWSP, text)
    defused: str = _DISCORD_TAG_OPEN.sub("<" + ZWSP, text)
    return defused


def _escape_line_start(match: regex.Match[str]) -> str:
    """Discord shows a backslash before a digit literally, so an ordered-list marker is
    defused after its number (`1\\.`), a heading/quote/bullet marker before itself."""
    indent, marker = match.group(1), match.group(2)
    if marker.isdigit():
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def _discord_line_starts(text: str) -> str:
    escaped: str = _DISCORD_LINE_START.sub(_escape_line_start, text)
    return escaped


def escape_discord_markdown(text: str) -> str:
    """Verbatim text for Discord: every markdown character backslash-escaped, and `://`
    too, so an address in a title is not turned into a link (or, in message content, a
    preview of someone else's page)."""
    text = _DISCORD_ESCAPE.sub(r"\\\1", text).replace("://", "\\://")
    return neutralize_discord_mentions(_discord_line_starts(text))


def escape_slack(text: str) -> str:
    """Slack's own rule: escape exactly &, < and > so no `<...>` control sequence is live.
    Enough for our own words; untrusted text goes through `slack_text`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_inline(text: str) -> str:
    return escape_slack(text).replace("`", SLACK_BACKTICK)


def _slack_line_starts(text: str) -> str:
    """A zero-width space before a line's `&gt;`: Slack quotes a line that starts with an
    escaped `>` just as with a raw one."""
    defused: str = _SLACK_QUOTE_START.sub(ZWSP, text)
    return defused


def slack_text(text: str) -> str:
    """Verbatim untrusted text for Slack mrkdwn: `escape_slack`, backticks that can't open
    code, and no line that starts a block quote."""
    return _slack_line_starts(_slack_inline(text))


def _replace_links(
    text: str,
    on_text: Callable[[str], str],
    on_link: Callable[[str, str], str],
) -> str:
    """Apply `on_link(label, safe_url)` to markdown links and images with an http(s) target
    (the label is "" for an image without alt text) and `on_text` to everything else (an
    unsafe link keeps only its label)."""
    out: list[str] = []
    last = 0
    for match in _MD_LINK.finditer(text):
        out.append(on_text(text[last : match.start()]))
        label, target = match.group(2), match.group(3)
        url = safe_url(target)
        out.append(on_text(label) if url is None else on_link(label, url))
        last = match.end()
    out.append(on_text(text[last:]))
    return "".join(out)


def _written_out(
    label: str, url: str, on_text: Callable[[str], str], on_url: Callable[[str], str]
) -> str:
    """A link from untrusted text as plain text: "label (address)", or the address alone
    when the label is empty or the address itself."""
    if not label.strip() or label.strip() == url:
        return on_url(url)
    return f"{on_text(label)} ({on_url(url)})"


def _discord_summary_text(text: str) -> str:
    """Outside emphasis, brackets, backslashes and backticks are text: a half link left by
    truncation (`[x](javascript:...`) must not become one, an escape in the source can't
    un-escape ours, and no code span starts."""
    escaped: str = _DISCORD_SUMMARY_ESCAPE.sub(r"\\\1", text)
    return escaped


def discord_markdown(text: str) -> str:
    """Summary markdown for Discord, which renders it natively: emphasis kept; links
    written out (label and address as text); line-start markup, code and mentions
    defused."""

    def link(label: str, url: str) -> str:
        return _written_out(label, url, _discord_summary_text, markdown_link_target)

    converted = _replace_links(text, _discord_summary_text, link)
    return neutralize_discord_mentions(_discord_line_starts(converted))


def _slack_emphasis(text: str) -> str:
    text = _MD_BOLD_ITALIC.sub(_BOLD + _ITALIC + r"\1" + _ITALIC + _BOLD, text)
    text = _MD_BOLD.sub(_BOLD + r"\2" + _BOLD, text)
    text = _MD_ITALIC_STAR.sub(_ITALIC + r"\1" + _ITALIC, text)
    text = _MD_STRIKE.sub(r"~\1~", text)
    return text.replace(_BOLD, "*").replace(_ITALIC, "_")


def slack_mrkdwn(text: str) -> str:
    """Summary markdown as Slack mrkdwn: `**b**` -> `*b*`, `*i*` -> `_i_`, links written out
    (label and address as text, never `<url|label>`), everything else as `slack_text`."""

    def plain(part: str) -> str:
        return _slack_emphasis(_slack_inline(part))

    def link(label: str, url: str) -> str:
        return _written_out(label, url, plain, escape_slack)

    return _slack_line_starts(_replace_links(text, plain, link))


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link of ours whose label is shown verbatim (`url` must come from
    `safe_url`)."""
    return f"<{escape_slack(url)}|{_slack_inline(label)}>"


def discord_link(url: str, label: str) -> str:
    """A markdown link of ours whose label is shown verbatim (`url` must come from
    `safe_url`)."""
    return f"[{escape_discord_markdown(label)}]({markdown_link_target(url)})"
