"""Every platform limit the renderers respect, in one place (docs/PLATFORM_LIMITS.md).

A breach of any of these is a rejected request (HTTP 400 / `invalid_blocks`), which would
lose a post; so renderers size text against these names, never against bare numbers.
Lengths are Unicode code points (`len()`), as both platforms count them.
"""

from __future__ import annotations

from typing import Final


class DiscordLimits:
    CONTENT: Final = 2000
    EMBEDS_PER_MESSAGE: Final = 10
    EMBED_TITLE: Final = 256
    EMBED_DESCRIPTION: Final = 4096
    EMBED_FIELDS: Final = 25
    FIELD_NAME: Final = 256
    FIELD_VALUE: Final = 1024
    FOOTER_TEXT: Final = 2048
    AUTHOR_NAME: Final = 256
    EMBED_TOTAL: Final = 6000
    """Sum of title, description, field names and values, footer and author over ALL embeds."""
    NONCE: Final = 25
    COLOR_MAX: Final = 0xFFFFFF
    THREAD_NAME: Final = 100
    """A forum post's title (the thread's name): 1 to 100 characters."""
    APPLIED_TAGS: Final = 5
    """Tags on one forum post."""


class SlackLimits:
    TEXT: Final = 4000
    """Beyond this the fallback text is truncated by Slack; keep it whole."""
    BLOCKS: Final = 50
    SECTION_TEXT: Final = 3000
    SECTION_FIELDS: Final = 10
    FIELD_TEXT: Final = 2000
    HEADER_TEXT: Final = 150
    CONTEXT_ELEMENTS: Final = 10
    CONTEXT_TEXT: Final = 3000
    IMAGE_URL: Final = 3000
    IMAGE_ALT_TEXT: Final = 2000
    IMAGE_TITLE: Final = 2000
    VIDEO_TITLE: Final = 199
    """Documented as "less than 200"."""
    VIDEO_ALT_TEXT: Final = 2000
    BLOCK_ID: Final = 255
    TOTAL_BLOCK_TEXT: Final = 12000
    """Undocumented cap (`msg_blocks_too_long`) observed near 12-13k; stay under the low end."""
    METADATA_EVENT_TYPE: Final = 255


class UrlLimits:
    MAX_LENGTH: Final = 2000
    """Our own cap: longer URLs are almost always junk and would eat message budgets."""
