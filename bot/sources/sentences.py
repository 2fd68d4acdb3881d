"""Abstracts to summary bullets: a sentence splitter tuned for paper prose.

Abstracts are full of "e.g.", "et al.", "vs.", "Fig. 3" and decimals like 3.5; a naive
split on ". " would chop them into nonsense bullets. The rule here: a sentence ends at
., !, ? or an ellipsis (plus closing quotes/brackets) followed by whitespace and a
character that is not a lowercase letter, unless the word before the dot is a known
abbreviation, a dotted initialism (U.S., e.g., i.e.) or a single capital initial
(J. Smith). "etc." is deliberately not an abbreviation: it ends sentences as often as
not. CJK full stops end a sentence with or without a following space.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"(?:[.!?]+|…)[\"'’”»)\]]*\s+|[。！？]+[\"'’”»)\]」』]*\s*")
_SPACE = re.compile(r"\s+")
_CJK_STOPS = frozenset("。！？")
_INITIALISM = re.compile(r"(?:[^\W\d_]\.){2,}$")
_INITIAL = re.compile(r"^[(\"'“‘\[]*[A-Z]\.$")

#: Lowercased words (without their dot) that a dot does not end a sentence after.
ABBREVIATIONS = frozenset(
    {
        "al",
        "approx",
        "cf",
        "dr",
        "e.g",
        "eq",
        "eqs",
        "esp",
        "fig",
        "figs",
        "i.e",
        "inc",
        "jr",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "prof",
        "ref",
        "refs",
        "resp",
        "sec",
        "sr",
        "st",
        "tab",
        "viz",
        "vol",
        "vs",
        "w.r.t",
    }
)


def normalize_space(text: str) -> str:
    """One space between words: feeds and APIs wrap abstracts at arbitrary columns."""
    return _SPACE.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, whitespace-normalized, in order, none empty."""
    text = normalize_space(text)
    sentences: list[str] = []
    start = 0
    for match in _BREAK.finditer(text):
        end = match.end()
        if end >= len(text):
            break
        cjk_stop = match.group()[0] in _CJK_STOPS
        if not cjk_stop and not _ends_sentence(text, match.start(), text[end]):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_sentence(text: str, dot: int, following: str) -> bool:
    if following.islower():
        return False
    if text[dot] != ".":
        return True
    word_start = text.rfind(" ", 0, dot) + 1
    word = text[word_start : dot + 1]
    if _INITIAL.match(word) or _INITIALISM.search(word):
        return False
    bare = word.lstrip("(\"'“‘[").rstrip(".").lower()
    return bare not in ABBREVIATIONS
