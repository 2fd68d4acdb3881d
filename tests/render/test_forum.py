"""Posts for a Discord forum: the same bodies as in a text channel, the first message
carrying the post's title and the tag names it asks for, the rest marked for its thread."""

from __future__ import annotations

import datetime as dt

from bot.models import Platform
from bot.render.discord import render_discord_alert, render_discord_digest
from bot.render.forum import THREAD_NAME, THREAD_TAGS, tag_names
from bot.render.limits import DiscordLimits
from bot.render.notes import render_nothing_new
from bot.render.options import RenderOptions
from tests.render.samples import english_digest, korean_digest, paper

FORUM = RenderOptions(discord_forum=True)


def test_a_text_channel_digest_carries_nothing_of_forums() -> None:
    digest = korean_digest()
    for message in render_discord_digest(digest, digest.papers):
        assert THREAD_NAME not in message.meta
        assert THREAD_TAGS not in message.meta
        assert not message.in_thread


def test_a_forum_digest_is_the_same_bodies_as_one_post_titled_with_the_day() -> None:
    digest = korean_digest()
    plain = render_discord_digest(digest, digest.papers)
    forum = render_discord_digest(
        digest, digest.papers, options=RenderOptions(discord_forum=True, forum_tags=("LLM",))
    )
    assert [m.body for m in forum] == [m.body for m in plain]
    opening, *rest = forum
    assert opening.meta[THREAD_NAME] == "Hugging Face 데일리 페이퍼 · 2024-03-14"
    assert opening.meta[THREAD_TAGS].splitlines() == [
        "daily papers",
        "papers",
        "ko",
        "korean",
        "한국어",
        "LLM",
    ]
    assert not opening.in_thread
    assert rest
    assert all(m.in_thread and THREAD_NAME not in m.meta for m in rest)


def test_the_subscription_language_names_the_tags() -> None:
    digest = english_digest()
    options = RenderOptions(discord_forum=True, locale="ko-KR")
    [opening, *_] = render_discord_digest(digest, digest.papers, options=options)
    assert opening.meta[THREAD_NAME] == "Hugging Face 데일리 페이퍼 · 2024-03-14"
    assert "한국어" in opening.meta[THREAD_TAGS].splitlines()


def test_an_alert_is_a_post_of_its_own_titled_with_the_paper_within_100_characters() -> None:
    long = paper(title="A " + "very " * 40 + "long title\nover two lines")
    alert = render_discord_alert(long, 10, options=FORUM)
    title = alert.meta[THREAD_NAME]
    assert title.startswith("🔥 A very very")
    assert len(title) <= DiscordLimits.THREAD_NAME
    assert title.endswith("…")
    assert "\n" not in title
    assert not alert.in_thread
    assert THREAD_NAME not in render_discord_alert(long, 10).meta


def test_a_note_is_a_post_of_its_own() -> None:
    day = dt.date(2024, 3, 14)
    note = render_nothing_new(Platform.DISCORD, day, "en", discord_forum=True)
    assert note.meta[THREAD_NAME] == "📭 No new Daily Papers since the last post (2024-03-14)."
    assert note.body == render_nothing_new(Platform.DISCORD, day, "en").body
    slack = render_nothing_new(Platform.SLACK, day, "en", discord_forum=True)
    assert THREAD_NAME not in slack.meta


def test_tag_names_are_each_asked_once_whatever_their_case_or_spacing() -> None:
    assert tag_names("en", ["Papers", " daily  papers ", "agents", "AGENTS"]) == (
        "daily papers",
        "papers",
        "en",
        "english",
        "agents",
    )
    assert tag_names("ja-JP") == ("daily papers", "papers", "ja")
    assert tag_names(None) == ("daily papers", "papers")
