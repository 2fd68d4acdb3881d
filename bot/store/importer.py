"""Bulk imports into the store: a folder of digest files, or a date range from the sources.

Digests are saved in batches of about BATCH_PAPERS papers, one transaction each, the next
batch planned while one is written (bot.store.ingest.BulkImport), which is what makes imports
fast; unchanged digests are skipped, which makes them idempotent. A file or day that fails is
reported and skipped: one bad file never loses the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import PapersBotError
from bot.models import SourceKind
from bot.sources.files import load_digest_file
from bot.sources.result import SourceResult, SourceStatus
from bot.store import Store
from bot.store.maintenance import optimize
from bot.store.rows import FetchValidators

# Larger batches mean fewer, larger FTS5 segments and GIN merges (bot.store.bulk_sqlite).
BATCH_PAPERS = 10_000

Progress = Callable[[str], None]
FetchDay = Callable[[SourceKind, dt.date], Awaitable[SourceResult]]


@dataclass
class ImportReport:
    digests_changed: int = 0
    digests_unchanged: int = 0
    papers_seen: int = 0
    papers_inserted: int = 0
    papers_updated: int = 0
    missing: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def _looks_like_digest(path: Path) -> bool:
    """JSON files, and markdown files named by date (DD.md, 2024-01-31.md): a folder of
    digests also holds README.md and LICENSE.md, which are not digests and not errors."""
    suffix = path.suffix.lower()
    return suffix == ".json" or (suffix == ".md" and path.name[:1].isdigit())


def digest_files(root: Path) -> list[Path]:
    """A file as given, or every digest file under a folder, in path (= date) order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise PapersBotError(f"{root}: no such file or folder")
    return sorted(p for p in root.rglob("*") if _looks_like_digest(p) and p.is_file())


async def import_files(
    store: Store, paths: Sequence[Path], *, progress: Progress | None = None
) -> ImportReport:
    report = ImportReport()
    async with store.writer.bulk(BATCH_PAPERS) as bulk:
        for path in paths:
            try:
                digest = await asyncio.to_thread(load_digest_file, path)
            except PapersBotError as exc:
                report.failures.append((str(path), str(exc)))
            else:
                report.papers_seen += len(digest.papers)
                await bulk.add(digest)
            if progress is not None:
                progress(str(path))
    saved = bulk.result
    report.digests_changed = saved.digests_changed
    report.digests_unchanged = saved.digests_unchanged
    report.papers_inserted = saved.papers_inserted
    report.papers_updated = saved.papers_updated
    if report.digests_changed:
        await optimize(store.db)
    return report


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise PapersBotError(f"--to {end} is before --from {start}")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


async def import_days(
    store: Store,
    fetch_day: FetchDay,
    sources: Sequence[SourceKind],
    dates: Sequence[dt.date],
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Fetch each (source, day) with `fetch_day` and save what was published.

    Days are fetched one after another: a backfill is no reason to hammer a public server.
    """
    report = ImportReport()
    for day in dates:
        for source in sources:
            try:
                result = await fetch_day(source, day)
            except PapersBotError as exc:
                report.failures.append((f"{source.value} {day}", str(exc)))
                continue
            if result.status is SourceStatus.NOT_MODIFIED:
                report.digests_unchanged += 1
                continue
            if result.digest is None:
                report.missing += 1
                continue
            validators = FetchValidators(result.validators.etag, result.validators.last_modified)
            saved = await store.writer.save(result.digest, validators=validators)
            report.papers_seen += len(result.digest.papers)
            report.digests_changed += saved.digests_changed
            report.digests_unchanged += saved.digests_unchanged
            report.papers_inserted += saved.papers_inserted
            report.papers_updated += saved.papers_updated
        if progress is not None:
            progress(day.isoformat())
    if report.digests_changed:
        await optimize(store.db)
    return report
