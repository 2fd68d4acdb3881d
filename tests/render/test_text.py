"""Grapheme-safe truncation, fitting escaped text, author lists."""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.markup import escape_discord_markdown, escape_slack
from bot.render.text import (
    ELLIPSIS,
    clean_text,
    fit,
    fit_raw,
    format_authors,
    one_line,
    truncate,
)

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one cluster, 7 code points
FLAG_KR = "🇰🇷"
JAMO_HAN = "\u1112\u1161\u11ab"  # 한 written as three conjoining jamo
E_ACUTE = "e\u0301"
SKIN = "👍🏽"


def graphemes(text: str) -> list[str]:
    """User-perceived characters (extended grapheme clusters), for checking cuts."""
    return list(regex.findall(r"\X", text, flags=regex.DOTALL))


def _is_cluster_prefix(original: str, truncated: str) -> bool:
    body = truncated.removesuffix(ELLIPSIS)
    clusters = graphemes(original)
    joined = ""
    for cluster in clusters:
        if joined == body:
            return True
        joined += cluster
    return joined == body


def test_short_text_is_untouched() -> None:
    assert truncate("hello", 5) == "hello"


@pytest.mark.parametrize("unit", [FAMILY, FLAG_KR, JAMO_HAN, E_ACUTE, SKIN, "한", "a"])
@pytest.mark.parametrize("limit", range(1, 30))
def test_never_splits_a_cluster(unit: str, limit: int) -> None:
    text = unit * 12
    out = truncate(text, limit)
    assert len(out) <= limit
    assert _is_cluster_prefix(text, out)
    assert all(cluster == unit for cluster in graphemes(out.removesuffix(ELLIPSIS)))


def test_jamo_syllable_is_kept_whole() -> None:
    text = "가" + JAMO_HAN + "다"
    # 1 + 3 + 1 code points: a limit of 4 leaves room for 3 before the ellipsis,
    # which must not take two of the three jamo.
    assert truncate(text, 4) == "가" + ELLIPSIS


def test_prefers_a_bullet_boundary() -> None:
    text = "• first bullet is fine.\n• second bullet is long and keeps going on and on"
    out = truncate(text, 40)
    assert out == "• first bullet is fine." + ELLIPSIS


def test_prefers_a_sentence_boundary() -> None:
    text = "첫 번째 문장은 충분히 길게 쓴 문장입니다. 두 번째 문장은 잘려야 하는 문장입니다."
    out = truncate(text, 30)
    assert out == "첫 번째 문장은 충분히 길게 쓴 문장입니다." + ELLIPSIS


def test_takes_a_word_boundary_when_no_sentence_ends_near() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    out = truncate(text, 20)
    assert out == "alpha beta gamma" + ELLIPSIS


def test_falls_back_to_a_cluster_cut_when_boundaries_are_far() -> None:
    text = "a " + "b" * 50
    out = truncate(text, 20)
    assert out == "a " + "b" * 17 + ELLIPSIS


def test_tiny_limits() -> None:
    assert truncate("abcdef", 0) == ""
    assert truncate("abcdef", 1) == "a"
    assert truncate("abcdef", 2) == "a" + ELLIPSIS


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=300), st.integers(min_value=0, max_value=320))
def test_truncate_properties(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= max(limit, 0)
    if len(text) <= limit:
        assert out == text
    else:
        assert _is_cluster_prefix(text, out)


def test_fit_escapes_without_cutting_an_escape() -> None:
    text = "*" * 100
    out = fit(text, 51, escape_discord_markdown)
    assert len(out) <= 51
    body = out.removesuffix(ELLIPSIS)
    assert body == "\\*" * (len(body) // 2)


def test_fit_raw_returns_the_raw_prefix() -> None:
    raw = fit_raw("a&b&c&d&e&f", 12, escape_slack)
    assert raw.endswith(ELLIPSIS)
    assert len(escape_slack(raw)) <= 12


def test_clean_text_drops_controls_and_lone_surrogates() -> None:
    dirty = "a\tb\x00c\x07d\ud800e\ue000f\r\ng"
    assert clean_text(dirty) == "a bcdef\ng"
    assert one_line("  a \n\n b\tc  ") == "a b c"
    assert clean_text("\u1112\u1161\u11ab") == unicodedata.normalize("NFC", JAMO_HAN)


def _more(hidden: int, cut: bool) -> str:
    return f"(+{hidden}{'+' if cut else ''} more)"


def test_authors_short_list_is_complete() -> None:
    out = format_authors(
        ["A", "B", "C"], truncated_at_source=False, max_names=5, limit=100, more=_more
    )
    assert out == "A, B, C"


def test_authors_long_list_names_the_rest() -> None:
    names = [f"Author {n}" for n in range(40)]
    out = format_authors(names, truncated_at_source=False, max_names=3, limit=100, more=_more)
    assert out == "Author 0, Author 1, Author 2, ... (+37 more)"


def test_authors_marks_a_list_cut_at_the_source() -> None:
    out = format_authors(["A", "B"], truncated_at_source=True, max_names=5, limit=100, more=_more)
    assert out == "A, B, ... (+0+ more)"


def test_authors_fit_the_limit_by_showing_fewer() -> None:
    names = ["N" * 30] * 10
    out = format_authors(names, truncated_at_source=False, max_names=5, limit=80, more=_more)
    assert len(out) <= 80
    assert out.endswith("(+8 more)")


def test_ten_thousand_character_author_list() -> None:
    names = [f"Person {n:05d}" for n in range(800)]
    assert len(", ".join(names)) > 10_000
    out = format_authors(
        names, truncated_at_source=True, max_names=5, limit=1024, more=_more,
        render=escape_discord_markdown,
    )  # fmt: skip
    assert len(out) <= 1024
    assert out.endswith("(+795+ more)")


def test_one_giant_author_is_truncated() -> None:
    out = format_authors(
        ["X" * 5000, "B"], truncated_at_source=False, max_names=5, limit=100, more=_more
    )
    assert len(out) <= 100
    assert out.endswith("(+1 more)")
    assert ELLIPSIS in out


def test_authors_empty() -> None:
    assert (
        format_authors([" ", ""], truncated_at_source=False, max_names=3, limit=50, more=_more)
        == ""
    )
