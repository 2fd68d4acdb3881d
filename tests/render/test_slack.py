"""Slack bodies: both layouts, media, safety, sizes, labels."""

from __future__ import annotations

from typing import Any

from bot.models import Digest, Media, Platform, SourceKind
from bot.render.markup import ZWSP
from bot.render.message import MessageRole, RenderedMessage
from bot.render.options import RenderOptions, SlackLayout
from bot.render.slack import render_slack_alert, render_slack_digest, render_slack_paper
from tests.render.samples import DAY, english_digest, hostile_digest, korean_digest, paper
from tests.render.validators import slack_message_violations

THREAD = RenderOptions(slack_layout=SlackLayout.THREAD)


def assert_valid(messages: list[RenderedMessage]) -> None:
    assert messages
    for message in messages:
        assert message.platform is Platform.SLACK
        assert slack_message_violations(message.body) == [], message.body


def blocks_of(message: RenderedMessage, kind: str) -> list[dict[str, Any]]:
    return [b for b in message.body["blocks"] if b["type"] == kind]


def all_text(message: RenderedMessage) -> str:
    parts = [message.body["text"]]
    for block in message.body["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(e.get("text", "") for e in block.get("elements", []))
    return "\n".join(parts)


def test_channel_layout() -> None:
    digest = english_digest()
    messages = render_slack_digest(digest, digest.papers)
    assert_valid(messages)
    assert [m.role for m in messages] == [MessageRole.HEADER] + [MessageRole.PAPER] * 3
    assert not any(m.in_thread for m in messages)
    header = messages[0].body
    assert header["blocks"][0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "📚 Hugging Face Daily Papers · 2024-03-14",
            "emoji": True,
        },
    }
    assert "<https://huggingface.co/papers/date/2024-03-14|" in all_text(messages[0])
    assert header["text"] == "Hugging Face Daily Papers · 2024-03-14: 3 papers"
    card = messages[1]
    assert card.paper_key == "2403.01234"
    assert card.body["blocks"][0]["text"]["text"] == (
        "*<https://huggingface.co/papers/2403.01234|"
        "Sparse Mixtures of Tiny Experts for Edge Devices>*"
    )
    assert card.body["text"] == "Sparse Mixtures of Tiny Experts for Edge Devices (👍 42)"
    assert card.body["unfurl_links"] is False
    assert "link_names" not in card.body
    assert card.body["metadata"]["event_payload"]["paper_key"] == "2403.01234"
    image = blocks_of(card, "image")[0]
    assert image["image_url"] == "https://example.org/thumbs/2403.01234.png"
    assert "*Authors:* Ada Park, Ben Ortiz, Chloe Wu" in all_text(card)


def test_thread_layout_replies_and_index() -> None:
    digest = english_digest()
    messages = render_slack_digest(digest, digest.papers, options=THREAD)
    assert_valid(messages)
    assert not messages[0].in_thread
    assert all(m.in_thread for m in messages[1:])
    index = all_text(messages[0])
    for number, item in enumerate(digest.papers, start=1):
        assert f"{number}. <https://huggingface.co/papers/{item.arxiv_id}|{item.title}>" in index


def test_thread_index_of_a_huge_day_stays_within_limits() -> None:
    papers = tuple(
        paper(title=f"A rather long title for paper {n} " * 5, arxiv_id=f"2403.{n:05d}")
        for n in range(400)
    )
    digest = Digest(date=DAY, source=SourceKind.HF, papers=papers)
    header = render_slack_digest(digest, papers[:1], options=THREAD)[0]
    big = render_slack_digest(digest, papers, options=THREAD)[0]
    assert_valid([header, big])
    assert "...and" in all_text(big)


def test_korean_mrkdwn_keeps_bold_labels() -> None:
    digest = korean_digest()
    messages = render_slack_digest(digest, digest.papers)
    assert_valid(messages)
    summary = messages[1].body["blocks"][1]["text"]["text"]
    assert summary.splitlines() == [
        "• *_What's New_*: 한국어 추론 벤치마크 KoReason을 새로 제안합니다.",
        "• *Technical Details*: 문항 3,000개를 _수작업_으로 검수했습니다.",
        "• *_Performance Highlights_*: 최고 모델도 정답률 61%에 그쳤습니다.",
    ]
    assert "*추천* 19" in all_text(messages[1])
    # A link in a summary is written out, never a link whose label could hide its target.
    assert "프로젝트 (https://example.org/3d)에서" in all_text(messages[2])
    assert "<https://example.org/3d" not in all_text(messages[2])


def test_video_without_declared_domain_is_thumbnail_plus_link() -> None:
    digest = korean_digest()
    card = render_slack_digest(digest, digest.papers)[1]
    assert not blocks_of(card, "video")
    assert blocks_of(card, "image")[0]["image_url"].endswith("/papers/2403.02222.png")
    assert "<https://cdn.example.org/videos/2403.02222.mp4|영상 보기>" in all_text(card)


def test_video_block_only_for_declared_https_domain() -> None:
    options = RenderOptions(slack_video_domains=frozenset({"example.org"}))
    card = render_slack_paper(korean_digest().papers[0], options=options)
    assert_valid([card])
    (video,) = blocks_of(card, "video")
    assert video["video_url"] == "https://cdn.example.org/videos/2403.02222.mp4"
    assert video["thumbnail_url"].endswith("/papers/2403.02222.png")
    assert not blocks_of(card, "image")
    plain_http = paper(media=Media.from_url("http://cdn.example.org/v.mp4"))
    card = render_slack_paper(plain_http, options=options)
    assert not blocks_of(card, "video")


def test_hostile_text_is_inert() -> None:
    digest = hostile_digest()
    for options in (RenderOptions(), THREAD):
        messages = render_slack_digest(digest, digest.papers, options=options)
        assert_valid(messages)
        text = "\n".join(all_text(m) for m in messages)
        assert "<!channel>" not in text
        assert "&lt;!channel&gt;" in text
        assert "<!subteam" not in text
        assert "<@U123>" not in text
        assert "javascript" not in text.replace("[click](javascript:x)", "")
        assert "ftp://" not in text
        assert "<https://evil.example" not in text
        assert "Official code (https://evil.example/phish) https://evil.example/p.png" in text
        assert f"\n{ZWSP}&gt; a quote\n" in text
        assert "`" not in text


def test_huge_summary_is_split_into_sections_and_capped() -> None:
    long = paper(
        bullets=tuple(f"문장 {n}번은 꽤 길게 이어지는 요약 문장입니다. " * 12 for n in range(60))
    )
    card = render_slack_paper(long)
    assert_valid([card])
    sections = blocks_of(card, "section")
    assert len(sections) > 4
    assert sections[-1]["text"]["text"].endswith("…")


def test_no_papers() -> None:
    digest = Digest(date=DAY, source=SourceKind.HF, papers=(), language="ko")
    messages = render_slack_digest(digest, [], options=THREAD)
    assert_valid(messages)
    assert len(messages) == 1
    assert "이 날은 소개된 논문이 없습니다." in all_text(messages[0])


def test_alert() -> None:
    alert = render_slack_alert(paper(title="<!here> Big news", votes=120), 100)
    assert_valid([alert])
    assert alert.role is MessageRole.ALERT
    assert alert.body["text"].startswith("🔥 *&lt;!here&gt; Big news* crossed 100 votes (now 120)")
