"""An independent checker of Discord and Slack request bodies: every documented limit
(docs/platform-setup.md), required fields, URL schemes and mention safety.

It deliberately re-states the limits instead of importing the renderers' constants: a
wrong constant in the renderer must be caught here, not copied. Fake platform servers
reuse these functions to answer 400 exactly where the real platform would.
Each function returns human-readable violations; an empty list means the body is valid.

`discord_markup_violations` and `slack_markup_violations` go further than the platforms
do: they flag markup the renderers never write themselves (headings, quotes, list markers,
code) and links to anything but the URLs a test says are ours, so hostile digest text that
turned into live markup is caught even where the platform would accept it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

# Discord (create message / execute webhook)
D_CONTENT = 2000
D_EMBEDS = 10
D_TITLE = 256
D_DESCRIPTION = 4096
D_FIELDS = 25
D_FIELD_NAME = 256
D_FIELD_VALUE = 1024
D_FOOTER = 2048
D_AUTHOR = 256
D_TOTAL = 6000
D_NONCE = 25
D_BODY_KEYS = frozenset(
    {
        "content",
        "embeds",
        "allowed_mentions",
        "flags",
        "nonce",
        "enforce_nonce",
        "username",
        "avatar_url",
        "tts",
        "components",
        "thread_name",
        "message_reference",
        "attachments",
    }
)

# Slack (chat.postMessage)
S_TEXT = 4000
S_BLOCKS = 50
S_SECTION_TEXT = 3000
S_SECTION_FIELDS = 10
S_FIELD_TEXT = 2000
S_HEADER = 150
S_CONTEXT_ELEMENTS = 10
S_TEXT_OBJECT = 3000
S_IMAGE_URL = 3000
S_ALT_TEXT = 2000
S_IMAGE_TITLE = 2000
S_VIDEO_TITLE = 200  # exclusive
S_BLOCK_ID = 255
S_TOTAL_BLOCK_TEXT = 12000
S_BLOCK_TYPES = frozenset({"section", "context", "header", "image", "video", "divider"})
UNSUPPORTED_IMAGE_EXTENSIONS = frozenset(
    {".svg", ".webm", ".mp4", ".mov", ".qt", ".m4v", ".mkv", ".ogv", ".pdf", ".tif", ".tiff"}
)

_DISCORD_LIVE_MENTIONS = re.compile(
    r"@(?:everyone|here)|<@[!&]?\d+>|<#\d+>|</[^\s>]+:\d+>",
    re.IGNORECASE,
)
_MASKED_LINK_TARGET = re.compile(r"(?<!\\)(?:\\\\)*\]\(\s*<?([^)\s>]*)")
_URL_SCHEME = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*)://")
_SLACK_ANGLE = re.compile(r"<([^<>]*)>")
_SLACK_LINK = re.compile(r"https?://[^\s|<>]+(?:\|[^<>]*)?", re.IGNORECASE)

# Discord's escape rule: a backslash before punctuation makes that character literal.
_DISCORD_ESCAPED = re.compile(r"\\[^0-9A-Za-z\s]")
_DISCORD_LINK_TARGET = re.compile(r"\]\(\s*<?([^\s)>]*)")
_DISCORD_LINE_MARKUP = re.compile(
    r"^[ \t]*(?:#{1,3}[ \t]|-#[ \t]|>{1,3}[ \t]|[-*+][ \t]|\d+\.[ \t])", re.MULTILINE
)
_SLACK_QUOTE = re.compile(r"^[ \t]*(?:&gt;|>)", re.MULTILINE)
_SLACK_RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def _is_http_url(value: object, *, https_only: bool = False) -> bool:
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    schemes = {"https"} if https_only else {"http", "https"}
    return parts.scheme.lower() in schemes and bool(parts.hostname)


def _length(value: object) -> int:
    return len(value) if isinstance(value, str) else 0


def _check_str(
    problems: list[str], where: str, value: object, limit: int, *, required: bool
) -> None:
    if value is None:
        if required:
            problems.append(f"{where}: missing")
        return
    if not isinstance(value, str):
        problems.append(f"{where}: not a string")
        return
    if required and not value.strip():
        problems.append(f"{where}: empty")
    if len(value) > limit:
        problems.append(f"{where}: {len(value)} chars > {limit}")


# ---------------------------------------------------------------------------------- Discord


def _embed_texts(embed: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "title", embed.get("title") or ""
    yield "description", embed.get("description") or ""
    yield "footer.text", (embed.get("footer") or {}).get("text") or ""
    yield "author.name", (embed.get("author") or {}).get("name") or ""
    for index, item in enumerate(embed.get("fields") or []):
        if isinstance(item, dict):
            yield f"fields[{index}].name", item.get("name") or ""
            yield f"fields[{index}].value", item.get("value") or ""


def _discord_embed(problems: list[str], where: str, embed: object) -> int:
    if not isinstance(embed, dict):
        problems.append(f"{where}: not an object")
        return 0
    if "video" in embed:
        problems.append(f"{where}.video: bots cannot set embed.video")
    _check_str(problems, f"{where}.title", embed.get("title"), D_TITLE, required=False)
    _check_str(
        problems, f"{where}.description", embed.get("description"), D_DESCRIPTION, required=False
    )
    footer = embed.get("footer")
    if footer is not None:
        _check_str(problems, f"{where}.footer.text", footer.get("text"), D_FOOTER, required=True)
    author = embed.get("author")
    if author is not None:
        _check_str(problems, f"{where}.author.name", author.get("name"), D_AUTHOR, required=True)
    fields = embed.get("fields") or []
    if len(fields) > D_FIELDS:
        problems.append(f"{where}.fields: {len(fields)} > {D_FIELDS}")
    for index, item in enumerate(fields):
        if not isinstance(item, dict):
            problems.append(f"{where}.fields[{index}]: not an object")
            continue
        _check_str(
            problems, f"{where}.fields[{index}].name", item.get("name"), D_FIELD_NAME, required=True
        )
        _check_str(
            problems,
            f"{where}.fields[{index}].value",
            item.get("value"),
            D_FIELD_VALUE,
            required=True,
        )
    for key, url in (
        ("url", embed.get("url")),
        ("image.url", (embed.get("image") or {}).get("url", "")),
        ("thumbnail.url", (embed.get("thumbnail") or {}).get("url", "")),
        ("author.url", (author or {}).get("url", "")),
        ("author.icon_url", (author or {}).get("icon_url", "")),
        ("footer.icon_url", (footer or {}).get("icon_url", "")),
    ):
        if url not in (None, "") and not _is_http_url(url):
            problems.append(f"{where}.{key}: not an http(s) URL: {url!r}")
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        problems.append(f"{where}.color: out of range")
    texts = list(_embed_texts(embed))
    if not any(text.strip() for _, text in texts) and "image" not in embed:
        problems.append(f"{where}: empty embed")
    for key, text in texts:
        _discord_text_safety(problems, f"{where}.{key}", text)
    return sum(len(text) for _, text in texts)


def _discord_text_safety(problems: list[str], where: str, text: str) -> None:
    for match in _DISCORD_LIVE_MENTIONS.finditer(text):
        problems.append(f"{where}: live mention {match.group()!r}")
    for target in _MASKED_LINK_TARGET.findall(text):
        if target and not _is_http_url(target):
            problems.append(f"{where}: link to a non-http(s) target {target!r}")


def discord_message_violations(body: object) -> list[str]:
    """Why Discord would reject this create-message body, or let it ping; [] when fine."""
    if not isinstance(body, dict):
        return ["body: not an object"]
    problems: list[str] = []
    for key in body:
        if key not in D_BODY_KEYS:
            problems.append(f"body: unknown key {key!r}")
    mentions = body.get("allowed_mentions")
    if not isinstance(mentions, dict) or mentions.get("parse") != []:
        problems.append('allowed_mentions: must be {"parse": []}')
    elif mentions.get("users") or mentions.get("roles") or mentions.get("replied_user"):
        problems.append("allowed_mentions: must not allow users, roles or reply pings")
    if body.get("tts"):
        problems.append("tts: must not be set")
    content = body.get("content")
    _check_str(problems, "content", content, D_CONTENT, required=False)
    if isinstance(content, str):
        _discord_text_safety(problems, "content", content)
        for scheme in _URL_SCHEME.findall(content):
            if scheme.lower() not in {"http", "https"}:
                problems.append(f"content: non-http(s) URL scheme {scheme!r}")
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > D_NONCE:
        problems.append(f"nonce: longer than {D_NONCE}")
    embeds = body.get("embeds") or []
    if not isinstance(embeds, list):
        return [*problems, "embeds: not a list"]
    if len(embeds) > D_EMBEDS:
        problems.append(f"embeds: {len(embeds)} > {D_EMBEDS}")
    total = sum(_discord_embed(problems, f"embeds[{i}]", e) for i, e in enumerate(embeds))
    if total > D_TOTAL:
        problems.append(f"embeds: {total} chars in all > {D_TOTAL}")
    if not (isinstance(content, str) and content.strip()) and not embeds:
        problems.append("body: neither content nor embeds")
    return problems


# ------------------------------------------------------------------------------------ Slack


def _slack_mrkdwn_safety(problems: list[str], where: str, text: str) -> None:
    """Every `<...>` left raw in mrkdwn is a control sequence: only http(s) links are ok."""
    for match in _SLACK_ANGLE.finditer(text):
        inner = match.group(1)
        if not _SLACK_LINK.fullmatch(inner):
            problems.append(f"{where}: live control sequence <{inner[:40]}>")
    if text.count("<") != text.count(">"):
        problems.append(f"{where}: unbalanced raw angle brackets")


def _text_object(
    problems: list[str], where: str, obj: object, limit: int, *, plain_only: bool = False
) -> int:
    if not isinstance(obj, dict):
        problems.append(f"{where}: not a text object")
        return 0
    kind = obj.get("type")
    if kind not in ({"plain_text"} if plain_only else {"plain_text", "mrkdwn"}):
        problems.append(f"{where}: bad text type {kind!r}")
    text = obj.get("text")
    _check_str(problems, f"{where}.text", text, limit, required=True)
    if kind == "mrkdwn" and isinstance(text, str):
        _slack_mrkdwn_safety(problems, where, text)
    return _length(text)


def _image_url(problems: list[str], where: str, url: object, *, https_only: bool = False) -> None:
    if not _is_http_url(url, https_only=https_only):
        problems.append(f"{where}: not an {'https' if https_only else 'http(s)'} URL: {url!r}")
        return
    assert isinstance(url, str)
    if len(url) > S_IMAGE_URL:
        problems.append(f"{where}: {len(url)} chars > {S_IMAGE_URL}")
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    if "." in name and name[name.rfind(".") :] in UNSUPPORTED_IMAGE_EXTENSIONS:
        problems.append(f"{where}: not a png/jpg/gif image: {url!r}")


def _header_block(problems: list[str], where: str, block: dict[str, Any]) -> int:
    return _text_object(problems, f"{where}.text", block.get("text"), S_HEADER, plain_only=True)


def _section_block(problems: list[str], where: str, block: dict[str, Any]) -> int:
    total = 0
    fields = block.get("fields") or []
    if block.get("text") is None and not fields:
        problems.append(f"{where}: section without text or fields")
    if block.get("text") is not None:
        total += _text_object(problems, f"{where}.text", block["text"], S_SECTION_TEXT)
    if len(fields) > S_SECTION_FIELDS:
        problems.append(f"{where}.fields: {len(fields)} > {S_SECTION_FIELDS}")
    for index, item in enumerate(fields):
        total += _text_object(problems, f"{where}.fields[{index}]", item, S_FIELD_TEXT)
    return total


def _context_block(problems: list[str], where: str, block: dict[str, Any]) -> int:
    total = 0
    elements = block.get("elements") or []
    if not elements or len(elements) > S_CONTEXT_ELEMENTS:
        problems.append(f"{where}.elements: {len(elements)} not in 1..{S_CONTEXT_ELEMENTS}")
    for index, item in enumerate(elements):
        if isinstance(item, dict) and item.get("type") == "image":
            _image_url(problems, f"{where}.elements[{index}].image_url", item.get("image_url"))
            _check_str(
                problems, f"{where}.elements[{index}].alt_text", item.get("alt_text"),
                S_ALT_TEXT, required=True,
            )  # fmt: skip
        else:
            total += _text_object(problems, f"{where}.elements[{index}]", item, S_TEXT_OBJECT)
    return total


def _image_block(problems: list[str], where: str, block: dict[str, Any]) -> int:
    _image_url(problems, f"{where}.image_url", block.get("image_url"))
    alt = block.get("alt_text")
    _check_str(problems, f"{where}.alt_text", alt, S_ALT_TEXT, required=True)
    total = _length(alt)
    if block.get("title") is not None:
        total += _text_object(
            problems, f"{where}.title", block["title"], S_IMAGE_TITLE, plain_only=True
        )
    return total


def _video_block(problems: list[str], where: str, block: dict[str, Any]) -> int:
    alt = block.get("alt_text")
    _check_str(problems, f"{where}.alt_text", alt, S_ALT_TEXT, required=True)
    total = _length(alt)
    total += _text_object(
        problems, f"{where}.title", block.get("title"), S_VIDEO_TITLE - 1, plain_only=True
    )
    _image_url(problems, f"{where}.thumbnail_url", block.get("thumbnail_url"))
    if not _is_http_url(block.get("video_url"), https_only=True):
        problems.append(f"{where}.video_url: not an https URL")
    return total


_BLOCK_CHECKS: dict[str, Callable[[list[str], str, dict[str, Any]], int]] = {
    "header": _header_block,
    "section": _section_block,
    "context": _context_block,
    "image": _image_block,
    "video": _video_block,
}


def _slack_block(problems: list[str], where: str, block: object) -> int:
    """The block's problems, appended; returns how much text it counts toward the cap."""
    if not isinstance(block, dict):
        problems.append(f"{where}: not an object")
        return 0
    kind = block.get("type")
    if kind not in S_BLOCK_TYPES:
        problems.append(f"{where}: unexpected block type {kind!r}")
        return 0
    block_id = block.get("block_id")
    if block_id is not None and _length(block_id) > S_BLOCK_ID:
        problems.append(f"{where}.block_id: too long")
    check = _BLOCK_CHECKS.get(str(kind))
    return check(problems, where, block) if check is not None else 0


