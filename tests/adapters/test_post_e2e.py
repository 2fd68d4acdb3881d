"""End to end: `papers-bot post` in a child process, configured only through the documented
environment variables, renders a digest with the real parser and renderers and posts it
through the outbox (bot channels) or directly (webhook URLs given on the command line),
through discord.py and slack-sdk to the fakes. The fakes hold every body to the platform
limits and the mention-safety rules; the assertions re-check what they recorded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.compose.selection import Selection, select_papers
from bot.models import Transport
from bot.render.discord import render_discord_digest
from bot.render.slack import render_slack_digest
from bot.sources.files import load_digest_file
from bot.store import open_store
from bot.store.rows import DeliveryState
from tests.adapters.cli_runner import run_cli
from tests.conftest import FIXTURE_CORPUS
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.render.validators import discord_message_violations, slack_message_violations

HOSTILE_DIGEST = """## Daily Papers (2024-05-02)

### [@everyone <!channel> Attention <@U024BE7LH> Is @here All <@&123> You Need](https://arxiv.org/abs/2405.00001)

![](https://example.org/figure.png)

Vote: 42

Authors: Alice <!subteam^S1>, Bob @everyone

- ***What's New***: pings <@123456789012345678> and <!here> and <#C123|general> and @here.
- **Technical Details**: a [link](javascript:alert(1)) and <https://evil.example|click> & more.

### [A Quiet Second Paper](https://arxiv.org/abs/2405.00002)

[Watch Video](https://example.org/clip.mp4)

Vote: 7

Authors: Carol

- plain summary
"""


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeDiscord, FakeSlack]]:
    discord, slack = FakeDiscord(), FakeSlack(channel_burst=40)
    await discord.start()
    await slack.start()
    yield discord, slack
    await slack.stop()
    await discord.stop()


def _settings_env(discord: FakeDiscord, slack: FakeSlack, data_dir: Path) -> dict[str, str]:
    env = {
        **discord.settings_env(),
        **slack.settings_env(),
        "HTTP_TIMEOUT": "10",
        "DATA_DIR": str(data_dir),
    }
    env.pop("SLACK_APP_TOKEN")  # posting needs no Socket Mode
    return env


async def _post_everywhere(
    digest_file: Path, discord: FakeDiscord, slack: FakeSlack, data_dir: Path, *extra: str
) -> tuple[str, str]:
    discord_hook, slack_hook = discord.add_webhook(), slack.add_webhook()
    result = await run_cli(
        "post",
        str(digest_file),
        "--to", f"discord:{discord.default_channel.id}",
        "--to", f"slack:{slack.default_channel.id}",
        "--to", f"webhook:{discord_hook}",
        "--to", f"webhook:{slack_hook}",
        *extra,
        env=_settings_env(discord, slack, data_dir),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stdout.count("posted") == 4
    assert result.stdout.count("directly (webhook not configured)") == 2
    for url in (discord_hook, slack_hook):
        assert url.rsplit("/", 1)[-1] not in result.stdout + result.stderr
    return discord_hook, slack_hook


def _discord_bodies(fake: FakeDiscord) -> list[dict[str, Any]]:
    posts = [r for r in fake.requests if r.method == "POST"]
    return [r.json() for r in posts if r.path.endswith("/messages") or "/webhooks/" in r.path]


def _slack_bodies(fake: FakeSlack) -> list[dict[str, Any]]:
    bodies = []
    for r in fake.requests:
        if r.path.endswith("chat.postMessage"):
            body = r.json()
            body.pop("channel")
            bodies.append(body)
        elif r.path.startswith("/services/"):
            bodies.append(r.json())
    return bodies


def _assert_nothing_could_ping(discord: FakeDiscord, slack: FakeSlack) -> None:
    bodies = _discord_bodies(discord)
    assert bodies
    for body in bodies:
        assert discord_message_violations(body) == []
        assert body["allowed_mentions"] == {"parse": []}
    for message in discord.all_messages():
        assert message["mention_everyone"] is False
        assert message["mentions"] == []
        assert message["mention_roles"] == []
    slack_bodies = _slack_bodies(slack)
    assert slack_bodies
    for body in slack_bodies:
        assert slack_message_violations(body) == []
        assert not body.get("link_names")


def _expected_counts(digest_file: Path) -> tuple[int, int]:
    digest = load_digest_file(digest_file)
    papers = select_papers(digest.papers, Selection(top_n=10))
    return len(render_discord_digest(digest, papers)), len(render_slack_digest(digest, papers))


async def test_hostile_synthetic_digest_posts_everywhere_without_a_ping(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, slack = fakes
    digest_file = tmp_path / "02.md"
    digest_file.write_text(HOSTILE_DIGEST, encoding="utf-8")
    await _post_everywhere(digest_file, discord, slack, tmp_path / "data")
    discord_count, slack_count = _expected_counts(digest_file)
    assert len(discord.default_channel.messages) == 2 * discord_count  # bot + webhook
    assert len(slack.default_channel.messages) == 2 * slack_count
    _assert_nothing_could_ping(discord, slack)
    titles = [e.get("title", "") for m in discord.all_messages() for e in m["embeds"]]
    assert any("Attention" in title for title in titles)


#: A fixture day with two `## Daily Papers` sections (the parser must merge them), a title
#: full of markup, a TAB and a control character in a summary, and a 6,000-character
#: author list.
DOUBLED_DAY = FIXTURE_CORPUS / "2024" / "10" / "18.md"


async def test_corpus_digest_posts_everywhere_in_thread_layout(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, slack = fakes
    digest_file = DOUBLED_DAY
    await _post_everywhere(digest_file, discord, slack, tmp_path / "data", "--layout", "thread")
    discord_count, slack_count = _expected_counts(digest_file)
    assert len(discord.default_channel.messages) == 2 * discord_count
    assert len(slack.default_channel.messages) == 2 * slack_count
    _assert_nothing_could_ping(discord, slack)
    bot_messages = [m for m in slack.default_channel.messages if not m.get("via_webhook")]
    header, *papers = bot_messages
    assert papers
    assert all(m["thread_ts"] == header["ts"] for m in papers)
    assert all(m["metadata"]["event_payload"]["key"] for m in bot_messages)
    day = load_digest_file(digest_file).date
    assert isinstance(day, dt.date)


async def test_a_rerun_finds_the_post_in_the_outbox_and_posts_nothing_new(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, _ = fakes
    digest_file = tmp_path / "02.md"
    digest_file.write_text(HOSTILE_DIGEST, encoding="utf-8")
    env = {**discord.settings_env(), "HTTP_TIMEOUT": "10", "DATA_DIR": str(tmp_path / "data")}
    target = f"discord:{discord.default_channel.id}"
    first = await run_cli("post", str(digest_file), "--to", target, env=env)
    second = await run_cli("post", str(digest_file), "--to", target, env=env)
    assert (first.code, second.code) == (0, 0), second.stderr
    assert f"{target}: posted" in first.stdout
    assert f"{target}: the digest of 2024-05-02 was already posted there at" in second.stdout
    discord_count, _ = _expected_counts(digest_file)
    assert len(discord.default_channel.messages) == discord_count
    assert len(discord.requests_to("/messages", "POST")) == discord_count


async def test_one_failing_destination_does_not_stop_the_others(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, slack = fakes
    gone = discord.add_channel("deleted")
    gone.state = "deleted"
    digest_file = tmp_path / "02.md"
    digest_file.write_text(HOSTILE_DIGEST, encoding="utf-8")
    result = await run_cli(
        "post", str(digest_file),
        "--to", f"discord:{gone.id}",
        "--to", f"slack:{slack.default_channel.id}",
        env=_settings_env(discord, slack, tmp_path / "data"),
    )  # fmt: skip
    assert result.code == 1
    assert f"discord:{gone.id}: failed" in result.stderr
    assert "Unknown Channel" in result.stderr
    _, slack_count = _expected_counts(digest_file)
    assert len(slack.default_channel.messages) == slack_count


async def test_dry_run_prints_bodies_and_sends_nothing(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, slack = fakes
    digest_file = tmp_path / "02.md"
    digest_file.write_text(HOSTILE_DIGEST, encoding="utf-8")
    target = f"discord:{discord.default_channel.id}"
    result = await run_cli(
        "post",
        str(digest_file),
        "--to",
        target,
        "--dry-run",
        env=_settings_env(discord, slack, tmp_path / "data"),
    )
    assert result.code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["platform"] for line in lines} == {"discord"}
    assert discord.requests == []


async def test_configured_webhooks_post_through_the_outbox(
    fakes: tuple[FakeDiscord, FakeSlack], tmp_path: Path
) -> None:
    discord, slack = fakes
    digest_file = tmp_path / "02.md"
    digest_file.write_text(HOSTILE_DIGEST, encoding="utf-8")
    hooks = (discord.add_webhook(), slack.add_webhook())
    env = {
        "DISCORD_WEBHOOK_URLS": hooks[0],
        "SLACK_WEBHOOK_URLS": hooks[1],
        "HTTP_TIMEOUT": "10",
        "DATA_DIR": str(tmp_path / "data"),
    }
    result = await run_cli("post", str(digest_file), env=env)
    assert result.code == 0, result.stderr
    assert result.stdout.count("posted") == 2
    assert "directly" not in result.stdout
    async with open_store(f"sqlite:///{tmp_path / 'data' / 'papers-bot.db'}") as store:
        rows = await store.deliveries.list(state=DeliveryState.SENT)
    assert sorted(r.channel.platform.value for r in rows) == ["discord", "slack"]
    assert {r.channel.transport for r in rows} == {Transport.WEBHOOK}
    secrets = [hook.rstrip("/").rsplit("/", 1)[-1] for hook in hooks]
    assert not [r for r in rows for secret in secrets if secret in repr(r)]  # labels, not URLs
    discord_count, slack_count = _expected_counts(digest_file)
    assert len(discord.default_channel.messages) == discord_count
    assert len(slack.default_channel.messages) == slack_count
