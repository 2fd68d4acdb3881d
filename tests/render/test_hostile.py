"""Hostile text in every untrusted field stays text: no rendered message (digest header,
paper card, alert) carries a link, mention or markup the renderer did not put there, nor
does the HTML preview drawn from it, and every platform limit holds on the final, escaped
text."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Digest, Paper, Platform
from bot.render.discord import render_discord_alert, render_discord_digest, render_discord_paper
from bot.render.html_preview import preview_page
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions, SlackLayout
from bot.render.slack import render_slack_alert, render_slack_digest, render_slack_paper
from tests.render.hostile import digest_urls, hostile_digests, hostile_papers, paper_urls
from tests.render.page_dom import html_violations, read_page
from tests.render.validators import (
    discord_markup_violations,
    discord_message_violations,
    slack_markup_violations,
    slack_message_violations,
)

options = st.builds(
    RenderOptions,
    slack_layout=st.sampled_from(list(SlackLayout)),
    slack_video_domains=st.sampled_from([frozenset(), frozenset({"e.org"})]),
    show_images=st.booleans(),
    show_authors=st.booleans(),
    max_authors=st.integers(0, 30),
    summary_limit=st.one_of(st.none(), st.integers(0, 5000)),
)

HOSTILE = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_inert_discord(body: dict[str, Any], our_urls: set[str]) -> None:
    assert discord_message_violations(body) == []
    assert discord_markup_violations(body, our_urls) == []


def assert_inert_slack(body: dict[str, Any], our_urls: set[str]) -> None:
    assert slack_message_violations(body) == []
    assert slack_markup_violations(body, our_urls) == []


def assert_inert_preview(
    platform: Platform, messages: list[RenderedMessage], our_urls: set[str]
) -> None:
    """The HTML preview of the same messages (`preview --html`) is inert too."""
    page = preview_page([(platform, messages)], title="hostile", language="en")
    assert html_violations(read_page(page), our_urls) == []


@HOSTILE
@given(hostile_digests, options)
def test_hostile_digest_is_inert_on_discord(digest: Digest, opts: RenderOptions) -> None:
    messages = render_discord_digest(digest, digest.papers, options=opts)
    for message in messages:
        assert_inert_discord(message.body, digest_urls(digest))
    assert_inert_preview(Platform.DISCORD, messages, digest_urls(digest))


@HOSTILE
@given(hostile_digests, options)
def test_hostile_digest_is_inert_on_slack(digest: Digest, opts: RenderOptions) -> None:
    messages = render_slack_digest(digest, digest.papers, options=opts)
    for message in messages:
        assert_inert_slack(message.body, digest_urls(digest))
    assert_inert_preview(Platform.SLACK, messages, digest_urls(digest))


@HOSTILE
@given(hostile_papers(), options, st.integers(0, 10**6))
def test_hostile_card_and_alert_are_inert(paper: Paper, opts: RenderOptions, votes: int) -> None:
    ours = paper_urls(paper)
    assert_inert_discord(render_discord_paper(paper, options=opts).body, ours)
    assert_inert_discord(render_discord_alert(paper, votes, options=opts).body, ours)
    assert_inert_slack(render_slack_paper(paper, options=opts).body, ours)
    assert_inert_slack(render_slack_alert(paper, votes, options=opts).body, ours)