def slack_message_violations(body: object) -> list[str]:
    """Why chat.postMessage would refuse these arguments, or let them ping; [] when fine."""
    if not isinstance(body, dict):
        return ["body: not an object"]
    problems: list[str] = []
    if "channel" in body:
        problems.append("body: the renderer must not choose the channel")
    if body.get("link_names"):
        problems.append("link_names: must not be set")
    if body.get("parse") == "full":
        problems.append('parse: "full" would turn names into mentions')
    text = body.get("text")
    _check_str(problems, "text", text, S_TEXT, required=True)
    if isinstance(text, str):
        _slack_mrkdwn_safety(problems, "text", text)
    blocks = body.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, list) or not blocks:
            problems.append("blocks: must be a non-empty list")
            blocks = []
        if len(blocks) > S_BLOCKS:
            problems.append(f"blocks: {len(blocks)} > {S_BLOCKS}")
        total = sum(_slack_block(problems, f"blocks[{i}]", b) for i, b in enumerate(blocks))
        if total > S_TOTAL_BLOCK_TEXT:
            problems.append(f"blocks: {total} chars of text in all > {S_TOTAL_BLOCK_TEXT}")
        ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
        if len(ids) != len(set(ids)):
            problems.append("blocks: duplicate block_id")
    metadata = body.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and metadata["event_type"]
        and isinstance(metadata.get("event_payload"), dict)
    ):
        problems.append("metadata: needs event_type and an event_payload object")
    return problems


