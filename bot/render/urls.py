"""Which URLs may appear in a post at all.

Digest text is untrusted: a `javascript:` or relative link must never become a clickable
chat link, and characters that close chat link syntax (`>`, `|`, `)`) must not let a URL
break out of it. Only absolute http(s) URLs survive, percent-encoded where needed.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from bot.render.limits import UrlLimits

_SCHEMES = frozenset({"http", "https"})
_BREAKOUT = str.maketrans({"<": "%3C", ">": "%3E", "|": "%7C", '"': "%22", "`": "%60"})
_MARKDOWN = str.maketrans({"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "\\": "%5C"})

# Formats chat clients show inline; everything else (svg, video files written as images)
# would be a broken image, so callers fall back to another picture or none.
_IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})


def safe_url(url: str | None) -> str | None:
    """`url` as an absolute http(s) URL safe to put in chat link syntax, or None."""
    if not url:
        return None
    url = url.strip()
    if not url or len(url) > UrlLimits.MAX_LENGTH:
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES or not host:
        return None
    return url.translate(_BREAKOUT)


def https_url(url: str | None) -> str | None:
    """Like `safe_url` but HTTPS only (Slack's video block demands it)."""
    cleaned = safe_url(url)
    if cleaned is None or not cleaned.lower().startswith("https://"):
        return None
    return cleaned


def markdown_link_target(url: str) -> str:
    """A safe URL made fit for Discord markdown, as a `[text](url)` target or written out
    in text: a parenthesis would end a link early (or cut a written-out address short), a
    bracket could start a link, a backslash escape the character after it."""
    return url.translate(_MARKDOWN)


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_matches(url: str, domains: frozenset[str]) -> bool:
    """Whether the URL's host is one of `domains` or a subdomain of one."""
    host = url_host(url)
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def is_displayable_image(url: str) -> bool:
    """A still image chat clients render: a known raster extension, or none at all (CDNs)."""
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return True
    return name[name.rfind(".") :] in _IMAGE_EXTENSIONS
