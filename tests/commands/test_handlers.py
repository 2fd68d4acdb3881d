"""The handler layer itself, below any platform: what /subscription reads from the outbox,
where /digest finds its digest and what it queues in the outbox, and that failures become
words, never exception text. The caller here is an admin in an ordinary channel."""

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
from bot.commands.context import Invocation
from bot.commands.env import CommandDefaults, CommandEnv
from bot.commands.errors import GENERIC_FAILURE
from bot.commands.replies import Tone
from bot.commands.router import Commands
from bot.commands.spec import COMMANDS
from bot.config import load_settings
from bot.delivery.payload import Post
from bot.delivery.planner import Planner
from bot.models import ChannelRef, Platform, SourceKind
from bot.store import Store, open_store
from bot.store.outbox import claims as queries
from bot.store.rows import DeliveryKind, DeliveryState, PlannedDelivery, SubscriptionSettings
from bot.wiring import build_commands, install_commands
from tests.commands.samples import NOW

LEASE = dt.timedelta(minutes=5)

CHANNEL = ChannelRef(Platform.SLACK, "T1", "C1")


class AdminInAChannel:
    requirement = "being an admin"

    async def can_manage(self) -> bool:
        return True

    async def post_problem(self) -> str | None:
        return None


def invocation(name: str, **options: object) -> Invocation:
    return Invocation(
        spec=COMMANDS[name],
        options=options,
        channel=CHANNEL,
        user_id="U1",
        is_dm=False,
        caller=AdminInAChannel(),
    )


async def test_last_post_is_the_newest_sent_delivery(commands: Commands, store: Store) -> None:
    subscription = await store.subscriptions.save(CHANNEL, SubscriptionSettings(), actor="U1")
    planned = [
        PlannedDelivery(CHANNEL, subscription.id, DeliveryKind.DIGEST, f"2024-05-0{day}")
        for day in (6, 7)
    ]
    await store.deliveries.plan(planned, now=NOW)
    sent_at = dt.datetime(2024, 5, 7, 9, 0, 3, tzinfo=dt.UTC)
    for when in (sent_at - dt.timedelta(days=1), sent_at):
        (claimed,) = await queries.claim(
            store.db, platforms=[CHANNEL.platform], limit=1, lease=LEASE, clock=lambda: NOW
        )
        await queries.mark_sent(store.db, claimed, {}, message_id="m", error=None, now=when)
    reply = await commands.run(invocation("subscription"))
    assert "Last post: 2024-05-07 09:00 UTC" in reply.plain_text


async def test_digest_queues_the_subscription_source_once_in_the_outbox(
    commands: Commands, store: Store
) -> None:
    sub = await store.subscriptions.save(
        CHANNEL,
        SubscriptionSettings(sources=(SourceKind.MARKDOWN,), top_n=2, layout="thread"),
        actor="U1",
    )
    reply = await commands.run(invocation("digest"))
    assert reply.tone is Tone.OK
    assert "Posting the digest of 2024-05-06 here with this channel's settings" in reply.plain_text
    assert "2 of 4 papers in 3 message(s)" in reply.plain_text
    [row] = await store.deliveries.list(channel=CHANNEL)
    assert (row.kind, row.item_key, row.subscription_id) == (
        DeliveryKind.DIGEST,
        "2024-05-06",
        sub.id,
    )
    post = Post.from_payload(row.payload)
    assert [m.role.value for m in post.messages] == ["header", "paper", "paper"]
    assert [m.in_thread for m in post.messages] == [False, True, True]
    assert "Sparse Mixtures" in post.messages[1].body["text"]
    assert "논문 4편 중 상위 2편" in json.dumps(post.messages[0].body, ensure_ascii=False)

    again = await commands.run(invocation("digest"))
    assert "The digest of 2024-05-06 is queued and goes out in a moment" in again.plain_text
    assert "not posted twice" in again.plain_text
    assert len(await store.deliveries.list(channel=CHANNEL)) == 1


async def test_digest_after_the_day_went_out_says_when(commands: Commands, store: Store) -> None:
    await store.subscriptions.save(
        CHANNEL, SubscriptionSettings(sources=(SourceKind.MARKDOWN,)), actor="U1"
    )
    await commands.run(invocation("digest"))
    (claimed,) = await queries.claim(
        store.db, platforms=[CHANNEL.platform], limit=1, lease=LEASE, clock=lambda: NOW
    )
    await queries.mark_sent(store.db, claimed, claimed.payload, message_id="1", error=None, now=NOW)
    reply = await commands.run(invocation("digest"))
    assert "was already posted here at 2024-05-07 12:00 UTC" in reply.plain_text
    [row] = await store.deliveries.list(channel=CHANNEL)
    assert row.state is DeliveryState.SENT


