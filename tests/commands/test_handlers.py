"""The handler layer itself, below any platform: what /subscription reads from the outbox,
where /digest finds its digest, and that failures become words, never exception text.
The caller here is an admin in an ordinary channel; the poster is the console adapter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.slack_bot import SlackBotAdapter
from bot.commands import COMMANDS, CommandDefaults, CommandEnv, Commands, Invocation
from bot.commands.errors import GENERIC_FAILURE
from bot.commands.posting import AdapterPoster
from bot.commands.replies import Tone
from bot.commands.wiring import build_commands, install_commands
from bot.config import load_settings
from bot.delivery import queries
from bot.models import SourceKind
from bot.render.discord import render_discord_digest
from bot.render.slack import render_slack_digest
from bot.store import Store, open_store
from bot.store.rows import (
    ChannelRef,
    DeliveryKind,
    PlannedDelivery,
    Platform,
    SubscriptionSettings,
)
from tests.commands.samples import NOW

LEASE = dt.timedelta(minutes=5)

CHANNEL = ChannelRef(Platform.SLACK, "T1", "C1")


class AdminInAChannel:
    requirement = "being an admin"

    async def can_manage(self) -> bool:
        return True

    async def post_problem(self) -> str | None:
        return None


def invocation(
    name: str, out: io.StringIO, *, slack: bool = False, **options: object
) -> Invocation:
    render = render_slack_digest if slack else render_discord_digest
    return Invocation(
        spec=COMMANDS[name],
        options=options,
        channel=CHANNEL,
        user_id="U1",
        is_dm=False,
        caller=AdminInAChannel(),
        poster=AdapterPoster(ConsoleAdapter(out), CHANNEL.channel_id, render),
    )


async def test_last_post_is_the_newest_sent_delivery(commands: Commands, store: Store) -> None:
    subscription = await store.subscriptions.save(CHANNEL, SubscriptionSettings(), actor="U1")
    planned = [
        PlannedDelivery(subscription.id, DeliveryKind.DIGEST, f"2024-05-0{day}") for day in (6, 7)
    ]
    await store.deliveries.plan(planned, now=NOW)
    sent_at = dt.datetime(2024, 5, 7, 9, 0, 3, tzinfo=dt.UTC)
    for when in (sent_at - dt.timedelta(days=1), sent_at):
        (claimed,) = await queries.claim(
            store.db, platforms=[CHANNEL.platform], limit=1, lease=LEASE, clock=lambda: NOW
        )
        await queries.mark_sent(store.db, claimed, {}, message_id="m", error=None, now=when)
    reply = await commands.run(invocation("subscription", io.StringIO()))
    assert "Last post: 2024-05-07 09:00 UTC" in reply.plain_text


async def test_digest_uses_the_subscription_source_and_thread_replies(
    commands: Commands, store: Store
) -> None:
    await store.subscriptions.save(
        CHANNEL, SubscriptionSettings(sources=(SourceKind.MARKDOWN,), top_n=2), actor="U1"
    )
    out = io.StringIO()
    reply = await commands.run(invocation("digest", out, slack=True))
    assert reply.tone is Tone.OK
    assert "Posted the digest of 2024-05-06" in reply.plain_text
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["role"] for line in lines] == ["header", "paper", "paper"]
    assert "Sparse Mixtures" in lines[1]["body"]["text"]
    assert "논문 4편 중 상위 2편" in json.dumps(lines[0]["body"], ensure_ascii=False)


async def test_digest_on_an_empty_archive(tmp_path: Path) -> None:
    async with open_store(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        commands = Commands(CommandEnv(empty, clock=lambda: NOW))
        reply = await commands.run(invocation("digest", io.StringIO()))
        papers = await commands.run(invocation("papers", io.StringIO()))
    assert reply.tone is Tone.ERROR
    assert "no digest yet" in reply.plain_text
    assert "no digests yet" in papers.plain_text


async def test_a_store_failure_is_logged_and_never_shown(
    commands: Commands, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async with store.db.write() as conn:
        await conn.execute(sa.text("DROP TABLE deliveries"))
        await conn.execute(sa.text("DROP TABLE subscriptions"))
    with caplog.at_level(logging.ERROR, logger="bot.commands.router"):
        reply = await commands.run(invocation("subscribe", io.StringIO(), top=3))
    assert reply.plain_text == GENERIC_FAILURE
    assert reply.tone is Tone.ERROR
    assert "subscriptions" not in reply.plain_text
    assert any(record.exc_info for record in caplog.records)


async def test_suggestions_survive_a_failing_store(commands: Commands, store: Store) -> None:
    assert [s.value for s in await commands.suggest("tokenizers")] == ["2405.00004"]
    async with store.db.write() as conn:
        await conn.execute(sa.text("ALTER TABLE papers RENAME TO papers_elsewhere"))
    assert await commands.suggest("tokenizers") == []
    assert await commands.suggest("") == []


async def test_wiring_attaches_commands_to_bot_adapters_only(
    commands: Commands, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_ADMIN_USERS", "U0ONE, U0TWO")
    settings = load_settings()
    assert settings.slack_admin_users == ["U0ONE", "U0TWO"]
    discord_bot = DiscordBotAdapter(token="t", connect_gateway=False)
    assert install_commands(discord_bot, commands, settings)
    assert sorted(c.name for c in discord_bot.tree.get_commands()) == sorted(COMMANDS)
    async with aiohttp.ClientSession() as session:
        slack_bot = SlackBotAdapter(token="xoxb-t", session=session, signing_secret="s")
        assert install_commands(slack_bot, commands, settings)
        assert len(slack_bot.app._async_listeners) == len(COMMANDS)
    assert not install_commands(ConsoleAdapter(io.StringIO()), commands, settings)
    built = build_commands(commands.env.store, settings)
    assert built.env.defaults.post_time == settings.default_post_time


async def test_a_new_subscription_starts_with_the_configured_empty_day_policy(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PAPERS_POLICY", "note")
    defaults = CommandDefaults.from_settings(load_settings())
    commands = Commands(CommandEnv(store, defaults, clock=lambda: NOW))
    reply = await commands.run(invocation("subscribe", io.StringIO(), top=3))
    assert "Empty days: note (a short message)" in reply.plain_text
    created = await store.subscriptions.get(CHANNEL)
    assert created is not None
    assert created.settings.no_papers == "note"

    other = ChannelRef(Platform.SLACK, "T1", "C2")
    await store.subscriptions.save(other, SubscriptionSettings(no_papers="skip"), actor="U1")
    moved = dataclasses.replace(invocation("subscribe", io.StringIO(), top=4), channel=other)
    await commands.run(moved)
    kept = await store.subscriptions.get(other)
    assert kept is not None
    assert (kept.settings.top_n, kept.settings.no_papers) == (4, "skip")  # its own choice
