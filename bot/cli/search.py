"""`papers-bot search QUERY`: the archive lookup `/paper` uses, from the terminal.

`--json` prints JSON Lines, best first, for scripts; otherwise a short table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.cli._types import check_date_range, iso_day, non_negative_int, positive_int


def _query(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("empty: give an arXiv id, a paper URL, or words")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search",
        help="search the paper archive",
        description="Find papers by arXiv id, arXiv/HF URL, title, or words from the title, "
        "authors and summaries (English or Korean, partial words too).",
    )
    parser.add_argument(
        "query", type=_query, metavar="QUERY", help="an arXiv id, a paper URL, or words"
    )
    parser.add_argument("--json", action="store_true", help="print JSON Lines")
    parser.add_argument(
        "--limit", type=positive_int, default=10, metavar="N", help="at most N results"
    )
    parser.add_argument(
        "--from",
        dest="date_from",
        type=iso_day,
        metavar="DATE",
        help="only papers first seen on DATE (YYYY-MM-DD) or later",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        type=iso_day,
        metavar="DATE",
        help="only papers first seen on DATE or earlier",
    )
    parser.add_argument(
        "--min-votes",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="only papers with at least N votes (papers without a vote count are left out)",
    )
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    check_date_range(args.parser, args.date_from, args.date_to)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from bot.cli.output import utf8  # noqa: PLC0415 (keeps --help instant)
    from bot.config import load_settings  # noqa: PLC0415
    from bot.store import SearchFilters, open_store  # noqa: PLC0415

    settings = load_settings()
    filters = SearchFilters(args.date_from, args.date_to, args.min_votes)
    async with open_store(settings.resolved_database_url) as store:
        hits = await store.searcher.search(args.query, limit=args.limit, filters=filters)
    out = utf8(sys.stdout)
    for hit in hits:
        paper = hit.paper
        if args.json:
            line = {
                "rank": hit.rank,
                "match": hit.match,
                "arxiv_id": paper.arxiv_id,
                "title": paper.title,
                "url": paper.url,
                "votes": paper.votes,
                "date": paper.first_seen.isoformat(),
                "authors": list(paper.authors),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
            votes = "-" if paper.votes is None else str(paper.votes)
            out.write(f"{hit.rank:>3}. [{votes:>4}] {paper.first_seen} {paper.title}\n")
            out.write(f"     {paper.url}\n")
    if not hits and not args.json:
        print("no papers found", file=sys.stderr)
    return 0