async def test_digest_without_a_subscription_uses_the_defaults(
    commands: Commands, store: Store
) -> None:
    reply = await commands.run(invocation("digest"))
    assert "with the default settings" in reply.plain_text
    [row] = await store.deliveries.list(channel=CHANNEL)
    assert row.subscription_id is None


async def test_digest_with_nothing_selected_queues_nothing(
    commands: Commands, store: Store
) -> None:
    await store.subscriptions.save(CHANNEL, SubscriptionSettings(min_votes=10_000), actor="U1")
    reply = await commands.run(invocation("digest"))
    assert "passes this channel's settings" in reply.plain_text
    assert "nothing was posted" in reply.plain_text
    assert await store.deliveries.list(channel=CHANNEL) == []


async def test_digest_on_an_empty_archive(tmp_path: Path) -> None:
    async with open_store(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        commands = Commands(CommandEnv(empty, Planner(empty, clock=lambda: NOW), clock=lambda: NOW))
        reply = await commands.run(invocation("digest"))
        papers = await commands.run(invocation("papers"))
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
        reply = await commands.run(invocation("subscribe", top=3))
    assert reply.plain_text == GENERIC_FAILURE
    assert reply.tone is Tone.ERROR
    assert "subscriptions" not in reply.plain_text
    [failed] = [record for record in caplog.records if record.exc_info]
    fields = {name: getattr(failed, name, None) for name in ("platform", "channel", "command")}
    assert fields == {"platform": "slack", "channel": "slack:C1", "command": "subscribe"}


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
    discord_bot = DiscordBotAdapter(token="t")
    assert install_commands(discord_bot, commands, settings)
    assert sorted(c.name for c in discord_bot.tree.get_commands()) == sorted(COMMANDS)
    async with aiohttp.ClientSession() as session:
        slack_bot = SlackBotAdapter(token="xoxb-t", session=session, signing_secret="s")
        assert install_commands(slack_bot, commands, settings)
        assert len(slack_bot.app._async_listeners) == len(COMMANDS)
    assert not install_commands(ConsoleAdapter(io.StringIO()), commands, settings)
    built = build_commands(commands.env.store, commands.env.digests, settings)
    assert built.env.defaults.post_time == settings.default_post_time


async def test_a_new_subscription_starts_with_the_configured_empty_day_policy(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PAPERS_POLICY", "note")
    defaults = CommandDefaults.from_settings(load_settings())
    commands = Commands(
        CommandEnv(store, Planner(store, clock=lambda: NOW), defaults, clock=lambda: NOW)
    )
    reply = await commands.run(invocation("subscribe", top=3))
    assert "Empty days: note (a short message)" in reply.plain_text
    created = await store.subscriptions.get(CHANNEL)
    assert created is not None
    assert created.settings.no_papers == "note"

    other = ChannelRef(Platform.SLACK, "T1", "C2")
    await store.subscriptions.save(other, SubscriptionSettings(no_papers="skip"), actor="U1")
    moved = dataclasses.replace(invocation("subscribe", top=4), channel=other)
    await commands.run(moved)
    kept = await store.subscriptions.get(other)
    assert kept is not None
    assert (kept.settings.top_n, kept.settings.no_papers) == (4, "skip")  # its own choice


async def test_live_votes_are_on_by_default_and_switched_per_channel(
    commands: Commands, store: Store
) -> None:
    reply = await commands.run(invocation("subscribe"))
    assert "Live votes: on (posted vote counts are edited as votes come)" in reply.plain_text
    reply = await commands.run(invocation("subscribe", live_votes="OFF"))
    assert "Live votes: off" in reply.plain_text
    stored = await store.subscriptions.get(CHANNEL)
    assert stored is not None
    assert stored.settings.live_votes is False
    shown = await commands.run(invocation("subscription"))
    assert "Live votes: off (posts keep the counts they were sent with)" in shown.plain_text
    refused = await commands.run(invocation("subscribe", live_votes="sometimes", top=3))
    assert refused.tone is Tone.ERROR
    assert "live_votes" in refused.plain_text
    assert "use on" in refused.plain_text
    unchanged = await store.subscriptions.get(CHANNEL)
    assert unchanged == stored  # a bad value changes nothing, not even the good one
