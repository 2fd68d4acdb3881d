"""`papers-bot db`, `import` and `search` end to end, on SQLite and on PostgreSQL.

The commands run as an operator runs them (argv in, exit code and stdout out), each in a
thread of its own because they start their own event loop; the fake digest source keeps
serving from the test's loop meanwhile. PostgreSQL commands get a throw-away database, since
the commands take nothing but DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.store import Store
from bot.store.importer import digest_files, import_files
from bot.store.migrate import head_revision
from tests.fakes.source import FakeSource, fake_source  # noqa: F401  (registers the fixture)
from tests.store.conftest import Backend, pg_url

DAY = dt.date(2031, 2, 3)


def _digest_markdown(day: dt.date, papers: list[tuple[str, str, int, str]]) -> str:
    """A synthetic digest in the upstream format: (arXiv id, title, votes, Korean bullet)."""
    parts = [f"## Daily Papers ({day.isoformat()})", ""]
    for arxiv_id, title, votes, bullet in papers:
        parts += [
            f"### [{title}](https://arxiv.org/abs/{arxiv_id})",
            "",
            f"![](https://example.org/{arxiv_id}.png)",
            "",
            f"Vote: {votes}",
            "",
            "Authors: Ada Quill, Bram Ostrander",
            "",
            f"- {bullet}",
            "",
        ]
    return "\n".join(parts)


FIRST_DAY = [
    ("3102.00001", "Zebra Models Count Stripes", 42, "얼룩말 모델은 줄무늬를 셉니다."),
    ("3102.00002", "Striped Attention for Zebra Crossings", 7, "횡단보도 주의 기법입니다."),
    ("3102.00003", "A Survey of Stripes", 99, "줄무늬 연구를 정리합니다."),
]
SECOND_DAY = [
    ("3102.00004", "Counting Without Zebras", 3, "얼룩말 없이 셉니다."),
    ("3102.00001", "Zebra Models Count Stripes", 50, "얼룩말 모델은 줄무늬를 셉니다."),
]


@pytest.fixture
async def cli_db(backend: Backend, tmp_path: Path) -> AsyncIterator[str]:
    """A DATABASE_URL of an empty database on the backend under test."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    name = f"papers_bot_cli_{uuid.uuid4().hex[:10]}"
    admin = pg_url().replace("postgresql://", "postgres://")
    conn = await asyncpg.connect(admin, timeout=3)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield pg_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        conn = await asyncpg.connect(admin, timeout=3)
        with contextlib.suppress(asyncpg.PostgresError):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    return code, capsys.readouterr().out


def _write_digests(folder: Path) -> Path:
    for day, papers in ((DAY, FIRST_DAY), (DAY + dt.timedelta(days=1), SECOND_DAY)):
        path = folder / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_digest_markdown(day, papers), encoding="utf-8")
    (folder / "README.md").write_text("not a digest", encoding="utf-8")
    return folder