# ------------------------------------------------------------------- markup of untrusted text


def _url_key(url: str) -> str:
    """One spelling per URL, so a link target matches its field however it was escaped."""
    unescaped = url.strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return unquote(unescaped)


def _discord_markup(problems: list[str], where: str, text: str, ours: frozenset[str]) -> None:
    # Escaped characters are text; a placeholder keeps the positions of the rest.
    live = _DISCORD_ESCAPED.sub("\x00\x00", text)
    if "[" in live:
        for match in _DISCORD_LINK_TARGET.finditer(live, live.index("[")):
            target = match.group(1)
            if _url_key(target) not in ours:
                problems.append(f"{where}: masked link to a URL that is not ours: {target!r}")
    for match in _DISCORD_LINE_MARKUP.finditer(live):
        problems.append(f"{where}: line starts with markup {match.group().strip()!r}")
    if "`" in live:
        problems.append(f"{where}: live code span or fence")


def discord_markup_violations(body: dict[str, Any], our_urls: Collection[str]) -> list[str]:
    """Markup in a Discord body that the renderer never writes for itself: a masked link
    whose target is not one of `our_urls`, a heading, subtext, block quote or list marker
    at a line start, or a code span/fence; [] when there is none."""
    ours = frozenset(_url_key(url) for url in our_urls)
    problems: list[str] = []
    content = body.get("content")
    if isinstance(content, str):
        _discord_markup(problems, "content", content, ours)
    for index, embed in enumerate(body.get("embeds") or []):
        for key, text in _embed_texts(embed):
            _discord_markup(problems, f"embeds[{index}].{key}", text, ours)
    return problems


