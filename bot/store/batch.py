"""The merged outcome of saving a batch of digests, worked out in memory before any write.

A plan starts from what the store held (`Known`: a paper's id, merged state and version) and
folds each sighting in with bot.store.merge, recording vote changes as they happen, so a batch
holds exactly what saving its digests one by one would. It also encodes the rows to write
(JSON text, search columns), which is most of a bulk import's Python work: a plan is pure,
so it can be built on a worker thread while the previous batch is being written.

A sighting joins the row of its key; failing that, one of the same paper under its other key,
so a paper seen with and without its arXiv id is one row whichever came first:

- with an id: the row keyed by its title, while that row has no id yet (it is re-keyed to
  the id, keeping its id, votes, vote history, summaries and digests);
- without: the one row with an id and the same normalized title (with two or more there is
  no telling which paper it is, and it stays a row of its own).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Digest, Paper, SourceKind, normalize_title, title_key
from bot.store.merge import PaperState, SummaryState, merge, new_state
from bot.store.rows import FetchValidators, SaveResult

# The engine's JSON serializer writes the same text (bot.store.engine): non-ASCII stays as is,
# half the size of \\uXXXX escapes for Korean summaries.
dumps = json.JSONEncoder(ensure_ascii=False).encode

DigestKey = tuple[str, dt.date]
EncodeDate = Callable[[dt.date], Any]


class StalePlanError(Exception):
    """The store changed between planning a batch and writing it (another process wrote the
    same papers): the write is rolled back and the batch planned again inside its transaction.
    Never leaves bot.store."""


# Vote counts are INTEGER columns: 32 bits on PostgreSQL (SQLite holds 64, the same rule
# keeps both archives alike).
VOTES = range(-(2**31), 2**31)


@functools.cache
def _field_names(model: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in dataclasses.fields(model))


def _holds_nul(value: object) -> bool:
    """Whether a string anywhere inside a model value (dataclasses, tuples) holds a NUL
    character, whatever fields the model has."""
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, tuple):
            pending.extend(item)
        elif dataclasses.is_dataclass(item):
            model: type = type(item)
            pending.extend(getattr(item, name) for name in _field_names(model))
    return False


def storable_problem(digest: Digest) -> str | None:
    """Why the store cannot hold `digest`, or None. PostgreSQL text holds no NUL character
    and votes are 32-bit; a bulk import checks each digest first, because one such paper in
    a batch fails the whole batch's transaction, not just its own file."""
    for paper in digest.papers:
        if paper.votes is not None and paper.votes not in VOTES:
            return f"paper {paper.key}: vote count {paper.votes} is out of range"
        if _holds_nul(paper):
            return f"paper {paper.key}: text holds a NUL character, which the store cannot keep"
    return None


def content_hash(digest: Digest) -> str:
    """Equal for equal digests: the models are frozen dataclasses of plain values, whose
    repr is deterministic (and several times cheaper than JSON for a whole digest)."""
    body = repr((digest.language, digest.papers))
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Known:
    """A stored paper as a plan found it. `version` is its row's updated_at; `id` is None
    for a paper the batch written just before inserted (its id comes with that result)."""

    id: int | None
    state: PaperState
    version: dt.datetime


@dataclass(frozen=True, slots=True)
class DigestSave:
    digest: Digest
    validators: FetchValidators | None
    content_hash: str

    @property
    def key(self) -> DigestKey:
        return (self.digest.source.value, self.digest.date)


# Paper columns a plan encodes, in this order; a writer adds id, search_words (PostgreSQL),
# created_at and updated_at.
PAPER_COLUMNS = (
    "key",
    "arxiv_id",
    "title",
    "title_norm",
    "url",
    "authors",
    "authors_truncated",
    "search_title",
    "search_authors",
    "search_body",
    "media_kind",
    "media_url",
    "github_url",
    "project_url",
    "org_handle",
    "org_name",
    "submitter_handle",
    "submitter_name",
    "keywords",
    "first_seen",
    "last_seen",
    "votes",
    "votes_date",
)


