"""Discord bodies: structure, splitting, videos, safety, labels."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.models import Digest, Media, Platform, SourceKind
from bot.render.discord import (
    render_discord_alert,
    render_discord_digest,
    render_discord_paper,
)
from bot.render.message import MessageRole, RenderedMessage
from bot.render.options import RenderOptions
from tests.render.samples import DAY, english_digest, hostile_digest, korean_digest, paper
from tests.render.validators import discord_message_violations


def assert_valid(messages: list[RenderedMessage]) -> None:
    assert messages
    for message in messages:
        assert message.platform is Platform.DISCORD
        assert discord_message_violations(message.body) == [], message.body


def all_embeds(messages: list[RenderedMessage]) -> list[dict[str, Any]]:
    return [embed for m in messages for embed in m.body["embeds"]]


def many(count: int, summary_chars: int = 100) -> Digest:
    papers = tuple(
        paper(
            title=f"Paper number {n}",
            arxiv_id=f"2403.{n:05d}",
            url=f"https://arxiv.org/abs/2403.{n:05d}",
            bullets=("x" * summary_chars,),
        )
        for n in range(count)
    )
    return Digest(date=DAY, source=SourceKind.HF, papers=papers)


def test_english_digest_structure() -> None:
    digest = english_digest()
    messages = render_discord_digest(digest, digest.papers)
    assert_valid(messages)
    assert len(messages) == 1
    header, *cards = messages[0].body["embeds"]
    assert messages[0].role is MessageRole.HEADER
    assert "2024-03-14" in header["title"]
    assert header["url"] == "https://huggingface.co/papers/date/2024-03-14"
    assert [c["title"] for c in cards] == [p.title for p in digest.papers]
    first = cards[0]
    assert first["url"] == "https://huggingface.co/papers/2403.01234"
    assert first["description"].startswith("• The authors route")
    assert first["image"] == {"url": "https://example.org/thumbs/2403.01234.png"}
    fields = {f["name"]: f["value"] for f in first["fields"]}
    assert fields["Votes"] == "👍 42"
    assert fields["Authors"] == "Ada Park, Ben Ortiz, Chloe Wu"
    assert "[arXiv](https://arxiv.org/abs/2403.01234)" in fields["Links"]
    assert "[PDF](https://arxiv.org/pdf/2403.01234)" in fields["Links"]
    assert first["footer"]["text"] == "Markdown digest · 2024-03-14"
    second = {f["name"]: f["value"] for f in cards[1]["fields"]}
    assert "[GitHub](https://github.com/example/counting-sheep)" in second["Links"]
    assert "[Project page](https://example.org/sheep)" in second["Links"]
    assert second["Authors"].endswith(", ... (+7 more)")
    third = cards[2]
    assert {f["name"]: f["value"] for f in third["fields"]}["Votes"] == "👍 n/a"
    assert "Authors" not in {f["name"] for f in third["fields"]}
    assert third["description"].startswith("We study what happens")


def test_splits_at_ten_embeds_keeping_order() -> None:
    digest = many(25)
    messages = render_discord_digest(digest, digest.papers)
    assert_valid(messages)
    assert [len(m.body["embeds"]) for m in messages] == [10, 10, 6]
    titles = [e["title"] for e in all_embeds(messages)[1:]]
    assert titles == [p.title for p in digest.papers]
    assert messages[0].role is MessageRole.HEADER
    assert all(m.role is MessageRole.PAPER for m in messages[1:])
    assert messages[1].meta["paper_keys"].split("\n") == [p.key for p in digest.papers[9:19]]
    assert [m.meta["part"] for m in messages] == ["1/3", "2/3", "3/3"]


def test_splits_at_six_thousand_characters() -> None:
    digest = many(6, summary_chars=2500)
    messages = render_discord_digest(digest, digest.papers)
    assert_valid(messages)
    assert len(messages) >= 3  # two 2,500-char cards can't share a message
    assert len(all_embeds(messages)) == 7


def test_description_is_capped_at_the_platform_limit() -> None:
    long = paper(bullets=tuple(f"Sentence {n} of a very long summary." * 10 for n in range(40)))
    message = render_discord_paper(long)
    assert_valid([message])
    description = message.body["embeds"][0]["description"]
    assert 3000 < len(description) <= 4096
    assert description.endswith("…")


def test_summary_limit_option() -> None:
    long = paper(bullets=("word " * 400,))
    message = render_discord_paper(long, options=RenderOptions(summary_limit=300))
    assert len(message.body["embeds"][0]["description"]) <= 300


def test_video_paper_has_link_in_content_and_a_still_image() -> None:
    digest = korean_digest()
    messages = render_discord_digest(digest, digest.papers)
    assert_valid(messages)
    video_message = messages[0]
    assert video_message.body["content"] == "🎬 https://cdn.example.org/videos/2403.02222.mp4"
    # The video paper ends its message so the player shows right under its card.
    assert video_message.body["embeds"][-1]["title"] == digest.papers[0].title
    card = video_message.body["embeds"][-1]
    assert "video" not in card
    assert card["image"]["url"].endswith("/social-thumbnails/papers/2403.02222.png")
    assert len(messages) == 2


def test_svg_media_falls_back_to_the_hf_thumbnail() -> None:
    digest = korean_digest()
    message = render_discord_paper(digest.papers[1])
    image = message.body["embeds"][0]["image"]["url"]
    assert image == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.03333.png"


def test_korean_labels_and_bold_labels_kept() -> None:
    digest = korean_digest()
    embeds = all_embeds(render_discord_digest(digest, digest.papers))
    assert embeds[0]["title"].startswith("Hugging Face 데일리 페이퍼")
    assert "논문 2편" in embeds[0]["description"]
    card = embeds[1]
    names = [f["name"] for f in card["fields"]]
    assert names == ["추천", "저자", "링크"]
    assert card["description"].startswith("• ***What's New***: 한국어")
    authors = card["fields"][1]["value"]
    assert authors.endswith("(외 2명 이상, 원문 목록 일부 생략)")


def test_locale_override() -> None:
    digest = korean_digest()
    embeds = all_embeds(
        render_discord_digest(digest, digest.papers, options=RenderOptions(locale="en"))
    )
    assert [f["name"] for f in embeds[1]["fields"]] == ["Votes", "Authors", "Links"]


def test_hostile_text_is_inert() -> None:
    digest = hostile_digest()
    messages = render_discord_digest(digest, digest.papers)
    assert_valid(messages)
    card = messages[0].body["embeds"][1]
    assert card["title"].startswith("@\u200beveryone")
    assert "\\*\\*Bold\\*\\*" in card["title"]
    assert "javascript" not in card.get("description", "")
    links = {f["name"]: f["value"] for f in card["fields"]}["Links"]
    assert "ftp:" not in links
    assert "/relative/page" not in links
    # The javascript "image" is refused; the HF thumbnail stands in.
    assert card["image"]["url"].startswith("https://cdn-thumbnails.huggingface.co/")
    assert messages[0].body["allowed_mentions"] == {"parse": []}
    second = messages[0].body["embeds"][2]
    assert second["title"].startswith("\\`Code\\` title \\> see \\<https\\://evil.example")
    assert second["description"].splitlines() == [
        "\\# A heading",
        "\\-# subtext",
        "\\> a quote",
        "\\- a list item",
        "1\\. a numbered item",
        "\\`\\`\\`py fenced\\`\\`\\` and \\`inline\\` code",
        "Official code (https://evil.example/phish) https://evil.example/p.png",
    ]


def test_no_papers_still_posts_a_header() -> None:
    digest = Digest(date=DAY, source=SourceKind.HF, papers=())
    messages = render_discord_digest(digest, [])
    assert_valid(messages)
    assert len(messages) == 1
    assert "No papers" in messages[0].body["embeds"][0]["description"]


def test_top_n_count_in_header() -> None:
    digest = english_digest()
    header = render_discord_digest(digest, digest.papers[:1])[0].body["embeds"][0]
    assert "Top 1 of 3 papers" in header["description"]


def test_paper_card_and_options() -> None:
    single = render_discord_paper(
        paper(media=Media.from_url("https://e.org/clip.webm")),
        options=RenderOptions(show_images=False, show_authors=False),
    )
    assert_valid([single])
    assert single.paper_key == "2403.01234"
    embed = single.body["embeds"][0]
    assert "image" not in embed
    assert "Authors" not in {f["name"] for f in embed["fields"]}
    assert single.body["content"] == "🎬 https://e.org/clip.webm"


def test_alert() -> None:
    alert = render_discord_alert(paper(title="**Big** @here news", votes=57), 50)
    assert_valid([alert])
    assert alert.role is MessageRole.ALERT
    content = alert.body["content"]
    assert "crossed 50 votes (now 57)" in content
    assert "@\u200bhere" in content
    assert "\\*\\*Big\\*\\*" in content


def _shape(messages: list[RenderedMessage]) -> list[str]:
    return [m.meta["paper_keys"] for m in messages]


def test_growing_vote_counts_never_repack_a_digest() -> None:
    """Live cards edit each posted message in place, so the papers a message carries must
    not depend on their counts: for summaries of every length around the 6,000-character
    boundary, counts from unknown to seven digits pack the same way, and every message
    stays within Discord's limits."""
    counts: list[int | None] = [None, 0, 9, 10, 99, 100, 12_345, 9_999_999]
    for words in range(60, 160, 3):
        papers = [
            paper(
                arxiv_id=f"2403.{n:05d}",
                url=f"https://arxiv.org/abs/2403.{n:05d}",
                title=f"Paper number {n}",
                bullets=(" ".join(["word"] * words), "A closing sentence."),
            )
            for n in range(10)
        ]
        digest = Digest(date=DAY, source=SourceKind.HF, papers=tuple(papers))
        shapes = set()
        for votes in counts:
            voted = [replace(p, votes=votes) for p in papers]
            messages = render_discord_digest(replace(digest, papers=tuple(voted)), voted)
            shapes.add(tuple(_shape(messages)))
            for message in messages:
                assert discord_message_violations(message.body) == [], (words, votes)
        assert len(shapes) == 1, words