async def test_db_upgrade_and_current(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", cli_db)
    head = head_revision()
    assert await _run(capsys, "db", "current") == (0, f"empty (head is {head})\n")
    assert await _run(capsys, "db", "upgrade", "0001") == (
        0,
        "database at revision 0001 (was empty)\n",
    )
    assert await _run(capsys, "db", "current") == (0, f"0001 (head is {head})\n")
    assert await _run(capsys, "db", "upgrade") == (0, f"database at revision {head} (was 0001)\n")
    assert await _run(capsys, "db", "current") == (0, f"{head} (up to date)\n")


async def test_import_twice_then_search(
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", cli_db)
    folder = _write_digests(tmp_path / "digests")

    code, out = await _run(capsys, "import", str(folder))
    assert code == 0
    # One batch: the paper seen on both days is merged before it is written, so it is new.
    assert out == (
        "2 digests imported, 0 unchanged, 0 not published, 0 failed; "
        "5 papers seen, 4 new, 0 updated\n"
    )
    code, out = await _run(capsys, "import", str(folder))
    assert code == 0
    assert out == (
        "0 digests imported, 2 unchanged, 0 not published, 0 failed; "
        "5 papers seen, 0 new, 0 updated\n"
    )

    code, out = await _run(capsys, "search", "zebra", "--json")
    assert code == 0
    hits = [json.loads(line) for line in out.splitlines()]
    assert [h["arxiv_id"] for h in hits] == ["3102.00001", "3102.00002", "3102.00004"]
    first = hits[0]
    assert {"arxiv_id", "title", "url", "votes", "date"} <= first.keys()
    assert first["title"] == "Zebra Models Count Stripes"
    assert first["url"] == "https://arxiv.org/abs/3102.00001"
    assert first["votes"] == 50  # the later digest's count
    assert first["date"] == DAY.isoformat()  # first seen

    code, out = await _run(capsys, "search", "zebra", "--json", "--limit", "1")
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["3102.00001"]
    code, out = await _run(capsys, "search", "줄무늬를", "--json")
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["3102.00001"]
    code, out = await _run(capsys, "search", "3102.00003")
    assert code == 0
    assert "A Survey of Stripes" in out
    assert "https://arxiv.org/abs/3102.00003" in out


async def test_import_reports_progress_per_file(store: Store, tmp_path: Path) -> None:
    folder = _write_digests(tmp_path / "digests")
    files = digest_files(folder)
    assert [p.name for p in files] == ["03.md", "04.md"]  # README.md is not a digest
    seen: list[str] = []
    report = await import_files(store, files, progress=seen.append)
    assert seen == [str(p) for p in files]
    assert (report.digests_changed, report.papers_inserted) == (2, 4)


async def test_import_a_date_range_from_the_source(
    cli_db: str,
    fake_source: FakeSource,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_source.add_digest(DAY, _digest_markdown(DAY, FIRST_DAY))
    later = DAY + dt.timedelta(days=2)
    fake_source.add_digest(later, _digest_markdown(later, SECOND_DAY))
    monkeypatch.setenv("DATABASE_URL", cli_db)
    monkeypatch.setenv("SOURCES", "markdown")
    monkeypatch.setenv("DIGEST_URL_TEMPLATE", fake_source.digest_template)
    start, end = DAY.isoformat(), (DAY + dt.timedelta(days=2)).isoformat()

    code, out = await _run(capsys, "import", "--from", start, "--to", end)
    assert code == 0
    assert out == (
        "2 digests imported, 0 unchanged, 1 not published, 0 failed; "
        "5 papers seen, 4 new, 1 updated\n"
    )
    assert len(fake_source.requests_to("/digests/")) == 3

    code, out = await _run(capsys, "import", "--from", start, "--to", end)
    assert code == 0
    assert out.startswith("0 digests imported, 2 unchanged, 1 not published, 0 failed;")
    # The second pass asked conditionally with what the first one stored: nothing re-sent.
    again = fake_source.requests_to("/digests/")[3:]
    assert sum("If-None-Match" in r.headers for r in again) == 2

    code, out = await _run(capsys, "search", "3102.00004", "--json")
    assert json.loads(out)["arxiv_id"] == "3102.00004"


async def test_import_argument_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import"])
    with pytest.raises(SystemExit):
        main(["import", "--from", "2024-01-01"])
    assert "--from and --to go together" in capsys.readouterr().err


def _hf_item(arxiv_id: str, title: str, votes: int, day: dt.date) -> dict[str, object]:
    """One paper of a saved HF daily-papers answer."""
    submitted = f"{day.isoformat()}T08:00:00.000Z"
    return {
        "paper": {"id": arxiv_id, "title": title, "upvotes": votes, "submittedOnDailyAt": submitted}
    }


def _mixed_folder(folder: Path) -> dict[str, Path]:
    """Three good digests (one with an impossible vote count) among every kind of bad file,
    and two files that are not digests."""
    month = folder / "2031" / "02"
    month.mkdir(parents=True)
    day4 = DAY + dt.timedelta(days=1)
    files = {
        "good_md": month / "03.md",
        "good_json": month / "04.json",
        "bad_json": month / "05.json",
        "empty": month / "06.md",
        "binary": month / "07.md",
        "nul": month / "08.json",
        "votes": month / "09.json",
        "prose": folder / "notes.md",
    }
    files["good_md"].write_text(_digest_markdown(DAY, FIRST_DAY), encoding="utf-8")
    good = [_hf_item("3102.00011", "Counting Sheep at Scale", 17, day4)]
    files["good_json"].write_text(json.dumps(good), encoding="utf-8")
    files["bad_json"].write_text('[{"paper": {"id": "3102.00012"', encoding="utf-8")
    files["empty"].write_text("\n", encoding="utf-8")
    files["binary"].write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    nul = [_hf_item("3102.00013", "Null\u0000Title", 3, day4)]
    files["nul"].write_text(json.dumps(nul), encoding="utf-8")
    # Too many votes to be true: the sources read it as an unknown count, the paper is kept.
    day5 = DAY + dt.timedelta(days=2)
    files["votes"].write_text(json.dumps([_hf_item("3102.00014", "Loud", 2**40, day5)]))
    files["prose"].write_text("# Notes\n\nNothing here is a digest.\n", encoding="utf-8")
    (folder / "README.md").write_text("# Digests\n", encoding="utf-8")
    (folder / ".github").mkdir()
    (folder / ".github" / "ISSUE_TEMPLATE.md").write_text("Describe the bug\n", encoding="utf-8")
    return files


async def test_import_names_each_bad_file_and_keeps_every_good_one(
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", cli_db)
    files = _mixed_folder(tmp_path / "digests")
    capsys.readouterr()

    code = await asyncio.to_thread(main, ["import", str(tmp_path / "digests")])
    out, err = capsys.readouterr()

    assert code == 1
    assert out == (
        "3 digests imported, 0 unchanged, 0 not published, 5 failed; "
        "5 papers seen, 5 new, 0 updated\n"
    )
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 5, err
    expected = [
        (files["bad_json"], "not valid JSON (Expecting ',' delimiter at line 1 column 31)"),
        (files["empty"], "empty file"),
        (files["binary"], "not UTF-8 text (invalid byte 0xff at offset 0)"),
        (files["nul"], "paper 3102.00013: text holds a NUL character"),
        (files["prose"], "not a markdown digest"),
    ]
    for line, (path, reason) in zip(lines, expected, strict=True):
        assert line.startswith(f"papers-bot import: {path}: {reason}")

    code, out = await _run(capsys, "search", "3102.00014", "--json")
    assert json.loads(out)["votes"] is None
    code, out = await _run(capsys, "search", "counting sheep", "--json")
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["3102.00011"]
    code, out = await _run(capsys, "search", "3102.00003", "--json")
    assert json.loads(out)["title"] == "A Survey of Stripes"