def encode_paper(state: PaperState, date: EncodeDate) -> tuple[Any, ...]:
    """A papers row (PAPER_COLUMNS) with JSON as text and dates as the driver wants them."""
    media, org, submitter = state.media, state.organization, state.submitter
    return (
        state.key,
        state.arxiv_id,
        state.title,
        state.title_norm,
        state.url,
        dumps(state.authors),
        state.authors_truncated,
        state.search_title,
        state.search_authors,
        state.search_body,
        media.kind.value if media else None,
        media.url if media else None,
        state.github_url,
        state.project_url,
        org.handle if org else None,
        org.name if org else None,
        submitter.handle if submitter else None,
        submitter.name if submitter else None,
        dumps(state.keywords) if state.keywords else "[]",
        date(state.first_seen),
        date(state.last_seen),
        state.votes,
        None if state.votes_date is None else date(state.votes_date),
    )


@dataclass(frozen=True, slots=True)
class PaperWrite:
    """A paper the batch inserts (`known` None) or changes, with its encoded row."""

    key: str
    known: Known | None
    row: tuple[Any, ...]
    words: str | None


@dataclass(frozen=True, slots=True)
class SummaryWrite:
    key: str
    source: str
    language: str
    bullets: str
    abstract: str | None
    new_paper: bool


@dataclass
class Plan:
    """Everything one write transaction does; `states` is the batch's outcome, which the next
    batch of a pipelined import starts from.

    Rows are keyed as they will be written: `known` holds the stored row each continues (its
    state keeps the stored key, not the same for a title row re-keyed to its arXiv id), and
    `rows` maps the key of each sighting in the batch to the key of the row it joined."""

    now: dt.datetime
    digests: list[DigestSave]
    unchanged: int
    known: dict[str, Known]
    states: dict[str, PaperState]
    rows: dict[str, str]
    inserts: list[PaperWrite] = field(default_factory=list)
    updates: list[PaperWrite] = field(default_factory=list)
    summaries: list[SummaryWrite] = field(default_factory=list)
    vote_changes: list[tuple[str, int]] = field(default_factory=list)

    def result(self) -> SaveResult:
        return SaveResult(
            digests_changed=len(self.digests),
            digests_unchanged=self.unchanged,
            papers_inserted=len(self.inserts),
            papers_updated=len(self.updates),
            vote_changes=len(self.vote_changes),
        )

    def row_key(self, paper: Paper) -> str:
        """The key of the row a paper of the plan's digests was saved to."""
        return self.rows[paper.key]

    def retired(self) -> set[str]:
        """Stored keys gone once the plan is written: title keys re-keyed to an arXiv id."""
        return {k.state.key for key, k in self.known.items() if k.state.key != key}

    def outcome(self) -> dict[str, Known]:
        """What the store holds for the batch's papers once this plan is written (ids of
        inserted papers unknown until then)."""
        written = {w.key for w in self.inserts} | {w.key for w in self.updates}
        out: dict[str, Known] = {}
        for key, state in self.states.items():
            before = self.known.get(key)
            if key in written or before is None:
                out[key] = Known(before.id if before else None, state, self.now)
            else:
                out[key] = before
        return out


def latest_uploads(
    uploads: Iterable[tuple[Digest, FetchValidators | None]],
) -> dict[DigestKey, DigestSave]:
    """The last upload of a (source, date) wins, as if they had been saved in turn."""
    return {(d.source.value, d.date): DigestSave(d, v, content_hash(d)) for d, v in uploads}


def lookups(digests: Iterable[DigestSave]) -> tuple[list[str], list[str]]:
    """What a plan must know of the store: the rows of these keys, and those of these
    normalized titles (the rows a sighting may join under its other key)."""
    keys: dict[str, None] = {}
    titles: dict[str, None] = {}
    for save in digests:
        for paper in save.digest.papers:
            keys[paper.key] = None
            if paper.arxiv_id:
                keys[title_key(paper.title)] = None
            else:
                titles[normalize_title(paper.title)] = None
    return list(keys), list(titles)


