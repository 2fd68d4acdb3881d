"""A day's digest as one subscription sees it: the sources it follows, merged, its papers.

A day may have been published by several sources (the HF list and the Korean markdown
digest); a channel that follows both gets one post for the day, headed by the preferred
source, with each paper once and the vote count the day's digest showed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from bot.models import Digest, SourceKind
from bot.store import Store

SOURCE_PREFERENCE = (SourceKind.HF, SourceKind.MARKDOWN, SourceKind.FEED)


async def day_digest(
    store: Store, day: dt.date, sources: Sequence[SourceKind], *, language: str | None = None
) -> Digest | None:
    """The digest of `day` over `sources` (all when empty); None when none published it."""
    allowed = tuple(sources) or SOURCE_PREFERENCE
    published = [kind for kind in allowed if await store.digests.get(kind, day) is not None]
    if not published:
        return None
    lead = min(published, key=SOURCE_PREFERENCE.index)
    stored = await store.digests.get(lead, day)
    digest_language = stored.language if stored is not None else "en"
    only = published[0] if len(published) == 1 else None
    items = await store.papers.of_day(day, source=only)
    if only is None and len(published) < len(SOURCE_PREFERENCE):
        keep: set[str] = set()
        for kind in published:
            found = await store.digests.get(kind, day)
            keep.update(found.paper_keys if found else ())
        items = [item for item in items if item.paper.key in keep]
    papers = tuple(
        dataclasses.replace(
            item.paper.to_paper(language or digest_language, date=day), votes=item.votes
        )
        for item in items
    )
    return Digest(date=day, source=lead, papers=papers, language=digest_language)