def _slack_markup(problems: list[str], where: str, text: str, ours: frozenset[str]) -> None:
    for match in _SLACK_ANGLE.finditer(text):
        target = match.group(1).split("|", 1)[0]
        if _url_key(target) not in ours:
            problems.append(f"{where}: link to a URL that is not ours: {target[:60]!r}")
    for match in _SLACK_RAW_AMPERSAND.finditer(text):
        problems.append(f"{where}: raw & at {match.start()} (Slack would read an entity)")
    if _SLACK_QUOTE.search(text):
        problems.append(f"{where}: a line starts a block quote")
    if "`" in text:
        problems.append(f"{where}: live code span or block")


def _slack_mrkdwn_texts(blocks: list[Any]) -> Iterator[tuple[str, str]]:
    for index, block in enumerate(blocks):
        objects = [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]
        for obj in objects:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                yield f"blocks[{index}]", str(obj.get("text", ""))


def slack_markup_violations(body: dict[str, Any], our_urls: Collection[str]) -> list[str]:
    """Markup in a Slack body's mrkdwn (blocks and the `text` fallback) that the renderer
    never writes for itself: a `<...>` link to anything but `our_urls`, a raw `&` that is
    not one of our escapes, a block quote or a code span; [] when there is none.
    plain_text objects and alt texts are shown literally and are not looked at."""
    ours = frozenset(_url_key(url) for url in our_urls)
    problems: list[str] = []
    _slack_markup(problems, "text", str(body.get("text", "")), ours)
    for where, text in _slack_mrkdwn_texts(body.get("blocks") or []):
        _slack_markup(problems, where, text, ours)
    return problems