class _Fold:
    """The batch's sightings folded into rows, and which row each sighting joined."""

    def __init__(self, known: Mapping[str, Known]) -> None:
        self.known = known
        self.states: dict[str, PaperState] = {}
        self.before: dict[str, Known] = {}
        """The stored row each touched row continues, by its key now."""
        self.rows: dict[str, str] = {}
        """Sighting key -> key of the row it joined (kept up to date when a row is re-keyed)."""
        self._titled: dict[str, set[str]] | None = None
        """Normalized title -> keys of rows with an arXiv id; made when first needed."""

    def add(self, paper: Paper) -> tuple[PaperState | None, PaperState]:
        """Fold one sighting in; its row's state before and after."""
        row = self._row_of(paper)
        current: PaperState | None = None
        if row in self.states:
            current = self.states[row]
        elif row is not None:
            self.before[row] = self.known[row]
            current = self.known[row].state
        state = new_state(paper) if current is None else merge(current, paper)
        if row is not None and row != state.key:
            self._rekey(row, state.key)
        self.rows[paper.key] = state.key
        self.states[state.key] = state
        if self._titled is not None and state.arxiv_id:
            self._titled.setdefault(state.title_norm, set()).add(state.key)
        return current, state

    def _row_of(self, paper: Paper) -> str | None:
        """The key of the existing row (in the batch or the store) the sighting joins."""
        key = paper.key
        if key in self.rows:
            return self.rows[key]
        if key in self.states or key in self.known:
            return key
        if paper.arxiv_id:
            title = title_key(paper.title)
            # Still a title row: not re-keyed, nor a title that joined a row with an id.
            if title in self.states or (title in self.known and title not in self.rows):
                return title
            return None
        same = self._with_ids().get(normalize_title(paper.title), set())
        return next(iter(same)) if len(same) == 1 else None

    def _with_ids(self) -> dict[str, set[str]]:
        if self._titled is None:
            self._titled = {}
            rows = [k.state for k in self.known.values()] + list(self.states.values())
            for state in rows:
                if state.arxiv_id:
                    self._titled.setdefault(state.title_norm, set()).add(state.key)
        return self._titled

    def _rekey(self, old: str, new: str) -> None:
        self.states.pop(old, None)
        if old in self.before:
            self.before[new] = self.before.pop(old)
        for sighting, row in self.rows.items():
            if row == old:
                self.rows[sighting] = new
        self.rows[old] = new


def build_plan(
    changed: Sequence[DigestSave],
    known: Mapping[str, Known],
    *,
    now: dt.datetime,
    unchanged: int,
    date: EncodeDate,
    words: bool,
) -> Plan:
    """Fold the changed digests' papers into what was known and encode what must be written.

    `words`: also compute the word text PostgreSQL's word index is built from."""
    fold = _Fold(known)
    votes: list[tuple[str, int]] = []
    for save in changed:
        for paper in save.digest.papers:
            current, state = fold.add(paper)
            if state.votes is not None and (current is None or state.votes != current.votes):
                votes.append((state.key, state.votes))
    plan = Plan(now, list(changed), unchanged, fold.before, fold.states, fold.rows)
    # A vote counted before its row was re-keyed belongs to the row under its new key.
    plan.vote_changes = [(fold.rows.get(key, key), count) for key, count in votes]
    for key, state in fold.states.items():
        before = plan.known.get(key)
        if before is not None and before.state == state:
            continue
        write = PaperWrite(
            key, before, encode_paper(state, date), state.search_words if words else None
        )
        (plan.updates if before else plan.inserts).append(write)
        _add_summaries(plan.summaries, key, state, before)
    return plan


def _add_summaries(
    out: list[SummaryWrite], key: str, state: PaperState, before: Known | None
) -> None:
    old: dict[tuple[SourceKind, str], SummaryState] = before.state.summaries if before else {}
    for (source, language), summary in state.summaries.items():
        if old.get((source, language)) != summary:
            out.append(
                SummaryWrite(
                    key,
                    source.value,
                    language,
                    dumps(summary.bullets),
                    summary.abstract,
                    new_paper=before is None,
                )
            )
