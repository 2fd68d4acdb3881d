"""One synthetic digest per drift the real corpus shows (and a few it may show tomorrow)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.models import Media, MediaKind, SourceKind
from bot.sources.errors import ParseError
from bot.sources.markdown import parse_markdown_digest

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "## Daily Papers (2031-02-03)\n\n"


@dataclass(frozen=True)
class Case:
    name: str
    body: str  # one paper block (heading included) appended to HEADER
    expect: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "vote_number",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nVote: 42\n\n- b\n",
        {"votes": 42},
    ),
    Case(
        "vote_dash_is_unknown",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nVote: -\n\n- b\n",
        {"votes": None},
    ),
    Case(
        "vote_missing_is_unknown",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nAuthors: A\n\n- b\n",
        {"votes": None, "authors": ("A",)},
    ),
    Case(
        "vote_with_thousands_separator",
        "### [T](https://arxiv.org/abs/3102.00001)\nVote: 1,204\n- b\n",
        {"votes": 1204},
    ),
    Case(
        "vote_as_decimal_with_zero_fraction",
        "### [T](https://arxiv.org/abs/3102.00001)\nVote: 21.0\n- b\n",
        {"votes": 21},
    ),
    *(
        Case(
            f"vote_not_a_count_{n}",
            f"### [T](https://arxiv.org/abs/3102.00001)\nVote: {value}\n- b\n",
            {"votes": None, "bullets": ("b",)},
        )
        for n, value in enumerate(["2.5", "-4", "1,2,3", "99999999999", "9" * 5000, "many", "✓"])
    ),
    Case(
        "authors_missing",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nVote: 3\n\n- b\n",
        {"authors": (), "authors_truncated": False},
    ),
    Case(
        "authors_trailing_plus",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nAuthors: Ann Lee, Bo Chen, +\n\n- b\n",
        {"authors": ("Ann Lee", "Bo Chen"), "authors_truncated": True},
    ),
    Case(
        "authors_plus_in_the_middle",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nAuthors: Ann Lee, +, Bo Chen\n\n- b\n",
        {"authors": ("Ann Lee", "Bo Chen"), "authors_truncated": True},
    ),
    Case(
        "authors_trailing_comma",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nAuthors: Ann Lee, Bo Chen,\n\n- b\n",
        {"authors": ("Ann Lee", "Bo Chen"), "authors_truncated": False},
    ),
    Case(
        "authors_python_list_with_quotes",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "Authors: ['Ann Lee', \"Oona O'Brien\", 'Pat \\'Q\\' Ray']\n\n- b\n",
        {"authors": ("Ann Lee", "Oona O'Brien", "Pat 'Q' Ray"), "authors_truncated": False},
    ),
    Case(
        "authors_python_list_with_plus",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "Authors: ['Ann Lee', 'Bo Chen', '+']\n\n- b\n",
        {"authors": ("Ann Lee", "Bo Chen"), "authors_truncated": True},
    ),
    Case(
        "authors_python_list_cut_short",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nAuthors: ['Ann Lee', 'Bo Ch\n\n- b\n",
        {"authors": ("Ann Lee",), "authors_truncated": True},
    ),
    Case(
        "nested_bullets_belong_to_their_parent",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "- parent:\n  - (1) one\n  - (2) two\n- next\n",
        {"bullets": ("parent:\n  - (1) one\n  - (2) two", "next")},
    ),
    Case(
        "numbered_list_under_a_bullet",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n- steps:\n1) cut\n2) paste\n- done\n",
        {"bullets": ("steps:\n1) cut\n2) paste", "done")},
    ),
    Case(
        "numbered_list_alone",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n1. **First**: one\n2. Second\n10) Tenth\n",
        {"bullets": ("**First**: one", "Second", "Tenth")},
    ),
    Case(
        "paragraphs_alone",
        "### [T](https://arxiv.org/abs/3102.00001)\n\nPara one,\nstill one.\n\nPara two.\n",
        {"bullets": ("Para one,\nstill one.", "Para two.")},
    ),
    Case(
        "paragraph_after_the_list_is_kept",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n- a\n- b\n\nClosing words.\n",
        {"bullets": ("a", "b", "Closing words.")},
    ),
    Case(
        "star_and_plus_markers",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n* a\n+ b\n- ***c***: d\n",
        {"bullets": ("a", "b", "***c***: d")},
    ),
    Case(
        "control_characters",
        "### [T\x07ab](https://arxiv.org/abs/3102.00001)\n\n"
        "- dee\tp le\x08arning\x0c done\x7f \n- two\x00\n",
        {"title": "Tab", "bullets": ("dee p learning done", "two")},
    ),
    Case(
        "crlf_line_endings",
        "### [T](https://arxiv.org/abs/3102.00001)\r\n\r\nVote: 5\r\n\r\n- a\r\n- b\r\n",
        {"votes": 5, "bullets": ("a", "b")},
    ),
    Case(
        "hostile_title",
        "### [Loop[s] & *Knots* _x_ `tie()` $O(n^2)$ <think> (Almost) @everyone <!channel>]"
        "(https://arxiv.org/abs/3102.00002v3)\n\n- b\n",
        {
            "title": "Loop[s] & *Knots* _x_ `tie()` $O(n^2)$ <think> (Almost) @everyone <!channel>",
            "url": "https://arxiv.org/abs/3102.00002v3",
            "arxiv_id": "3102.00002",
        },
    ),
    Case(
        "title_holding_a_link",
        "### [See [this](https://example.com/a) now](https://arxiv.org/abs/3102.00003)\n- b\n",
        {"title": "See [this](https://example.com/a) now", "arxiv_id": "3102.00003"},
    ),
    Case(
        "hf_papers_url",
        "### [T](https://huggingface.co/papers/3102.00004)\n- b\n",
        {"arxiv_id": "3102.00004", "url": "https://huggingface.co/papers/3102.00004"},
    ),
    Case(
        "arxiv_pdf_url",
        "### [T](https://arxiv.org/pdf/3102.00005v2.pdf)\n- b\n",
        {"arxiv_id": "3102.00005"},
    ),
    Case(
        "old_style_arxiv_id",
        "### [T](https://arxiv.org/abs/hep-th/9901001v1)\n- b\n",
        {"arxiv_id": "hep-th/9901001"},
    ),
    Case(
        "non_arxiv_url",
        "### [T](https://example.org/paper.html)\n- b\n",
        {"arxiv_id": None, "url": "https://example.org/paper.html"},
    ),
    Case(
        "image",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n![](https://cdn.example/x.jpeg)\n\n- b\n",
        {"media": Media(MediaKind.IMAGE, "https://cdn.example/x.jpeg")},
    ),
    Case(
        "webm_written_as_image_is_a_video",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n![](https://cdn.example/x.webm)\n\n- b\n",
        {"media": Media(MediaKind.VIDEO, "https://cdn.example/x.webm")},
    ),
    Case(
        "qt_written_as_image_is_a_video",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n![](https://cdn.example/X.QT)\n\n- b\n",
        {"media": Media(MediaKind.VIDEO, "https://cdn.example/X.QT")},
    ),
    Case(
        "relative_avatar_url",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n![](/avatars/ab12.svg)\n\n- b\n",
        {"media": Media(MediaKind.IMAGE, "https://huggingface.co/avatars/ab12.svg")},
    ),
    Case(
        "watch_video_then_its_div_is_one_media",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "[Watch Video](https://cdn.example/v.mp4)\n"
        '<div><video controls src="https://cdn.example/v.mp4" muted="false"></video></div>\n\n'
        "Vote: 2\n\n- b\n",
        {"media": Media(MediaKind.VIDEO, "https://cdn.example/v.mp4"), "bullets": ("b",)},
    ),
    Case(
        "watch_video_without_parentheses",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n[Watch Video]https://cdn.example/v.mp4\n"
        "<div><video controls src='https://cdn.example/v.mp4'></video></div>\n- b\n",
        {"media": Media(MediaKind.VIDEO, "https://cdn.example/v.mp4"), "bullets": ("b",)},
    ),
    Case(
        "bare_video_tag",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n<video src='https://cdn.example/w.mp4'></video>\n"
        "\nAuthors: A\n\n- b\n",
        {"media": Media(MediaKind.VIDEO, "https://cdn.example/w.mp4"), "authors": ("A",)},
    ),
    Case(
        "first_media_line_wins",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n![](https://cdn.example/first.png)\n"
        "![](https://cdn.example/second.mp4)\n\n- b\n",
        {"media": Media(MediaKind.IMAGE, "https://cdn.example/first.png"), "bullets": ("b",)},
    ),
    Case(
        "plain_link_line_is_summary_not_media",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n[Project](https://example.com/p)\n",
        {"media": None, "bullets": ("[Project](https://example.com/p)",)},
    ),
    Case(
        "english_summary",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n- A plain English summary line.\n",
        {"language": "en"},
    ),
    Case(
        "english_summary_quoting_a_korean_name",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "- We thank 김민수 for the Seoul dataset and its careful annotation work.\n",
        {"language": "en"},
    ),
    Case(
        "korean_summary_with_english_terms",
        "### [T](https://arxiv.org/abs/3102.00001)\n\n"
        "- **Technical Details**: Transformer 기반 모델을 사용합니다 (LoRA, DPO).\n",
        {"language": "ko"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_drift_case(case: Case) -> None:
    digest = parse_markdown_digest(HEADER + case.body)
    assert len(digest.papers) == 1
    paper = digest.papers[0]
    got = {key: getattr(paper, key) for key in case.expect}
    assert got == case.expect
    assert paper.date == dt.date(2031, 2, 3)
    assert paper.source is SourceKind.MARKDOWN


def test_two_sections_keep_their_own_dates() -> None:
    text = (
        "## Daily Papers (2031-02-03)\n\n### [A](https://arxiv.org/abs/3102.00001)\n- a\n\n"
        "## Daily Papers (2031-02-04)\n### [B](https://arxiv.org/abs/3102.00002)\n- b\n"
        "### [C](https://arxiv.org/abs/3102.00003)\n- c\n"
    )
    digest = parse_markdown_digest(text)
    assert digest.date == dt.date(2031, 2, 3)
    assert [(p.title, p.date.day) for p in digest.papers] == [("A", 3), ("B", 4), ("C", 4)]


def test_section_date_with_slashes() -> None:
    digest = parse_markdown_digest("## Daily Papers (2031/2/3)\n### [A](https://x.org/a)\n- a\n")
    assert digest.papers[0].date == dt.date(2031, 2, 3)


def test_repeated_section_keeps_every_paper() -> None:
    block = "## Daily Papers (2031-02-03)\n\n### [A](https://arxiv.org/abs/3102.00001)\n- a\n"
    assert len(parse_markdown_digest(block + "\n" + block).papers) == 2


def test_fixture_file_with_every_drift() -> None:
    text = (FIXTURES / "drift.md").read_text(encoding="utf-8")
    digest = parse_markdown_digest(text, origin="drift.md")
    assert digest.origin == "drift.md"
    assert digest.language == "ko"
    assert [p.arxiv_id for p in digest.papers] == [f"3102.0000{i}" for i in range(1, 7)]
    assert [p.date.day for p in digest.papers] == [3, 3, 3, 3, 4, 4]
    assert [p.votes for p in digest.papers] == [42, None, None, None, 7, 1234]
    truncated = [p.authors_truncated for p in digest.papers]
    assert truncated == [False, True, False, False, False, False]
    kinds = [p.media.kind.value if p.media else None for p in digest.papers]
    assert kinds == ["image", "video", "video", None, "image", "video"]
    assert digest.papers[2].bullets == (
        "조용한 프레임에서도 동영상을 생성합니다.",
        "제어 문자가 섞인 문장입니다.",
    )


def test_header_only_is_an_empty_digest() -> None:
    digest = parse_markdown_digest("## Daily Papers (2031-02-08)\n\nNothing today.\n")
    assert digest.papers == ()
    assert digest.date == dt.date(2031, 2, 8)


def test_heading_without_link_is_skipped_not_glued_on() -> None:
    text = HEADER + (
        "### [A](https://arxiv.org/abs/3102.00001)\n- a\n"
        "### [Broken heading without a link\n- lost with its heading\n"
        "### [C](https://arxiv.org/abs/3102.00003)\n- c\n"
    )
    digest = parse_markdown_digest(text)
    assert [(p.title, p.bullets) for p in digest.papers] == [("A", ("a",)), ("C", ("c",))]


def test_byte_order_mark_is_ignored() -> None:
    digest = parse_markdown_digest("\ufeff" + HEADER + "### [A](https://arxiv.org/abs/1)\n- a\n")
    assert digest.date == dt.date(2031, 2, 3)
    assert digest.papers[0].title == "A"


@pytest.mark.parametrize(
    ("origin", "day", "expected"),
    [
        ("https://raw.example/paper_logs/2031/02/05.md", None, dt.date(2031, 2, 5)),
        ("/data/2031-02-06.md", None, dt.date(2031, 2, 6)),
        (None, dt.date(2031, 2, 7), dt.date(2031, 2, 7)),
    ],
)
def test_headerless_digest_is_dated_by_day_or_origin(
    origin: str | None, day: dt.date | None, expected: dt.date
) -> None:
    digest = parse_markdown_digest(
        "### [A](https://arxiv.org/abs/3102.00001)\n- a\n", origin=origin, day=day
    )
    assert digest.date == expected
    assert digest.papers[0].date == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a markdown digest"),
        ("# Some README\n\nJust prose.\n", "not a markdown digest"),
        ("### [A](https://arxiv.org/abs/3102.00001)\n- a\n", "no '## Daily Papers"),
        ("intro\n\n## Daily Papers (2031-13-45)\n", "line 3: no valid date"),
        ("## Daily Papers (someday)\n### [A](https://arxiv.org/abs/1)\n", "line 1: no valid"),
    ],
)
def test_not_a_digest_raises_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_markdown_digest(text, origin="inbox/x.md")
    assert str(info.value).startswith("inbox/x.md: ")
    assert "\n" not in str(info.value)
