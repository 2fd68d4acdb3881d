"""/digest: post the latest digest to this channel now, as its subscription renders it.

The channel's settings (or the defaults, without a subscription) pick the source, the
papers (top N, minimum votes, keywords) and the look (language, Slack layout); the
platform's poster renders with the same renderer as the daily post and sends through the
bot's own adapter. This is a direct send: the scheduled outbox (issue 7) is not involved,
so a manual /digest is neither recorded as a delivery nor deduplicated against one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.commands.context import CommandEnv, Invocation
from bot.commands.errors import NothingFoundError
from bot.commands.replies import Reply, Tone
from bot.models import Digest, SourceKind
from bot.render.options import RenderOptions, slack_layout_named
from bot.selection import Selection, select_papers
from bot.store import Store
from bot.store.rows import SubscriptionSettings

SOURCE_PREFERENCE = (SourceKind.HF, SourceKind.MARKDOWN, SourceKind.FEED)
"""Which digest of a day heads the post when several sources published it."""


async def latest_digest(store: Store, sources: Sequence[SourceKind]) -> Digest | None:
    """The newest day among the allowed sources, with its papers ranked as stored."""
    allowed = tuple(sources) or SOURCE_PREFERENCE
    dated = [(await store.digests.latest_date(kind), kind) for kind in allowed]
    days = [day for day, _ in dated if day is not None]
    if not days:
        return None
    day = max(days)
    on_day = [kind for found, kind in dated if found == day]
    lead = min(on_day, key=SOURCE_PREFERENCE.index)
    stored = await store.digests.get(lead, day)
    language = stored.language if stored is not None else "en"
    only = on_day[0] if len(on_day) == 1 else None
    items = await store.papers.of_day(day, source=only)
    # The day's own vote count, as the digest showed it, not the paper's latest.
    papers = tuple(
        dataclasses.replace(item.paper.to_paper(language, date=day), votes=item.votes)
        for item in items
    )
    return Digest(date=day, source=lead, papers=papers, language=language)


async def digest(env: CommandEnv, invocation: Invocation) -> Reply:
    subscription = await env.store.subscriptions.get(invocation.channel)
    settings = subscription.settings if subscription else SubscriptionSettings()
    found = await latest_digest(env.store, settings.sources)
    if found is None:
        raise NothingFoundError("The archive has no digest yet. Try again after the next poll.")
    selection = Selection(
        top_n=settings.top_n, min_votes=settings.min_votes, keywords=settings.keywords
    )
    papers = select_papers(found.papers, selection)
    options = RenderOptions(
        slack_layout=slack_layout_named(settings.layout), locale=settings.language
    )
    sent = await invocation.poster.post_digest(found, papers, options)
    how = "this channel's settings" if subscription else "the default settings"
    return Reply.text(
        f"Posted the digest of {found.date.isoformat()} here with {how}: "
        f"{len(papers)} of {len(found.papers)} papers in {sent} message(s).",
        tone=Tone.OK,
    )
