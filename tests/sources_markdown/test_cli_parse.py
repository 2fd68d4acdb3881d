"""`papers-bot parse` and the file loader behind it: format detection, clean failures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import SourceKind
from bot.sources.errors import ParseError, SourceError
from bot.sources.files import UnreadableFileError, decode_body, load_digest_file

FIXTURES = Path(__file__).parent / "fixtures"
DRIFT = FIXTURES / "drift.md"
HF_JSON = FIXTURES / "hf_daily.json"
DESIGN_KEYS = [
    "date",
    "arxiv_id",
    "title",
    "url",
    "votes",
    "authors",
    "authors_truncated",
    "media",
    "bullets",
]


def _rows(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_parse_prints_one_json_line_per_paper(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(DRIFT)]) == 0
    out, err = capsys.readouterr()
    rows = _rows(out)
    assert err == ""
    assert len(rows) == 6
    assert all(list(row)[:9] == DESIGN_KEYS for row in rows)
    assert rows[1]["title"] == (
        "Loop[s] & *Knots*: `tie()` $O(n^2)$ <think> (Almost) @everyone <!channel>"
    )
    assert rows[1]["media"] == {
        "kind": "video",
        "url": "https://cdn-uploads.huggingface.co/production/uploads/abc/Knots.mp4",
    }
    assert rows[1]["votes"] is None
    assert rows[0]["bullets"][0] == (  # type: ignore[index]
        "***What's New***: 얼룩말 모델은 줄무늬를 세는 새로운 방법을 제안합니다."
    )
    assert "얼룩말" in out  # ensure_ascii=False: Hangul is written as is


def test_parse_reads_hf_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(HF_JSON)]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [row["arxiv_id"] for row in rows] == ["3102.00011", "3102.00012"]
    assert rows[0]["votes"] == 17
    assert rows[0]["source"] == "hf"
    assert all(list(row)[:9] == DESIGN_KEYS for row in rows)


def test_bad_files_are_reported_and_the_good_ones_still_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes(
        "## Daily Papers (2031-02-03)\n### [Caf\xe9](https://x/1)\n".encode("latin-1")
    )
    prose = tmp_path / "notes.md"
    prose.write_text("# Notes\n\nNothing to see.\n", encoding="utf-8")
    missing = tmp_path / "missing.md"
    code = main(["parse", str(missing), str(latin1), str(DRIFT), str(prose), str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(_rows(out)) == 6
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[0] == f"papers-bot parse: {missing}: cannot read: No such file or directory"
    assert lines[1].startswith(f"papers-bot parse: {latin1}: not UTF-8 text (invalid byte 0xe9")
    assert lines[2].startswith(f"papers-bot parse: {prose}: not a markdown digest")
    assert lines[3].startswith(f"papers-bot parse: {tmp_path}: cannot read: ")


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    script = shutil.which("papers-bot", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run(
        [script, "parse", str(DRIFT), str(tmp_path / "nope.md")],
        capture_output=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},  # a C locale must not break UTF-8 output
    )
    assert result.returncode == 1
    assert len(result.stdout.decode("utf-8").splitlines()) == 6
    assert (
        result.stderr.decode().strip().endswith("nope.md: cannot read: No such file or directory")
    )


def test_decode_body_strips_a_bom_and_refuses_other_encodings() -> None:
    assert decode_body("\ufeff## 제목".encode(), origin="x") == "## 제목"
    with pytest.raises(ParseError, match=r"^https://h/d\.md: not UTF-8 text .* offset 3\)$"):
        decode_body(b"abc\xff\xfe", origin="https://h/d.md")


def test_load_digest_file_detects_the_format_by_content(tmp_path: Path) -> None:
    as_txt = tmp_path / "saved.txt"
    as_txt.write_bytes(HF_JSON.read_bytes())
    assert load_digest_file(as_txt).source is SourceKind.HF
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"papers": json.loads(HF_JSON.read_text())}), encoding="utf-8")
    assert len(load_digest_file(wrapped).papers) == 2
    markdown_named_json = tmp_path / "digest.json"
    markdown_named_json.write_bytes(DRIFT.read_bytes())
    assert load_digest_file(markdown_named_json).source is SourceKind.MARKDOWN


def test_a_saved_answer_with_an_absurd_number_is_still_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    text = HF_JSON.read_text(encoding="utf-8").replace('"upvotes": 17', '"upvotes": ' + "9" * 5000)
    path.write_text(text, encoding="utf-8")
    digest = load_digest_file(path)
    assert digest.source is SourceKind.HF
    assert [(p.arxiv_id, p.votes) for p in digest.papers] == [
        ("3102.00011", None),
        ("3102.00012", None),
    ]


def test_markdown_opening_with_a_bracket_is_not_taken_for_json(tmp_path: Path) -> None:
    path = tmp_path / "2031" / "02" / "09.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "[Mirror](https://example.com)\n\n### [A](https://arxiv.org/abs/3102.00001)\n- a\n"
    )
    digest = load_digest_file(path)
    assert [p.title for p in digest.papers] == ["A"]
    assert digest.date.isoformat() == "2031-02-09"  # no header: dated by its path


def test_empty_json_answer_is_dated_by_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "2031-02-08.json"
    path.write_text("[]", encoding="utf-8")
    digest = load_digest_file(path)
    assert digest.papers == ()
    assert digest.date.isoformat() == "2031-02-08"


@pytest.mark.parametrize("content", ['{"error": "Invalid date"}', '"just a string"', "[1, 2"])
def test_json_that_is_no_answer_is_a_parse_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "answer.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError):
        load_digest_file(path)


def test_unreadable_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot read"):
        load_digest_file(tmp_path / "absent.md")
