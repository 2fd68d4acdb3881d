"""Rendered payloads of the synthetic sample digests, checked in and compared byte for byte.

A change in the look of a post shows up here as a diff to review. After an intended change,
regenerate with `PAPERS_BOT_UPDATE_GOLDEN=1 pytest tests/render/test_golden.py` and read
the diff of tests/render/golden/ before committing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.compose.selection import rank_papers
from bot.models import Digest
from bot.render.discord import render_discord_digest
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions, SlackLayout
from bot.render.slack import render_slack_digest
from tests.render.hostile import digest_urls
from tests.render.samples import SAMPLES
from tests.render.validators import (
    discord_markup_violations,
    discord_message_violations,
    slack_markup_violations,
    slack_message_violations,
)

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "PAPERS_BOT_UPDATE_GOLDEN"

Renderer = Callable[[Digest], list[RenderedMessage]]

RENDERERS: dict[str, Renderer] = {
    "discord": lambda d: render_discord_digest(d, rank_papers(d.papers)),
    "slack-channel": lambda d: render_slack_digest(d, rank_papers(d.papers)),
    "slack-thread": lambda d: render_slack_digest(
        d, rank_papers(d.papers), options=RenderOptions(slack_layout=SlackLayout.THREAD)
    ),
}


def _serialize(messages: list[RenderedMessage]) -> str:
    records = [
        {
            "role": m.role.value,
            "in_thread": m.in_thread,
            "paper_key": m.paper_key,
            "body": m.body,
        }
        for m in messages
    ]
    return json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("target", sorted(RENDERERS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_golden(sample: str, target: str) -> None:
    digest = SAMPLES[sample]()
    messages = RENDERERS[target](digest)
    if target == "discord":
        check, markup = discord_message_violations, discord_markup_violations
    else:
        check, markup = slack_message_violations, slack_markup_violations
    assert all(check(m.body) == [] for m in messages)
    assert all(markup(m.body, digest_urls(digest)) == [] for m in messages)
    path = GOLDEN_DIR / f"{sample}.{target}.json"
    actual = _serialize(messages)
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path.name} missing: run with {UPDATE_ENV}=1 and review it")
    assert actual == path.read_text(encoding="utf-8")
