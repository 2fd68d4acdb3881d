"""Turning what a person typed into a search plan (pure; no SQL here).

Everything typed is data: FTS operators (`"`, `*`, `NEAR`, `OR`), SQL quotes and LIKE
wildcards all end up inside quoted strings or escaped patterns, never as syntax. Very long
input is cut to a bounded number of bounded terms, so no query can be made expensive by size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import normalize_title
from bot.store.words import WORD, split_words

MAX_QUERY_CHARS = 300
MAX_TERMS = 8
# Trigram indexes need three characters; shorter terms only match by word prefix.
TRIGRAM = 3

_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z.\-]*/\d{7}"
_ARXIV_ID = re.compile(rf"^(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_IN_URL = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html)|"
    rf"(?:huggingface\.co|hf\.co)/papers)/(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})"
    r"(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_PHRASE = re.compile(r'"([^"]*)"')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Term:
    """One thing that must match: as a substring of a title or author list (3+ characters),
    or as a run of word prefixes anywhere, summaries included."""

    text: str
    words: tuple[str, ...]

    @property
    def substring(self) -> bool:
        return len(self.text) >= TRIGRAM


@dataclass(frozen=True, slots=True)
class SearchPlan:
    arxiv_id: str | None
    url: str | None
    title_norm: str
    terms: tuple[Term, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.arxiv_id or self.url or self.title_norm or self.terms)

    @property
    def phrase(self) -> str:
        return " ".join(t.text for t in self.terms)


def arxiv_id_of(query: str) -> str | None:
    """The arXiv id in an id (`2410.09342`, `2410.09342v2`, `arXiv:...`) or a paper URL."""
    text = _ARXIV_PREFIX.sub("", query.strip())
    match = _ARXIV_ID.match(text) or _ARXIV_IN_URL.match(text)
    return match.group("id").lower() if match else None


def _split_terms(text: str) -> list[str]:
    """Quoted phrases stay whole; everything else splits on whitespace."""
    terms: list[str] = []
    last = 0
    for match in _PHRASE.finditer(text):
        terms.extend(text[last : match.start()].split())
        terms.append(" ".join(match.group(1).split()))
        last = match.end()
    terms.extend(text[last:].replace('"', " ").split())
    return [t for t in terms if WORD.search(t)]


def _group_short(terms: list[str]) -> list[str]:
    """Join runs of short words into phrases when that reaches trigram length: a two-word
    Korean phrase such as "긴 문서" is then found as written, not as two loose prefixes."""
    grouped: list[str] = []
    run: list[str] = []
    for term in [*terms, None]:
        if term is not None and len(term) < TRIGRAM:
            run.append(term)
            continue
        if len(run) > 1 and len(" ".join(run)) >= TRIGRAM:
            grouped.append(" ".join(run))
        else:
            grouped.extend(run)
        run = []
        if term is not None:
            grouped.append(term)
    return grouped


def plan(query: str) -> SearchPlan:
    # Control characters (NUL above all) can end a C string inside SQLite or be refused by
    # PostgreSQL; nobody means them in a search.
    text = " ".join(_CONTROL.sub(" ", query[: MAX_QUERY_CHARS * 4]).split())
    arxiv_id = arxiv_id_of(text)
    url = text if arxiv_id is None and _URL.match(text) else None
    text = text[:MAX_QUERY_CHARS]
    terms = list(dict.fromkeys(t.casefold() for t in _group_short(_split_terms(text))))
    return SearchPlan(
        arxiv_id=arxiv_id,
        url=url,
        title_norm=normalize_title(text),
        terms=tuple(Term(t, tuple(split_words(t))) for t in terms[:MAX_TERMS]),
    )


def fts5_substring(term: Term) -> str:
    """The term as one FTS5 string (double quotes doubled): no operator can leak in."""
    return '"' + term.text.replace('"', '""') + '"'


def _prefix(word: str, marker: str) -> str:
    # A single character matches whole words only, or "a" alone would mean every paper.
    return marker if len(word) > 1 else ""


def fts5_words(term: Term, *, prefix: bool = True) -> str:
    """Adjacent word prefixes: 문서 처리 matches 문서를 처리하는 (with `prefix=False`, only
    the words themselves). Words are letters and digits only, so the quotes around them are
    all the escaping needed."""
    return " + ".join(f'"{w}"' + (_prefix(w, "*") if prefix else "") for w in term.words)


def tsquery_words(term: Term, *, prefix: bool = True) -> str:
    """The PostgreSQL spelling of `fts5_words`."""
    return " <-> ".join(f"'{w}'" + (_prefix(w, ":*") if prefix else "") for w in term.words)
