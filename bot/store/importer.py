"""Bulk imports into the store: a folder of digest files, or a date range from the sources.

Digests are saved in batches of about BATCH_PAPERS papers, one transaction each, the next
batch planned while one is written (bot.store.ingest.BulkImport), which is what makes imports
fast; unchanged digests are skipped, which makes them idempotent. A file or day that fails is
reported, one line naming it and the reason, and skipped: one bad file never loses the
others. A digest the store cannot hold (bot.store.batch.storable_problem) is refused before
it joins a batch, where it would fail the others' transaction too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import PapersBotError
from bot.models import Digest, SourceKind
from bot.sources.files import load_digest_file
from bot.sources.result import SourceResult, SourceStatus
from bot.store import Store
from bot.store.batch import storable_problem
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
    failures: list[str] = field(default_factory=list)
    """One line per file or (source, day) that failed, naming it and the reason."""


def _looks_like_digest(path: Path, root: Path) -> bool:
    """Every .md and .json file is taken for a digest (one that is not is reported), except
    a repository's own documents, named in capitals (README.md, LICENSE.md: the upstream
    digest repository holds them), and anything in a hidden folder (.git, .github)."""
    if path.suffix.lower() not in (".md", ".json") or path.stem.isupper():
        return False
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def digest_files(root: Path) -> list[Path]:
    """A file as given, or every digest file under a folder, in path (= date) order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise PapersBotError(f"{root}: no such file or folder")
    found = sorted(p for p in root.rglob("*") if _looks_like_digest(p, root) and p.is_file())
    if not found:
        raise PapersBotError(f"{root}: no digest files (*.md, *.json) in this folder")
    return found


def _file_problem(path: Path, exc: PapersBotError) -> str:
    """What is wrong with a file that did not load. The format is told by the content, so an
    empty file and a broken .json file both read as "not a markdown digest": say instead
    what they are."""
    try:
        data = path.read_bytes()
    except OSError:
        return str(exc)
    if not data.strip():
        return f"{path}: empty file"
    if path.suffix.lower() != ".json":
        return str(exc)
    try:
        document = json.loads(data)
    except json.JSONDecodeError as bad:
        return f"{path}: not valid JSON ({bad.msg} at line {bad.lineno} column {bad.colno})"
    except (ValueError, RecursionError):
        return str(exc)
    if not isinstance(document, list | dict):
        return f"{path}: not a digest (JSON, but neither a list nor an object of papers)"
    return str(exc)


def _load(path: Path) -> Digest | str:
    """The digest in `path`, or the one line saying why it cannot be imported."""
    try:
        digest = load_digest_file(path)
    except PapersBotError as exc:
        return _file_problem(path, exc)
    except Exception as exc:  # a parser crash on one file's content fails that file only
        return f"{path}: cannot parse ({type(exc).__name__}: {exc})"
    problem = storable_problem(digest)
    return digest if problem is None else f"{path}: {problem}"


async def import_files(
    store: Store, paths: Sequence[Path], *, progress: Progress | None = None
) -> ImportReport:
    report = ImportReport()
    async with store.writer.bulk(BATCH_PAPERS) as bulk:
        for path in paths:
            loaded = await asyncio.to_thread(_load, path)
            if isinstance(loaded, str):
                report.failures.append(loaded)
            else:
                report.papers_seen += len(loaded.papers)
                await bulk.add(loaded)
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
    """Every day from `start` to `end`, both included (none when `end` comes first)."""
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
                report.failures.append(f"{source.value} {day}: {exc}")
                continue
            if result.status is SourceStatus.NOT_MODIFIED:
                report.digests_unchanged += 1
                continue
            if result.digest is None:
                report.missing += 1
                continue
            problem = storable_problem(result.digest)
            if problem is not None:
                report.failures.append(f"{source.value} {day}: {problem}")
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
