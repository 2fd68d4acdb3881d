"""Every digest of the corpus (the shipped fixtures, and every real day when the full corpus
is present), checked against a deliberately naive reading.

The reference below walks each file line by line with the simplest rules that fit the
corpus (it is allowed to be brittle on anything else), so a shortcut in the parser's own
helpers can't make both sides agree by accident.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.sources.files import load_digest_file
from tests.conftest import DigestCorpus

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
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".qt")
HANGUL = re.compile("[가-힣]")


def _plain(line: str) -> str:
    """TAB becomes a space, every other control character (C0, DEL) goes."""
    out = []
    for char in line:
        if char == "\t":
            out.append(" ")
        elif ord(char) >= 32 and ord(char) != 127:
            out.append(char)
    return "".join(out)


def _media(url: str) -> dict[str, str]:
    if url.startswith("/"):
        url = "https://huggingface.co" + url
    kind = "video" if url.lower().endswith(VIDEO_SUFFIXES) else "image"
    return {"kind": kind, "url": url}


def _authors(value: str) -> tuple[list[str], bool]:
    if value.startswith("["):
        names = ast.literal_eval(value)
    else:
        names = [name.strip() for name in value.split(",")]
    truncated = "+" in names
    return [name for name in names if name and name != "+"], truncated


def reference_read(path: Path) -> list[dict[str, Any]]:
    papers: list[dict[str, Any]] = []
    date = None
    paper: dict[str, Any] | None = None
    for raw in path.read_text(encoding="utf-8").split("\n"):
        line = _plain(raw)
        if line.startswith("## Daily Papers ("):
            date = line[len("## Daily Papers (") :][:10]
            paper = None
        elif line.startswith("### ["):
            title, link = line[len("### [") :].rsplit("](", 1)
            url = link.rstrip()[:-1]
            arxiv_id = url.rsplit("/", 1)[1]
            paper = {
                "date": date,
                "arxiv_id": re.sub(r"v\d+$", "", arxiv_id),
                "title": title.strip(),
                "url": url,
                "votes": None,
                "authors": [],
                "authors_truncated": False,
                "media": None,
                "bullets": [],
            }
            papers.append(paper)
        elif paper is None:
            continue
        elif line.startswith("- "):
            paper["bullets"].append(line[2:].strip())
        elif paper["bullets"]:
            if line.strip():
                paper["bullets"][-1] += "\n" + line.rstrip()
        elif line.startswith("Vote: "):
            value = line[len("Vote: ") :].strip()
            paper["votes"] = None if value == "-" else int(value)
        elif line.startswith("Authors: "):
            names, truncated = _authors(line[len("Authors: ") :].strip())
            paper["authors"] = names
            paper["authors_truncated"] = truncated
        elif paper["media"] is None and line.startswith("![]("):
            paper["media"] = _media(line[len("![](") : line.rindex(")")])
        elif paper["media"] is None and line.startswith("[Watch Video]"):
            paper["media"] = _media(line[len("[Watch Video]") :].strip("()"))
        elif paper["media"] is None and line.startswith("<video src='"):
            paper["media"] = _media(line.split("'")[1])
    return papers


def test_every_corpus_file_matches_the_reference_reading(corpus: DigestCorpus) -> None:
    files = corpus.days
    assert len(files) >= corpus.min_days
    mismatches: list[str] = []
    total = 0
    for path in files:
        expected = reference_read(path)
        headings = sum(
            line.startswith("### [") for line in path.read_text(encoding="utf-8").split("\n")
        )
        digest = load_digest_file(path)
        got = [paper.to_json() for paper in digest.papers]
        total += len(got)
        if len(got) != headings or len(expected) != headings:
            mismatches.append(f"{path}: {len(got)} papers, {headings} headings")
            continue
        if digest.date.isoformat() != expected[0]["date"]:
            mismatches.append(f"{path}: digest date {digest.date}")
        for want, have in zip(expected, got, strict=True):
            for key in DESIGN_KEYS:
                if have[key] != want[key]:
                    mismatches.append(f"{path}: {want['title'][:40]!r} {key}: {have[key]!r}")
            language = "ko" if HANGUL.search(want["bullets"][0]) else "en"
            if have["language"] != language:
                mismatches.append(f"{path}: {want['title'][:40]!r} language {have['language']}")
        if digest.language != "ko":
            mismatches.append(f"{path}: digest language {digest.language}")
    assert mismatches == [], "\n".join(mismatches[:20])
    assert total >= corpus.min_papers


def test_cli_parse_prints_every_corpus_paper_as_a_json_line(
    corpus: DigestCorpus, capsys: pytest.CaptureFixture[str]
) -> None:
    files = corpus.days
    assert len(files) >= corpus.min_days
    assert main(["parse", *map(str, files)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    expected = [paper for path in files for paper in reference_read(path)]
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert list(row)[: len(DESIGN_KEYS)] == DESIGN_KEYS
        assert {key: row[key] for key in DESIGN_KEYS} == want
