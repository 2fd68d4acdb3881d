"""Bulk imports (DigestWriter.bulk, pipelined) on both backends: the same rows as saving digest
by digest, idempotent, and correct when another writer saves between planning and writing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.models import Digest, SourceKind
from bot.store import Backend, Store, open_store
from bot.store.importer import import_files
from tests.store.factories import DAY, digest, paper
from tests.store.tables import dump_tables, semantic_tables, vote_history, wipe


def _day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def _archive() -> list[Digest]:
    """Six days over two sources. Paper 1 is in nearly every digest (so in every batch of a
    small-batch import), its votes rise, fall back on an older day and its author list grows;
    paper 2 has no arXiv id; paper 3 gets an English summary from the HF source later."""
    one = paper("2405.00001", authors=("Ada Quill",), authors_truncated=True)
    two = paper(None, title="Notes On Things", votes=None, bullets=("메모입니다.",))
    three = paper("2405.00003", title="Third Paper", votes=1, keywords=("moe",))
    out: list[Digest] = []
    for n, votes in enumerate([3, 5, 5, 9]):
        day = _day(n)
        extra = [paper(f"2405.0010{n}", title=f"Filler {n}", date=day, votes=n)]
        out.append(
            digest(
                dataclasses.replace(one, date=day, votes=votes),
                *(extra if n % 2 else [dataclasses.replace(two, date=day)]),
                dataclasses.replace(three, date=day, votes=votes + 1),
                date=day,
            )
        )
    hf: dict[str, Any] = {"source": SourceKind.HF, "language": "en"}
    out.append(
        digest(
            dataclasses.replace(
                one, date=_day(1), votes=7, authors=("Ada Quill", "Bo Ramsey"), **hf
            ),
            dataclasses.replace(
                three, date=_day(1), votes=2, bullets=(), abstract="We study a third thing.", **hf
            ),
            date=_day(1),
            source=SourceKind.HF,
        )
    )
    out.append(digest(dataclasses.replace(one, date=_day(5), votes=12), date=_day(5)))
    return out


async def _bulk(store: Store, batch: list[Digest], batch_papers: int) -> tuple[int, int, int]:
    async with store.writer.bulk(batch_papers) as bulk:
        for day in batch:
            await bulk.add(day)
    assert bulk.replanned == 0  # no other writer: every batch written as planned ahead
    r = bulk.result
    return r.digests_changed, r.papers_inserted, r.vote_changes


@pytest.mark.parametrize("batch_papers", [1, 3, 100])
async def test_bulk_import_equals_saving_digest_by_digest(store: Store, batch_papers: int) -> None:
    archive = _archive()
    one_by_one = [await store.writer.save(d) for d in archive]
    expected = await semantic_tables(store)
    # The HF day repeats an older day's count: no change of the current votes.
    assert expected["votes"]["2405.00001"] == [3, 5, 9, 12]
    await wipe(store)

    counts = await _bulk(store, archive, batch_papers)

    assert await semantic_tables(store) == expected
    assert counts == (
        len(archive),
        sum(r.papers_inserted for r in one_by_one),
        sum(r.vote_changes for r in one_by_one),
    )
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert (stored.votes, stored.authors, stored.authors_truncated) == (
        12,
        ("Ada Quill", "Bo Ramsey"),
        True,
    )


async def test_importing_twice_changes_nothing(store: Store) -> None:
    await _bulk(store, _archive(), 3)
    before = await dump_tables(store)
    assert await _bulk(store, _archive(), 3) == (0, 0, 0)
    assert await dump_tables(store) == before


async def test_a_changed_day_in_a_reimport_updates_its_papers(store: Store) -> None:
    await _bulk(store, _archive(), 3)
    changed = _archive()
    last = changed[-1]
    changed[-1] = dataclasses.replace(
        last, papers=(dataclasses.replace(last.papers[0], votes=20, github_url="https://g/x"),)
    )
    assert await _bulk(store, changed, 3) == (1, 0, 1)
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert (stored.votes, stored.github_url) == (20, "https://g/x")
    assert await vote_history(store, stored.id) == [3, 5, 9, 12, 20]
    hits = await store.searcher.search("2405.00001", limit=1)
    assert [h.paper.key for h in hits] == ["2405.00001"]


async def test_a_save_between_planning_and_writing_is_merged(store: Store) -> None:
    """Another writer saves a digest with the batch's papers after the batch was planned:
    the write notices, plans again in its transaction, and nothing is lost."""
    archive = _archive()
    batch, other = (
        archive[:3],
        digest(
            paper("2405.00001", date=_day(9), votes=40),
            paper("2405.00003", title="Third Paper", date=_day(9), votes=30),
            paper("2405.00101", title="Filler 1", date=_day(9), votes=8),
            date=_day(9),
        ),
    )
    for d in [batch[0], other, *batch[1:]]:
        await store.writer.save(d)
    expected = await semantic_tables(store)
    await wipe(store)

    writer = store.writer
    await writer.save(batch[0])
    plan = await writer._plan_ahead(batch[1:], None)  # papers 1 and 3 known, 2405.00101 new
    await writer.save(other)  # changes 1 and 3, and inserts a paper of the plan
    result, ids = await writer._write_planned(plan, {}, batch[1:])

    assert ids is None  # planned again
    assert result.digests_changed == 2
    assert await semantic_tables(store) == expected


async def test_a_batch_inserting_a_paper_saved_meanwhile_is_merged(store: Store) -> None:
    fresh = digest(paper("2405.00201", title="Fresh", votes=2), date=_day(1))
    rival = digest(paper("2405.00201", title="Fresh", votes=5, date=_day(2)), date=_day(2))
    for d in [rival, fresh]:
        await store.writer.save(d)
    expected = await semantic_tables(store)
    await wipe(store)

    plan = await store.writer._plan_ahead([fresh], None)
    await store.writer.save(rival)
    _, ids = await store.writer._write_planned(plan, {}, [fresh])

    assert ids is None
    assert await semantic_tables(store) == expected
    assert await store.papers.count() == 1


async def test_summaries_are_stored_as_written_not_escaped(store: Store) -> None:
    await _bulk(store, [digest(paper())], 10)
    async with store.db.read() as conn:
        raw = (
            await conn.execute(sa.text("SELECT CAST(bullets AS TEXT) FROM paper_summaries"))
        ).one()
    assert "희소 전문가" in raw[0]


async def _fts_settings(store: Store) -> dict[str, dict[str, int]]:
    """Each FTS5 table's write settings in effect (FTS5's defaults where none was written)."""
    found: dict[str, dict[str, int]] = {}
    async with store.db.read() as conn:
        for table in ("paper_names", "paper_words"):
            rows = await conn.execute(sa.text(f"SELECT k, v FROM {table}_config"))
            found[table] = {
                "automerge": 4,
                "hashsize": 1024 * 1024,
                **{str(k): int(v) for k, v in rows.all()},
            }
    return found


async def test_sqlite_search_indexes_stay_consistent_and_settings_are_restored(
    store: Store,
) -> None:
    if store.backend is not Backend.SQLITE:
        pytest.skip("FTS5 settings")
    before = await _fts_settings(store)
    await _bulk(store, _archive(), 3)
    changed = _archive()
    zebra = dataclasses.replace(changed[-1].papers[0], bullets=("얼룩말 줄무늬를 셉니다.",))
    changed[-1] = dataclasses.replace(changed[-1], papers=(zebra,))
    await _bulk(store, changed, 3)
    async with store.db.write() as conn:
        for table in ("paper_names", "paper_words"):
            await conn.execute(sa.text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
    assert await _fts_settings(store) == before
    assert before["paper_words"]["hashsize"] == 16 * 1024 * 1024  # the migration's
    # The newer summary replaced the old one, in the row and in the word index.
    assert [h.paper.key for h in await store.searcher.search("얼룩말")] == ["2405.00001"]
    assert await store.searcher.search("희소 전문가") != []  # other papers keep theirs


async def test_bulk_import_into_a_database_in_memory() -> None:
    """One connection only: batches are planned inside their own transaction instead."""
    async with open_store("sqlite:///:memory:") as store:
        assert not store.writer.pipelined
        for d in _archive():
            await store.writer.save(d)
        expected = await semantic_tables(store)
        await wipe(store)
        await _bulk(store, _archive(), 3)
        assert await semantic_tables(store) == expected


def _markdown(day: dt.date, arxiv_id: str, title: str) -> str:
    return "\n".join(
        [
            f"## Daily Papers ({day.isoformat()})",
            "",
            f"### [{title}](https://arxiv.org/abs/{arxiv_id})",
            "",
            "Vote: 4",
            "",
            "- 요약입니다.",
            "",
        ]
    )


async def test_import_skips_a_bad_file_and_keeps_the_rest(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "01.md").write_text(_markdown(DAY, "2405.00301", "Good One"), encoding="utf-8")
    (folder / "02.md").write_bytes(b"## Daily Papers \xff\xfe not UTF-8")
    (folder / "03.md").write_text(_markdown(_day(2), "2405.00302", "Good Two"), encoding="utf-8")
    files = sorted(folder.iterdir())
    seen: list[str] = []
    report = await import_files(store, files, progress=seen.append)
    [failure] = report.failures
    assert failure.startswith(f"{folder / '02.md'}: not UTF-8 text (invalid byte 0xff")
    assert seen == [str(p) for p in files]
    assert (report.digests_changed, report.papers_inserted) == (2, 2)
    assert await store.papers.count() == 2
