"""/paper and /papers: the archive, looked up from chat (anyone may use them).

/paper shows its best match as the same card the daily post uses, plus a few runner-up
lines; /papers lists one day compactly. Autocomplete suggestions come from the same search
with a small limit, so typing in Discord shows real titles.
"""

from __future__ import annotations

from bot.commands import arguments as a
from bot.commands.context import Invocation, Suggestion
from bot.commands.env import CommandEnv
from bot.commands.errors import InvalidArgumentError, NothingFoundError
from bot.commands.replies import Line, Reply, Span, Tone, bold, echo, link, plain
from bot.commands.spec import QUERY
from bot.models import HF_DAY_URL, HF_PAPER_URL
from bot.render.options import RenderOptions
from bot.render.text import one_line, truncate
from bot.render.urls import safe_url
from bot.store.rows import StoredPaper

OTHER_MATCHES = 4
LIST_TITLE_CHARS = 90
DEFAULT_TOP = 10
SUGGESTION_CHARS = 100
"""Discord's cap on an autocomplete choice's name and value."""
CARD_SUMMARY_CHARS = 2500
"""Room left in a Discord message for the runner-up lines beside the card."""
VOTE_MARK = "👍"


def paper_line(number: int, paper: StoredPaper, *, votes: int | None = None) -> Line:
    """ "3) Title · 👍 12 · 2024-05-06", the title linked to the paper's page."""
    title = truncate(one_line(paper.title), LIST_TITLE_CHARS) or "(untitled)"
    url = safe_url(HF_PAPER_URL.format(arxiv_id=paper.arxiv_id) if paper.arxiv_id else None)
    url = url or safe_url(paper.url)
    shown = paper.votes if votes is None else votes
    tail = f" · {VOTE_MARK} {shown if shown is not None else '?'} · {paper.first_seen}"
    title_span = link(title, url) if url else plain(title)
    # "3)" rather than "3.": Discord would turn "3." at a line start into a list item.
    return (plain(f"{number}) "), title_span, plain(tail))


async def paper(env: CommandEnv, invocation: Invocation) -> Reply:
    raw = a.optional(invocation.options, "query")
    if raw is None:
        raise InvalidArgumentError("query", "give an arXiv id, a paper URL or some words")
    query = a.query(raw)
    hits = await env.store.searcher.search(query, limit=1 + OTHER_MATCHES)
    if not hits:
        raise NothingFoundError(
            f"No paper in the archive matches {echo(query)}. "
            "Try an arXiv id (2405.01234), a paper URL, or other words."
        )
    best, others = hits[0].paper, hits[1:]
    lines: list[Line] = []
    if others:
        lines.append((bold("Other matches:"),))
        lines.extend(paper_line(number, hit.paper) for number, hit in enumerate(others, 2))
    return Reply(
        tuple(lines),
        card=best.to_paper(),
        card_options=RenderOptions(summary_limit=CARD_SUMMARY_CHARS),
    )


async def papers(env: CommandEnv, invocation: Invocation) -> Reply:
    options = invocation.options
    today = env.clock().date()
    raw_day = a.optional(options, "date")
    wanted = None if raw_day is None else a.day(raw_day, today)
    raw_votes = a.optional(options, "min_votes")
    min_votes = 0 if raw_votes is None else a.min_votes(raw_votes)
    raw_top = a.optional(options, "top")
    top = DEFAULT_TOP if raw_top is None else a.top(raw_top)

    latest = await env.store.digests.latest_date()
    if latest is None:
        raise NothingFoundError("The archive has no digests yet. Try again after the next poll.")
    day = wanted or latest
    everything = await env.store.papers.of_day(day)
    if not everything:
        raise NothingFoundError(
            f"No digest for {day.isoformat()}. The latest is {latest.isoformat()}."
        )
    ranked = await env.store.papers.of_day(day, min_votes=min_votes or None)
    heading: list[Span] = [bold(f"Papers of {day.isoformat()}")]
    if min_votes:
        heading.append(plain(f" · at least {min_votes} votes"))
    heading.append(plain(f" · {min(top, len(ranked))} of {len(everything)} · "))
    heading.append(link("open the day on Hugging Face", HF_DAY_URL.format(date=day.isoformat())))
    if not ranked:
        return Reply(
            (tuple(heading), (plain(f"No paper that day has {min_votes} or more votes."),)),
            tone=Tone.INFO,
        )
    lines = [tuple(heading)]
    lines.extend(
        paper_line(number, item.paper, votes=item.votes)
        for number, item in enumerate(ranked[:top], 1)
    )
    return Reply(tuple(lines), more=max(0, len(ranked) - top))


async def suggest(env: CommandEnv, text: str, *, limit: int) -> list[Suggestion]:
    """Titles for a partly typed query: the latest day's best papers while the box is
    empty, search hits once there is something to search for."""
    typed = one_line(text)[: QUERY.max_length]
    if not any(ch.isalnum() for ch in typed):
        latest = await env.store.digests.latest_date()
        found = [] if latest is None else await env.store.papers.of_day(latest, limit=limit)
        stored = [item.paper for item in found]
    else:
        stored = [hit.paper for hit in await env.store.searcher.search(typed, limit=limit)]
    return [_suggestion(item) for item in stored[:limit]]


def _suggestion(item: StoredPaper) -> Suggestion:
    title = truncate(one_line(item.title), SUGGESTION_CHARS) or "(untitled)"
    value = item.arxiv_id or truncate(one_line(item.title), SUGGESTION_CHARS) or item.key
    return Suggestion(title, value[:SUGGESTION_CHARS])
