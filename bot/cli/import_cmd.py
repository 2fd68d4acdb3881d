"""`papers-bot import PATH | --from DATE --to DATE`: fill the archive, with a progress bar.

Idempotent: importing the same files or days again changes nothing. Each file or day that
fails gets one stderr line naming it and the reason, everything else is still imported, and
a summary line (imported / unchanged / failed) ends the run; any failure makes the exit
status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli._types import check_date_range, iso_day

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store
    from bot.store.importer import ImportReport

EXIT_SOME_FAILED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="load digests into the archive (a folder, or a date range from the sources)",
        description="Import a digest file or a folder of digests (markdown and HF JSON, found "
        "recursively), or fetch a date range from the enabled sources (SOURCES).",
    )
    parser.add_argument("path", nargs="?", type=Path, help="a digest file or folder")
    parser.add_argument(
        "--from",
        dest="date_from",
        type=iso_day,
        metavar="DATE",
        help="fetch the days from DATE (YYYY-MM-DD) ...",
    )
    parser.add_argument(
        "--to", dest="date_to", type=iso_day, metavar="DATE", help="... to DATE, included"
    )
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    by_date = args.date_from is not None or args.date_to is not None
    if (args.path is None) == (not by_date):
        args.parser.error("give either PATH or --from DATE --to DATE")
    if by_date and (args.date_from is None or args.date_to is None):
        args.parser.error("--from and --to go together")
    check_date_range(args.parser, args.date_from, args.date_to)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from bot.config import load_settings  # noqa: PLC0415 (keeps --help instant)
    from bot.store import open_store  # noqa: PLC0415

    settings = load_settings()
    async with open_store(settings.resolved_database_url) as store:
        if args.path is not None:
            report = await _import_path(store, args.path)
        else:
            report = await _import_range(store, settings, args.date_from, args.date_to)
    return _print_report(report)


def _progress_bar(total: int, label: str) -> tuple[Any, Callable[[str], None]]:
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[item]}"),
        console=None,
        transient=False,
        disable=not sys.stderr.isatty(),
    )
    task = bar.add_task(label, total=total, item="")

    def advance(item: str) -> None:
        bar.update(task, advance=1, item=item[-40:])

    return bar, advance


async def _import_path(store: Store, path: Path) -> ImportReport:
    from bot.store.importer import digest_files, import_files  # noqa: PLC0415

    files = await asyncio.to_thread(digest_files, path)
    bar, advance = _progress_bar(len(files), "importing files")
    with bar:
        return await import_files(store, files, progress=advance)


async def _import_range(
    store: Store, settings: Settings, start: dt.date, end: dt.date
) -> ImportReport:
    import aiohttp  # noqa: PLC0415

    from bot.models import SourceKind  # noqa: PLC0415
    from bot.sources.dated import fetch_markdown_day  # noqa: PLC0415
    from bot.sources.hf_api import fetch_hf_day  # noqa: PLC0415
    from bot.sources.http import Fetcher, Validators  # noqa: PLC0415
    from bot.sources.result import SourceResult  # noqa: PLC0415
    from bot.store.importer import days, import_days  # noqa: PLC0415

    dates = days(start, end)
    sources = [SourceKind(s) for s in settings.sources if s in ("hf", "markdown")]
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher.from_settings(session, settings)

        async def fetch_day(source: SourceKind, day: dt.date) -> SourceResult:
            if source is SourceKind.HF:
                return await fetch_hf_day(fetcher, settings.hf_api_url, day)
            known = await store.digests.validators(source, day)
            validators = Validators(known.etag, known.last_modified) if known else None
            return await fetch_markdown_day(fetcher, settings.digest_url_template, day, validators)

        bar, advance = _progress_bar(len(dates), "importing days")
        with bar:
            return await import_days(store, fetch_day, sources, dates, progress=advance)


def _print_report(report: ImportReport) -> int:
    """The failures, one line each, then the summary, last so it is what a terminal shows."""
    for line in report.failures:
        print(f"papers-bot import: {line}", file=sys.stderr)
    sys.stderr.flush()
    print(
        f"{report.digests_changed} digests imported, {report.digests_unchanged} unchanged, "
        f"{report.missing} not published, {len(report.failures)} failed; "
        f"{report.papers_seen} papers seen, {report.papers_inserted} new, "
        f"{report.papers_updated} updated"
    )
    return EXIT_SOME_FAILED if report.failures else 0
