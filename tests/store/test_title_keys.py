"""A paper seen with and without its arXiv id is one paper, whichever came first, saved one
digest at a time or in bulk (both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from bot.models import Digest, SourceKind
from bot.store import Store
from bot.store.rows import StoredPaper
from tests.store.factories import DAY, digest, paper
from tests.store.tables import semantic_tables, vote_history, wipe

ARXIV_ID = "2405.00077"
TITLE = "Counting Sheep: A Survey!"
TITLE_KEY = "title:counting sheep a survey"

# The markdown digest names the paper by title only (its link is no arXiv or HF page);
# the HF API has the id, a differently written title, an abstract and more votes.
BY_TITLE = paper(None, title=TITLE, votes=5, bullets=("양을 세는 방법을 정리합니다.",))
WITH_ID = paper(
    ARXIV_ID,
    title="Counting sheep - a survey",
    date=DAY + dt.timedelta(days=2),
    source=SourceKind.HF,
    language="en",
    votes=20,
    bullets=(),
    abstract="We survey sheep counting.",
    github_url="https://github.com/example/sheep",
)
OTHER = paper("2405.00001", title="Something Else Entirely", votes=1)


def _day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def title_first() -> list[Digest]:
    return [
        digest(BY_TITLE, OTHER),
        digest(dataclasses.replace(BY_TITLE, date=_day(1), votes=8), date=_day(1)),
        digest(WITH_ID, date=WITH_ID.date, source=SourceKind.HF),
        digest(dataclasses.replace(BY_TITLE, date=_day(3), votes=9), date=_day(3)),
    ]


def id_first() -> list[Digest]:
    return [
        digest(dataclasses.replace(WITH_ID, date=DAY, votes=3), OTHER, source=SourceKind.HF),
        digest(dataclasses.replace(BY_TITLE, date=_day(1), votes=8), date=_day(1)),
    ]


async def _only_paper(store: Store, papers: int = 2) -> StoredPaper:
    """The paper under its id, once in the store (beside OTHER) and once in search results."""
    assert await store.papers.get(TITLE_KEY) is None
    stored = await store.papers.get(ARXIV_ID)
    assert stored is not None
    assert await store.papers.count() == papers
    for query in ("counting sheep", ARXIV_ID, "세는 방법"):  # title, id, the title row's summary
        assert [h.paper.key for h in await store.searcher.search(query)] == [ARXIV_ID]
    return stored


async def _keys_of(store: Store, source: SourceKind, day: dt.date) -> tuple[str, ...]:
    found = await store.digests.get(source, day)
    assert found is not None
    return found.paper_keys


async def test_a_title_paper_keeps_its_row_when_its_id_arrives(store: Store) -> None:
    first, second, third, fourth = title_first()
    await store.writer.save(first)
    await store.writer.save(second)
    before = await store.papers.get(TITLE_KEY)
    assert before is not None

    result = await store.writer.save(third)

    assert (result.papers_inserted, result.papers_updated) == (0, 1)
    stored = await _only_paper(store)
    assert stored.id == before.id
    assert (stored.arxiv_id, stored.title, stored.url) == (
        ARXIV_ID,
        WITH_ID.title,
        f"https://arxiv.org/abs/{ARXIV_ID}",
    )
    assert (stored.votes, stored.first_seen, stored.last_seen) == (20, DAY, _day(2))
    assert stored.github_url == WITH_ID.github_url
    assert {(s.source, s.language) for s in stored.summaries} == {
        (SourceKind.MARKDOWN, "ko"),
        (SourceKind.HF, "en"),
    }
    assert await vote_history(store, stored.id) == [5, 8, 20]
    assert await _keys_of(store, SourceKind.MARKDOWN, DAY) == (ARXIV_ID, OTHER.key)
    assert await _keys_of(store, SourceKind.MARKDOWN, _day(1)) == (ARXIV_ID,)
    [ranked] = await store.papers.of_day(_day(1))
    assert (ranked.paper.id, ranked.votes) == (before.id, 8)

    await store.writer.save(fourth)  # named by title again: the same paper
    stored = await _only_paper(store)
    assert await vote_history(store, stored.id) == [5, 8, 20, 9]


async def test_a_title_mention_after_the_id_joins_the_id_paper(store: Store) -> None:
    first, second = id_first()
    await store.writer.save(first)

    result = await store.writer.save(second)

    assert (result.papers_inserted, result.papers_updated) == (0, 1)
    stored = await _only_paper(store)
    assert stored.title == WITH_ID.title  # the id's title stays
    assert stored.votes == 8  # the newer day's count
    assert {s.source for s in stored.summaries} == {SourceKind.HF, SourceKind.MARKDOWN}
    assert await vote_history(store, stored.id) == [3, 8]
    assert await _keys_of(store, SourceKind.MARKDOWN, _day(1)) == (ARXIV_ID,)


@pytest.mark.parametrize("order", [title_first, id_first])
@pytest.mark.parametrize("batch_papers", [1, 100])
async def test_bulk_import_joins_them_as_saving_one_by_one_does(
    store: Store, order: Callable[[], list[Digest]], batch_papers: int
) -> None:
    """One batch with both forms (100), and one form per batch, planned while the batch
    before it is written (1)."""
    days = order()
    for day in days:
        await store.writer.save(day)
    expected = await semantic_tables(store)
    assert set(expected["papers"]) == {ARXIV_ID, OTHER.key}
    await wipe(store)

    async with store.writer.bulk(batch_papers) as bulk:
        for day in days:
            await bulk.add(day)

    assert bulk.replanned == 0
    assert await semantic_tables(store) == expected
    await _only_paper(store)


async def test_a_batch_planned_before_a_rekey_is_written_uses_the_new_key(store: Store) -> None:
    """A pipelined import plans a batch while the one before is written: the store still
    holds the title row the batch in flight re-keys; the next batch joins the re-keyed row."""
    first, second, third, fourth = title_first()
    for day in (first, second):
        await store.writer.save(day)
    rekey = await store.writer._plan_ahead([third], None)
    after = await store.writer._plan_ahead([fourth], rekey)
    assert [w.key for w in after.updates] == [ARXIV_ID]

    _, ids = await store.writer._write_planned(rekey, {}, [third])
    assert ids is not None
    _, later = await store.writer._write_planned(after, ids, [fourth])

    assert later is not None  # written as planned
    stored = await _only_paper(store)
    assert await vote_history(store, stored.id) == [5, 8, 20, 9]


async def test_one_digest_naming_the_paper_both_ways_holds_it_twice_as_one(store: Store) -> None:
    await store.writer.save(digest(BY_TITLE, dataclasses.replace(WITH_ID, date=DAY)))
    stored = await _only_paper(store, papers=1)
    assert await _keys_of(store, SourceKind.MARKDOWN, DAY) == (ARXIV_ID, ARXIV_ID)
    assert stored.votes == 20  # the later sighting of the day


async def test_a_title_two_papers_share_is_not_guessed(store: Store) -> None:
    twin = dataclasses.replace(WITH_ID, arxiv_id="2405.00078")
    await store.writer.save(digest(WITH_ID, twin, source=SourceKind.HF))
    await store.writer.save(digest(dataclasses.replace(BY_TITLE, date=_day(3)), date=_day(3)))
    assert await store.papers.count() == 3
    alone = await store.papers.get(TITLE_KEY)
    assert alone is not None
    assert alone.arxiv_id is None


async def test_an_id_row_is_not_taken_over_by_a_second_id_with_its_title(store: Store) -> None:
    await store.writer.save(digest(BY_TITLE))
    await store.writer.save(digest(WITH_ID, source=SourceKind.HF, date=WITH_ID.date))
    twin = dataclasses.replace(WITH_ID, arxiv_id="2405.00078", date=_day(4))
    await store.writer.save(digest(twin, source=SourceKind.HF, date=_day(4)))
    assert await store.papers.count() == 2
    stored = await store.papers.get(ARXIV_ID)
    assert stored is not None
    assert stored.first_seen == DAY  # still the row the title started


async def test_the_id_saved_by_another_writer_meanwhile_has_the_batch_planned_again(
    store: Store,
) -> None:
    """The batch planned to re-key the title row; before it wrote, another writer saved
    the id under a title of its own. The write notices and plans again: nothing lost, no
    error, and the id's paper takes the HF sighting."""
    await store.writer.save(digest(BY_TITLE))
    hf = digest(WITH_ID, source=SourceKind.HF, date=WITH_ID.date)
    plan = await store.writer._plan_ahead([hf], None)
    assert [w.key for w in plan.updates] == [ARXIV_ID]  # the title row, re-keyed
    rival = dataclasses.replace(WITH_ID, title="Other words entirely", date=_day(5))
    await store.writer.save(digest(rival, source=SourceKind.FEED, date=_day(5)))

    result, ids = await store.writer._write_planned(plan, {}, [hf])

    assert ids is None  # planned again
    assert result.digests_changed == 1
    assert await store.papers.count() == 2
    title_row = await store.papers.get(TITLE_KEY)
    stored = await store.papers.get(ARXIV_ID)
    assert title_row is not None
    assert stored is not None
    assert (stored.votes, stored.last_seen) == (20, _day(5))


async def test_a_stored_digest_holds_a_sighting_under_either_key(store: Store) -> None:
    for day in title_first():
        await store.writer.save(day)
    stored = await store.digests.get(SourceKind.MARKDOWN, DAY)
    assert stored is not None
    assert stored.paper_keys == (ARXIV_ID, OTHER.key)
    assert stored.holds(BY_TITLE)  # a re-read of the digest: nothing new in it
    assert stored.holds(dataclasses.replace(BY_TITLE, arxiv_id=ARXIV_ID))
    assert stored.holds(OTHER)
    assert not stored.holds(paper(None, title="A New Title"))
    assert not stored.holds(paper("2405.00099", title="Counting sheep: a survey"))
