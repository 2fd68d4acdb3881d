"""The one name normalisation follows match with (`bot.models.name_key`): names written
here, properties over any text, and every author name of the digest corpora (the shipped
fixtures, then the full real corpus when it is beside the clone)."""

from __future__ import annotations

import collections
import datetime as dt
import sys
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.compose.follows import matches
from bot.models import Account, Paper, SourceKind, name_key
from bot.sources.files import load_digest_file
from bot.store.rows import Follow, FollowKind
from tests.conftest import DigestCorpus

SAME = [
    ("Kim Min-jun", "kim minjun", "Kim Minjun", "KIM MIN JUN", "kim-min-jun"),
    ("김 민준", "김민준", "  김민준  "),
    ("Jörg Tiedemann", "Jorg Tiedemann", "JÖRG TIEDEMANN", "Jo\u0308rg Tiedemann"),
    ("François-Xavier Dupont", "Francois Xavier Dupont", "francois-xavier dupont"),
    ("Maria O'Neil", "Maria ONeil", "Maria O’Neil", "María O'Neil"),
    ("Ｌｉｕ Ｗｅｉ", "Liu Wei", "liu wei"),
    ("Straße Labs", "Strasse Labs", "STRASSE LABS"),
    ("Işık Yılmaz", "ISIK YILMAZ", "Isik Yilmaz"),  # the dotless ı upper-cases to I
    ("Ἀθηνᾶ Ᾱ", "ΑΘΗΝΑ Α", "αθηνα α"),
    ("ᾳ", "ΑΙ", "αι"),  # the iota subscript is a letter
    ("Dr. A. B. Smith", "Dr A B Smith", "dr.a.b.smith"),
]
DIFFERENT = [
    ("Kim Minjun", "Minjun Kim"),  # written order is kept: sources list one order
    ("김민준", "Kim Minjun"),  # no transliteration between scripts
    ("Li Wei", "Li Wen"),
    ("Jan Novak", "Jana Novak"),
]


@pytest.mark.parametrize("names", SAME)
def test_spellings_of_one_name_have_one_key(names: tuple[str, ...]) -> None:
    assert len({name_key(name) for name in names}) == 1, [name_key(n) for n in names]
    assert name_key(names[0])


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_a_name_without_letters_or_digits_has_no_key() -> None:
    assert name_key(" - . ' ") == ""
    assert name_key("\u0301\u0308") == ""  # combining marks alone


@given(st.text())
def test_name_key_is_idempotent(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key


NAME_PART = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo")), min_size=1, max_size=8)


IOTA_SUBSCRIPT = "\u0345"
"""A nonspacing mark in Unicode, but the Greek letter iota written small, not an accent:
upper case writes it as a full Ι."""


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = (ch for ch in decomposed if unicodedata.category(ch) != "Mn" or ch == IOTA_SUBSCRIPT)
    return unicodedata.normalize("NFC", "".join(kept))


def _variants(name: str) -> list[str]:
    """How people retype a name: other case, no accents, hyphens as spaces or gone, spaces
    gone or doubled, padded."""
    return [
        name.upper(),
        name.lower(),
        name.casefold(),
        _strip_accents(name),
        name.replace("-", " "),
        name.replace("-", ""),
        name.replace(" ", ""),
        name.replace(" ", "  "),
        f"  {name} ",
    ]


def test_every_letter_matches_its_other_case_and_its_unaccented_form() -> None:
    """All of Unicode's letters, one by one: what random names can miss (the dotless ı,
    the Greek iota subscript were found this way)."""
    letters = (chr(n) for n in range(sys.maxunicode + 1))
    missed = [
        (ch, variant)
        for ch in letters
        if unicodedata.category(ch)[0] == "L"
        for variant in (ch.upper(), ch.lower(), _strip_accents(ch))
        if name_key(variant) != name_key(ch)
    ]
    assert missed == []


@given(st.lists(NAME_PART, min_size=1, max_size=4), st.sampled_from([" ", "-", " - ", ". "]))
def test_retyped_spellings_match(parts: list[str], joiner: str) -> None:
    name = joiner.join(parts)
    for variant in _variants(name):
        assert name_key(variant) == name_key(name), (name, variant)


def _paper(*authors: str, org: Account | None = None) -> Paper:
    return Paper(
        title="A Paper",
        url="https://arxiv.org/abs/2501.00001",
        date=dt.date(2025, 1, 1),
        source=SourceKind.HF,
        language="en",
        arxiv_id="2501.00001",
        authors=authors,
        organization=org,
    )


def test_follows_match_authors_and_accounts_by_key() -> None:
    paper = _paper("Min-jun Kim", "Jörg Tiedemann", org=Account("deepseek-ai", "DeepSeek"))
    follows = (
        Follow(FollowKind.AUTHOR, "jorg tiedemann"),
        Follow(FollowKind.AUTHOR, "minjun kim"),
        Follow(FollowKind.ORG, "DeepSeek AI"),  # the handle, spaced
        Follow(FollowKind.ORG, "deepseek"),  # the shown name
        Follow(FollowKind.AUTHOR, "deepseek"),  # an author follow never matches an org
        Follow(FollowKind.ORG, "Jörg Tiedemann"),  # nor an org follow an author
    )
    assert matches(paper, follows) == ("jorg tiedemann", "minjun kim", "DeepSeek AI", "deepseek")


@cache
def corpus_authors(root: str) -> tuple[tuple[tuple[str, ...], ...], collections.Counter[str]]:
    """Every paper's author list in a corpus, and how many papers list each name."""
    lists: list[tuple[str, ...]] = []
    for path in DigestCorpus(Path(root), 0, 0).days:
        lists.extend(paper.authors for paper in load_digest_file(path).papers)
    return tuple(lists), collections.Counter(name for names in lists for name in names)


def test_corpus_author_names_key_and_retype(corpus: DigestCorpus) -> None:
    lists, counts = corpus_authors(str(corpus.root))
    assert sum(1 for names in lists if names) >= corpus.min_papers // 2
    for name in counts:
        key = name_key(name)
        assert key, name
        assert name_key(key) == key, name
        for variant in _variants(name):
            assert name_key(variant) == key, (name, variant)


def test_corpus_spellings_of_one_author_find_each_others_papers(corpus: DigestCorpus) -> None:
    """Real digests spell some authors several ways (accents or not, hyphen or not, an
    initial with or without its dot); a follow under one spelling finds the papers listing
    any of them. Merging stays rare: a key that merged names wholesale would show here."""
    lists, counts = corpus_authors(str(corpus.root))
    spellings: dict[str, set[str]] = collections.defaultdict(set)
    for name in counts:
        spellings[name_key(name)].add(name)
    assert len(spellings) >= 0.97 * len(counts)
    merged = {key: names for key, names in spellings.items() if len(names) > 1}
    if corpus.min_papers >= 1000:  # the full real corpus has such authors
        assert len(merged) >= 10, merged
    for names in merged.values():
        papers = [_paper(*authors) for authors in lists if set(authors) & names]
        for spelling in names:
            follow = (Follow(FollowKind.AUTHOR, _strip_accents(spelling).lower()),)
            assert all(matches(paper, follow) for paper in papers), spelling
