"""Every digest of the corpus (the shipped fixtures, and every real day when the full corpus
is present), rendered for both platforms and both Slack layouts,
passes the validators: zero violations, and no link or markup from the digest's text."""

from __future__ import annotations

import pytest

from bot.compose.selection import rank_papers
from bot.render.discord import render_discord_digest
from bot.render.options import RenderOptions, SlackLayout
from bot.render.slack import render_slack_digest
from bot.sources.files import load_digest_file
from tests.conftest import DigestCorpus
from tests.render.hostile import digest_urls
from tests.render.validators import (
    discord_markup_violations,
    discord_message_violations,
    slack_markup_violations,
    slack_message_violations,
)


def test_every_corpus_digest_renders_valid_payloads(corpus: DigestCorpus) -> None:
    files = corpus.days
    problems: list[str] = []
    papers_seen = messages_checked = 0
    for path in files:
        digest = load_digest_file(path)
        papers = rank_papers(digest.papers)
        papers_seen += len(papers)
        ours = digest_urls(digest)
        discord = render_discord_digest(digest, papers)
        if sum(len(m.body["embeds"]) for m in discord) != len(papers) + 1:
            problems.append(f"{path}: discord lost a paper")
        for message in discord:
            messages_checked += 1
            found = discord_message_violations(message.body)
            found += discord_markup_violations(message.body, ours)
            problems += [f"{path} discord: {v}" for v in found]
        for layout in SlackLayout:
            slack = render_slack_digest(digest, papers, options=RenderOptions(slack_layout=layout))
            if len(slack) != len(papers) + 1:
                problems.append(f"{path}: slack {layout} lost a paper")
            for message in slack:
                messages_checked += 1
                found = slack_message_violations(message.body)
                found += slack_markup_violations(message.body, ours)
                problems += [f"{path} slack/{layout}: {v}" for v in found]
    assert problems == []
    assert len(files) >= corpus.min_days
    assert papers_seen >= corpus.min_papers
    assert messages_checked > 3 * len(files)


def test_a_video_day_carries_its_videos(corpus: DigestCorpus) -> None:
    """Some corpus days publish .mp4 previews: each must reach Discord content."""
    for path in corpus.days:
        digest = load_digest_file(path)
        videos = [p for p in digest.papers if p.video_url and p.video_url.startswith("http")]
        if not videos:
            continue
        messages = render_discord_digest(digest, rank_papers(digest.papers))
        contents = "\n".join(m.body.get("content", "") for m in messages)
        for paper in videos:
            assert paper.video_url is not None
            assert paper.video_url in contents, path
        return
    pytest.fail("no corpus day with a video found")
