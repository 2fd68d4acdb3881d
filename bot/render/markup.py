"""Turning untrusted digest text into each platform's markup, inert and still readable.

Two kinds of input: titles and author names are shown verbatim (every markup character
escaped), summary bullets are markdown whose emphasis we keep ("***What's New***:") but
whose links are checked and whose mention syntax is defused. Nothing here may ping:
`@everyone`, `<@id>`, `<!channel>` written in a title must arrive as plain text.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from bot.render.urls import markdown_link_target, safe_url

ZWSP = "\u200b"

# Markdown links and images: [text](url) / ![alt](url), with an optional "title".
_MD_LINK = regex.compile(
    r"(!?)\[([^\[\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s<>]*\))*)>?(?:\s+\"[^\"\n]*\")?\s*\)"
)

# No word boundary required: whether Discord pings "@everyone" followed by a combining
# mark or a letter is not documented, and a zero-width space is invisible anyway.
_DISCORD_MENTION_AT = regex.compile(r"@(?=everyone|here)", regex.IGNORECASE)
_DISCORD_TAG_OPEN = regex.compile(r"<(?=[@#/]|a?:\w*:|t:)")
_DISCORD_ESCAPE = regex.compile(r"([\\*_~`|\[\]<>])")
_DISCORD_BRACKETS = regex.compile(r"([\\\[\]])")
_DISCORD_LINE_START = regex.compile(r"(?m)^(\s*)([#>+\-]|\d+(?=\.))")

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


def escape_discord_markdown(text: str) -> str:
    """Verbatim text for Discord: every markdown character backslash-escaped."""
    text = _DISCORD_ESCAPE.sub(r"\\\1", text)
    text = _DISCORD_LINE_START.sub(_escape_line_start, text)
    return neutralize_discord_mentions(text)


def escape_slack(text: str) -> str:
    """Slack's own rule: escape exactly &, < and > so no `<...>` control sequence is live."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _replace_links(
    text: str,
    on_text: Callable[[str], str],
    on_link: Callable[[str, str], str],
) -> str:
    """Apply `on_link(label, safe_url)` to markdown links with an http(s) target and
    `on_text` to everything else (an unsafe link keeps only its label)."""
    out: list[str] = []
    last = 0
    for match in _MD_LINK.finditer(text):
        out.append(on_text(text[last : match.start()]))
        is_image, label, target = match.group(1), match.group(2), match.group(3)
        url = safe_url(target)
        if url is None:
            out.append(on_text(label))
        else:
            out.append(on_link(label or ("image" if is_image else url), url))
        last = match.end()
    out.append(on_text(text[last:]))
    return "".join(out)


def discord_markdown(text: str) -> str:
    """Summary markdown for Discord, which renders it natively: keep emphasis, keep only
    http(s) links, defuse mentions."""

    def link(label: str, url: str) -> str:
        label = label.replace("[", "(").replace("]", ")")
        return f"[{label}]({markdown_link_target(url)})"

    return neutralize_discord_mentions(_replace_links(text, _discord_literal_brackets, link))


def _discord_literal_brackets(text: str) -> str:
    """Outside our checked links, brackets are text: a half link left by truncation
    (`[x](javascript:...`) must not become one. Backslashes are doubled so an escape in
    the source can't un-escape our bracket."""
    escaped: str = _DISCORD_BRACKETS.sub(r"\\\1", text)
    return escaped


def _slack_emphasis(text: str) -> str:
    text = _MD_BOLD_ITALIC.sub(_BOLD + _ITALIC + r"\1" + _ITALIC + _BOLD, text)
    text = _MD_BOLD.sub(_BOLD + r"\2" + _BOLD, text)
    text = _MD_ITALIC_STAR.sub(_ITALIC + r"\1" + _ITALIC, text)
    text = _MD_STRIKE.sub(r"~\1~", text)
    return text.replace(_BOLD, "*").replace(_ITALIC, "_")


def slack_mrkdwn(text: str) -> str:
    """Summary markdown as Slack mrkdwn: `**b**` -> `*b*`, `*i*` -> `_i_`, `[t](u)` ->
    `<u|t>` for http(s) targets only, everything else escaped."""

    def plain(part: str) -> str:
        return _slack_emphasis(escape_slack(part))

    def link(label: str, url: str) -> str:
        return f"<{escape_slack(url)}|{escape_slack(label)}>"

    return _replace_links(text, plain, link)


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link whose label is shown verbatim (`url` must come from `safe_url`)."""
    return f"<{escape_slack(url)}|{escape_slack(label)}>"


def discord_link(url: str, label: str) -> str:
    """A markdown link whose label is shown verbatim (`url` must come from `safe_url`)."""
    return f"[{escape_discord_markdown(label)}]({markdown_link_target(url)})"
