"""The fixed words of a post, in the digest's language (English and Korean).

Summaries arrive already written in one language; framing them with labels in another
reads oddly, so the digest's `language` picks the label set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.models import SourceKind


@dataclass(frozen=True, slots=True)
class Labels:
    locale: str
    digest_title: str
    papers: str
    """"{n} papers"."""
    one_paper: str
    top_of: str
    """"Top {shown} of {total} papers"."""
    no_papers: str
    day_page: str
    votes: str
    votes_unknown: str
    authors: str
    links: str
    watch_video: str
    project_page: str
    paper_link: str
    untitled: str
    more_authors: str
    """"(+{n} more)"."""
    more_authors_cut: str
    """The source's own list was cut too: "(+{n} more; source list incomplete)"."""
    source_cut: str
    """Nothing hidden by us but the source's list was cut."""
    more_papers: str
    """"...and {n} more in the thread"."""
    alert: str
    """"{title} crossed {threshold} votes (now {votes})"."""
    following: str
    """Heads the followed names a paper matched ("Following: A")."""
    source_names: Mapping[SourceKind, str]

    def count(self, shown: int, total: int) -> str:
        if shown < total:
            return self.top_of.format(shown=shown, total=total)
        return self.one_paper if total == 1 else self.papers.format(n=total)

    def authors_suffix(self, hidden: int, cut_at_source: bool) -> str:
        if cut_at_source:
            return self.more_authors_cut.format(n=hidden) if hidden else self.source_cut
        return self.more_authors.format(n=hidden)

    def source(self, kind: SourceKind) -> str:
        return self.source_names.get(kind, kind.value)

    def heading(self, date: dt.date) -> str:
        return f"{self.digest_title} · {date.isoformat()}"


ENGLISH = Labels(
    locale="en",
    digest_title="Hugging Face Daily Papers",
    papers="{n} papers",
    one_paper="1 paper",
    top_of="Top {shown} of {total} papers",
    no_papers="No papers in this digest.",
    day_page="Open the day on Hugging Face",
    votes="Votes",
    votes_unknown="n/a",
    authors="Authors",
    links="Links",
    watch_video="Watch video",
    project_page="Project page",
    paper_link="Paper",
    untitled="(untitled)",
    more_authors="(+{n} more)",
    more_authors_cut="(+{n} more; source list incomplete)",
    source_cut="(source list incomplete)",
    more_papers="...and {n} more",
    alert="crossed {threshold} votes (now {votes})",
    following="Following",
    source_names=MappingProxyType(
        {
            SourceKind.MARKDOWN: "Markdown digest",
            SourceKind.HF: "Hugging Face",
            SourceKind.FEED: "Feed",
        }
    ),
)

KOREAN = Labels(
    locale="ko",
    digest_title="Hugging Face 데일리 페이퍼",
    papers="논문 {n}편",
    one_paper="논문 1편",
    top_of="논문 {total}편 중 상위 {shown}편",
    no_papers="이 날은 소개된 논문이 없습니다.",
    day_page="Hugging Face에서 보기",
    votes="추천",
    votes_unknown="정보 없음",
    authors="저자",
    links="링크",
    watch_video="영상 보기",
    project_page="프로젝트 페이지",
    paper_link="논문",
    untitled="(제목 없음)",
    more_authors="(외 {n}명)",
    more_authors_cut="(외 {n}명 이상, 원문 목록 일부 생략)",
    source_cut="(원문 목록 일부 생략)",
    more_papers="...외 {n}편",
    alert="추천 {threshold}표 돌파 (현재 {votes}표)",
    following="팔로우",
    source_names=MappingProxyType(
        {
            SourceKind.MARKDOWN: "마크다운 요약",
            SourceKind.HF: "Hugging Face",
            SourceKind.FEED: "피드",
        }
    ),
)

_BY_LOCALE: Mapping[str, Labels] = MappingProxyType(
    {labels.locale: labels for labels in (ENGLISH, KOREAN)}
)


def labels_for(language: str | None) -> Labels:
    """Labels for a language tag such as "ko", "ko-KR" or "en"; English otherwise."""
    primary = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return _BY_LOCALE.get(primary, ENGLISH)
