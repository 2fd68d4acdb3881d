"""Whatever arrives, the parser answers with a Digest or a ParseError, nothing else; and a
well-formed digest it is given comes back exactly."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Digest
from bot.sources.errors import ParseError
from bot.sources.files import decode_body
from bot.sources.markdown import parse_markdown_digest
from bot.sources.numbers import MAX_COUNT

FIXTURE = (Path(__file__).parent / "fixtures" / "drift.md").read_bytes()
FIXTURE_LINES = FIXTURE.split(b"\n")

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text that looks like digest material, so random input reaches the deep branches.
FRAGMENTS = st.sampled_from(
    [
        "## Daily Papers (2031-02-03)",
        "## Daily Papers (",
        "### [",
        "](",
        ")",
        "![](",
        "[Watch Video]",
        "<div><video src='",
        "Vote: ",
        "Authors: ['",
        "', ",
        "+",
        "- ",
        "  - ",
        "1) ",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "\x00",
        "/avatars/a.svg",
        "https://arxiv.org/abs/3102.00001v2",
        ".mp4",
        "가나다",
    ]
)
DIGESTISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=60).map("".join)


def _check(text: str) -> None:
    try:
        digest = parse_markdown_digest(text)
    except ParseError as exc:
        error = str(exc)
    else:
        _check_digest(digest, text)
        return
    assert error
    assert "\n" not in error


def _check_digest(digest: Digest, text: str) -> None:
    assert isinstance(digest, Digest)
    assert len(digest.papers) <= text.count("### [")
    for paper in digest.papers:
        assert paper.url
        assert paper.title
        assert all(bullet and bullet == bullet.strip() for bullet in paper.bullets)
        assert "+" not in paper.authors
        json.dumps(paper.to_json(), ensure_ascii=False)


@PROPERTY_SETTINGS
@given(st.text())
def test_arbitrary_text_only_ever_raises_parse_error(text: str) -> None:
    _check(text)


@PROPERTY_SETTINGS
@given(st.text() | st.integers().map(str) | st.floats().map(str))
def test_any_vote_value_is_a_count_or_unknown(value: str) -> None:
    value = value.replace("\n", " ").replace("\r", " ")  # one line: only the vote varies
    text = (
        f"## Daily Papers (2031-02-03)\n### [T](https://arxiv.org/abs/3102.00001)\nVote: {value}\n"
    )
    (paper,) = parse_markdown_digest(text).papers
    assert paper.votes is None or 0 <= paper.votes <= MAX_COUNT


@PROPERTY_SETTINGS
@given(DIGESTISH)
def test_digest_like_noise_only_ever_raises_parse_error(text: str) -> None:
    _check(text)


MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "flip", "insert", "rewrite"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=255),
    st.one_of(FRAGMENTS, st.text(max_size=6)),
)


def _mutate(lines: list[bytes], kind: str, where: int, byte: int, text: str) -> list[bytes]:
    if not lines:
        return [bytes([byte])]
    index = where % len(lines)
    line = lines[index]
    if kind == "rewrite":  # keep the line's start (its "Vote: " or "### [") and garble the rest
        garbled = line[: byte % (len(line) + 1)] + text.encode()
        return [*lines[:index], garbled, *lines[index + 1 :]]
    if kind == "delete":
        return lines[:index] + lines[index + 1 :]
    if kind == "duplicate":
        return lines[: index + 1] + lines[index:]
    if kind == "swap":
        other = (index * 7 + byte) % len(lines)
        lines = list(lines)
        lines[index], lines[other] = lines[other], lines[index]
        return lines
    if kind == "insert":
        return [*lines[:index], bytes([byte]) * (where % 5), *lines[index:]]
    flipped = bytearray(line) or bytearray(b" ")
    flipped[where % len(flipped)] ^= byte or 1
    return [*lines[:index], bytes(flipped), *lines[index + 1 :]]


@PROPERTY_SETTINGS
@given(st.lists(MUTATION, min_size=1, max_size=12))
def test_mutated_digests_only_ever_raise_parse_error(
    mutations: list[tuple[str, int, int, str]],
) -> None:
    lines = list(FIXTURE_LINES)
    for mutation in mutations:
        lines = _mutate(lines, *mutation)
    data = b"\n".join(lines)
    try:
        text = decode_body(data, origin="mutated.md")
    except ParseError:
        text = data.decode("utf-8", "replace")  # the parser still gets to see the damage
    _check(text)


# A well-formed digest written from random papers must read back exactly.
@dataclass(frozen=True)
class Written:
    title: str
    arxiv_id: str
    votes: int | None
    authors: list[str]
    truncated: bool
    bullets: list[str]


LINE_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="\x85"
)
LINE = st.text(LINE_CHARS, min_size=1, max_size=40).map(str.strip).filter(bool)
NAME = LINE.filter(
    lambda name: "," not in name and name != "+" and not name.endswith(" +") and name[0] != "["
)
WRITTEN = st.builds(
    Written,
    title=LINE,
    arxiv_id=st.from_regex(r"\A[0-9]{4}\.[0-9]{5}\Z"),
    votes=st.none() | st.integers(min_value=0, max_value=10**6),
    authors=st.lists(NAME, max_size=5),
    truncated=st.booleans(),
    bullets=st.lists(LINE, min_size=1, max_size=4),
)


def _write(day: dt.date, papers: list[Written]) -> str:
    out = [f"## Daily Papers ({day.isoformat()})", ""]
    for paper in papers:
        names = [*paper.authors, "+"] if paper.truncated else paper.authors
        out += [
            f"### [{paper.title}](https://arxiv.org/abs/{paper.arxiv_id})",
            "",
            f"Vote: {'-' if paper.votes is None else paper.votes}",
            "",
            "Authors: " + ", ".join(names),
            "",
            *(f"- {bullet}" for bullet in paper.bullets),
            "",
        ]
    return "\n".join(out)


@settings(max_examples=100, deadline=None)
@given(st.dates(), st.lists(WRITTEN, max_size=6))
def test_written_digest_reads_back(day: dt.date, papers: list[Written]) -> None:
    digest = parse_markdown_digest(_write(day, papers))
    assert digest.date == day
    got = [
        Written(
            title=p.title,
            arxiv_id=p.arxiv_id or "",
            votes=p.votes,
            authors=list(p.authors),
            truncated=p.authors_truncated,
            bullets=list(p.bullets),
        )
        for p in digest.papers
    ]
    assert got == papers
