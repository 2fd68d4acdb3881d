"""Saving digests: merging sources, vote history, idempotency, a day's ranking (both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.models import SourceKind
from bot.store import Store
from bot.store.rows import FetchValidators
from tests.store.factories import DAY, digest, paper
from tests.store.tables import vote_history

NEXT_DAY = DAY + dt.timedelta(days=1)


async def test_saved_paper_reads_back_with_its_summary(store: Store) -> None:
    result = await store.writer.save(digest(paper()))
    assert (result.digests_changed, result.papers_inserted) == (1, 1)

    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert stored.title == "Sparse Mixtures of Gated Experts for Retrieval"
    assert stored.authors == ("Ada Quill", "Bo Ramsey")
    assert stored.votes == 10
    assert stored.first_seen == DAY
    [summary] = stored.summaries
    assert (summary.source, summary.language) == (SourceKind.MARKDOWN, "ko")
    assert summary.bullets == ("이 논문은 희소 전문가 혼합 모델을 제안합니다.",)
    as_model = stored.to_paper("ko")
    assert as_model.bullets == summary.bullets
    assert as_model.arxiv_id == "2405.00001"


async def test_saving_the_same_digest_again_changes_nothing(store: Store) -> None:
    day = digest(paper(), paper("2405.00002", title="Another One", votes=3))
    await store.writer.save(day)
    again = await store.writer.save(day)
    assert not again.changed
    assert again.digests_unchanged == 1
    assert await store.papers.count() == 2
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert len(await vote_history(store, stored.id)) == 1


async def test_one_paper_from_two_sources_is_merged(store: Store) -> None:
    korean = paper(authors=("Ada Quill",), authors_truncated=True, votes=4)
    english = paper(
        source=SourceKind.HF,
        language="en",
        authors=("Ada Quill", "Bo Ramsey", "Cy Tran"),
        bullets=(),
        abstract="We propose sparse gated experts.",
        github_url="https://github.com/example/sge",
        votes=7,
    )
    await store.writer.save(digest(korean))
    await store.writer.save(digest(english, source=SourceKind.HF))

    assert await store.papers.count() == 1
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert stored.authors == ("Ada Quill", "Bo Ramsey", "Cy Tran")
    assert not stored.authors_truncated
    assert stored.github_url == "https://github.com/example/sge"
    assert stored.votes == 7
    languages = {(s.source, s.language) for s in stored.summaries}
    assert languages == {(SourceKind.MARKDOWN, "ko"), (SourceKind.HF, "en")}
    assert stored.to_paper("en").abstract == "We propose sparse gated experts."
    assert stored.to_paper("ko").bullets[0].startswith("이 논문은")


async def test_vote_history_grows_only_when_votes_change(store: Store) -> None:
    def hf_day(votes: int, other_votes: int) -> object:
        return digest(
            paper(source=SourceKind.HF, language="en", votes=votes),
            paper(
                "2405.00009", title="Other", source=SourceKind.HF, language="en", votes=other_votes
            ),
            source=SourceKind.HF,
        )

    await store.writer.save(hf_day(5, 1))  # type: ignore[arg-type]
    await store.writer.save(hf_day(5, 2))  # type: ignore[arg-type]
    await store.writer.save(hf_day(9, 3))  # type: ignore[arg-type]

    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert await vote_history(store, stored.id) == [5, 9]
    assert stored.votes == 9


async def test_votes_of_an_older_day_do_not_overwrite_newer_ones(store: Store) -> None:
    await store.writer.save(digest(paper(votes=50, date=NEXT_DAY), date=NEXT_DAY))
    await store.writer.save(digest(paper(votes=3, date=DAY)))
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert stored.votes == 50
    assert (stored.first_seen, stored.last_seen) == (DAY, NEXT_DAY)


async def test_papers_without_arxiv_id_are_keyed_by_title(store: Store) -> None:
    first = paper(None, title="A Survey: Of Things!")
    second = dataclasses.replace(first, title="a survey of things", votes=12)
    await store.writer.save(digest(first))
    await store.writer.save(digest(second, date=NEXT_DAY))
    assert await store.papers.count() == 1
    stored = await store.papers.get("title:a survey of things")
    assert stored is not None
    assert stored.votes == 12


async def test_saving_day_by_day_records_each_vote_change_once(store: Store) -> None:
    days = [
        digest(paper(votes=v, date=DAY + dt.timedelta(days=i)), date=DAY + dt.timedelta(days=i))
        for i, v in enumerate([1, 4, 4, 8])
    ]
    results = [await store.writer.save(day) for day in days]
    assert sum(r.digests_changed for r in results) == 4
    stored = await store.papers.get("2405.00001")
    assert stored is not None
    assert await vote_history(store, stored.id) == [1, 4, 8]
    assert not any([(await store.writer.save(day)).changed for day in days])


async def test_digest_keeps_order_validators_and_day_ranking(store: Store) -> None:
    day = digest(
        paper("2405.00001", title="Low", votes=2),
        paper("2405.00002", title="High", votes=30),
        paper("2405.00003", title="Unknown", votes=None),
        paper("2405.00004", title="Mid", votes=11),
    )
    validators = FetchValidators(etag='"abc"', last_modified="Mon, 06 May 2024 08:00:00 GMT")
    await store.writer.save(day, validators=validators)

    stored = await store.digests.get(SourceKind.MARKDOWN, DAY)
    assert stored is not None
    assert stored.paper_keys == ("2405.00001", "2405.00002", "2405.00003", "2405.00004")
    assert await store.digests.validators(SourceKind.MARKDOWN, DAY) == validators
    assert await store.digests.validators(SourceKind.HF, DAY) is None
    assert await store.digests.latest_date() == DAY

    ranked = await store.papers.of_day(DAY)
    assert [d.paper.title for d in ranked] == ["High", "Mid", "Low", "Unknown"]
    top = await store.papers.of_day(DAY, min_votes=10, limit=1)
    assert [d.paper.title for d in top] == ["High"]


async def test_new_validators_for_unchanged_content_are_kept(store: Store) -> None:
    day = digest(paper())
    await store.writer.save(day, validators=FetchValidators(etag='"1"'))
    result = await store.writer.save(day, validators=FetchValidators(etag='"2"'))
    assert not result.changed
    assert await store.digests.validators(SourceKind.MARKDOWN, DAY) == FetchValidators('"2"')
