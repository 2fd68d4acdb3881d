"""/follow and /unfollow: below any platform (the handler layer with an admin caller), then
as people type them, over the fake Discord gateway and signed Slack HTTP. Refusals are one
line that changes nothing; /subscription lists what a channel follows."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.commands.replies import Tone
from bot.commands.router import Commands
from bot.commands.spec import FOLLOWS_MAX
from bot.store import Store
from bot.store.rows import Follow, FollowKind, SubscriptionSettings
from tests.commands.discord_interactions import NONE, answer_of, inject
from tests.commands.slack_requests import over_http
from tests.commands.slack_users import MEMBER, SlackWithUsers
from tests.commands.test_discord_commands import assert_safe
from tests.commands.test_discord_commands import channel_of as discord_channel
from tests.commands.test_handlers import CHANNEL, AdminInAChannel, invocation
from tests.commands.test_slack_commands import channel_of as slack_channel
from tests.fakes.discord import FakeDiscord


async def follows_of(store: Store, channel: object = CHANNEL) -> tuple[Follow, ...]:
    sub = await store.subscriptions.get(channel)  # type: ignore[arg-type]
    assert sub is not None
    return await store.follows.of(sub.id)


async def test_follow_then_list_then_unfollow(commands: Commands, store: Store) -> None:
    await store.subscriptions.save(CHANNEL, SubscriptionSettings(min_votes=50), actor="U1")
    reply = await commands.run(invocation("follow", author="  Jörg   Tiedemann "))
    assert reply.tone is Tone.OK
    assert 'Following author "Jörg Tiedemann" in this channel.' in reply.plain_text
    assert "even when they miss this channel's vote threshold" in reply.plain_text
    await commands.run(invocation("follow", org="deepseek-ai"))
    assert await follows_of(store) == (
        Follow(FollowKind.AUTHOR, "Jörg Tiedemann"),
        Follow(FollowKind.ORG, "deepseek-ai"),
    )
    shown = await commands.run(invocation("subscription"))
    assert 'Following: author "Jörg Tiedemann", org "deepseek-ai"' in shown.plain_text

    again = await commands.run(invocation("follow", author="jorg tiedemann"))
    assert (again.tone, again.plain_text) == (
        Tone.INFO,
        'This channel already follows author "jorg tiedemann".',
    )
    assert len(await follows_of(store)) == 2

    gone = await commands.run(invocation("unfollow", author="JORG TIEDEMANN"))
    assert gone.plain_text == 'Stopped following author "Jörg Tiedemann" here.'
    unknown = await commands.run(invocation("unfollow", author="Jörg Tiedemann"))
    assert unknown.tone is Tone.ERROR
    assert unknown.plain_text == (
        'This channel does not follow author "Jörg Tiedemann". /subscription lists what it follows.'
    )
    everything = await commands.run(invocation("unfollow", all=True))
    assert everything.plain_text == 'Stopped following org "deepseek-ai" in this channel.'
    nothing = await commands.run(invocation("unfollow", all=True))
    assert nothing.plain_text == "This channel follows nobody; nothing to stop."
    shown = await commands.run(invocation("subscription"))
    assert "Following: nobody (/follow adds an author or organisation)" in shown.plain_text


BAD = [
    ("follow", {}, "follow: give exactly one of author or org"),
    ("follow", {"author": "A", "org": "b"}, "follow: give exactly one of author or org"),
    ("follow", {"author": "   "}, "follow: give exactly one of author or org"),
    ("follow", {"author": "@everyone"}, "author: one name, of letters, digits, spaces and"),
    ("follow", {"author": "<@123456789>"}, "author: one name, of letters"),
    ("follow", {"author": "Ada, Bo"}, "not ','"),
    ("follow", {"org": "- . -"}, "org: give a name with a letter or digit in it"),
    ("follow", {"author": "x" * 101}, "author: too long (101 characters; at most 100)"),
    ("follow", {"author": 7}, "author: expected text"),
    ("unfollow", {}, "unfollow: give exactly one of author, org or all"),
    ("unfollow", {"author": "A", "all": True}, "unfollow: give exactly one of author, org or all"),
    ("unfollow", {"all": "maybe"}, "all: expected yes or no, got 'maybe'"),
]


@pytest.mark.parametrize(("name", "options", "message"), BAD)
async def test_bad_arguments_get_one_line_and_change_nothing(
    commands: Commands, store: Store, name: str, options: dict[str, object], message: str
) -> None:
    await store.subscriptions.save(CHANNEL, SubscriptionSettings(), actor="U1")
    sub = await store.subscriptions.get(CHANNEL)
    assert sub is not None
    kept = Follow(FollowKind.AUTHOR, "Ada Quill")
    await store.follows.add(sub.id, kept, actor="U1", now=sub.created_at)
    reply = await commands.run(invocation(name, **options))
    assert reply.tone is Tone.ERROR
    assert message in reply.plain_text
    assert len(reply.lines) == 1
    assert await store.follows.of(sub.id) == (kept,)


async def test_a_channel_without_a_subscription_is_told_to_subscribe(commands: Commands) -> None:
    for name, options in (("follow", {"org": "google"}), ("unfollow", {"all": True})):
        reply = await commands.run(invocation(name, **options))
        assert reply.tone is Tone.ERROR
        assert "This channel has no subscription" in reply.plain_text
        assert "/subscribe" in reply.plain_text


async def test_a_channel_follows_at_most_the_cap(commands: Commands, store: Store) -> None:
    sub = await store.subscriptions.save(CHANNEL, SubscriptionSettings(), actor="U1")
    for n in range(FOLLOWS_MAX):
        follow = Follow(FollowKind.AUTHOR, f"Author {n}")
        await store.follows.add(sub.id, follow, actor="U1", now=sub.created_at)
    refused = await commands.run(invocation("follow", org="google"))
    assert refused.tone is Tone.ERROR
    assert f"follows {FOLLOWS_MAX} names already" in refused.plain_text
    known = await commands.run(invocation("follow", author="author 0"))
    assert known.tone is Tone.INFO  # following a followed name is never refused
    shown = await commands.run(invocation("subscription"))
    assert f"and {FOLLOWS_MAX - 10} more" in shown.plain_text


async def test_only_managers_change_follows(commands: Commands, store: Store) -> None:
    class Member(AdminInAChannel):
        requirement = "the Manage Channels permission"

        async def can_manage(self) -> bool:
            return False

    await store.subscriptions.save(CHANNEL, SubscriptionSettings(), actor="U1")
    for name, options in (("follow", {"org": "google"}), ("unfollow", {"all": True})):
        asked = dataclasses.replace(invocation(name, **options), caller=Member())
        reply = await commands.run(asked)
        assert reply.tone is Tone.REFUSED
        assert f"/{name} needs the Manage Channels permission" in reply.plain_text
    assert await follows_of(store) == ()


async def test_follow_over_the_discord_gateway(
    fake_discord: FakeDiscord, discord_bot: DiscordBotAdapter, store: Store
) -> None:
    channel = discord_channel(fake_discord)
    await store.subscriptions.save(channel, SubscriptionSettings(), actor="a")
    hostile = "Ada @everyone"
    refused = await answer_of(
        fake_discord, await inject(fake_discord, "follow", {"author": hostile})
    )
    assert refused.ephemeral
    assert refused.text.startswith("⚠️ author: one name")
    assert_safe(refused)
    answer = await answer_of(
        fake_discord, await inject(fake_discord, "follow", {"author": "Kim Min-jun"})
    )
    assert answer.ephemeral
    assert 'Following author "Kim Min-jun"' in answer.text
    member = await answer_of(
        fake_discord, await inject(fake_discord, "unfollow", {"all": True}, permissions=NONE)
    )
    assert "/unfollow needs the Manage Channels permission" in member.text
    shown = await answer_of(fake_discord, await inject(fake_discord, "subscription"))
    assert 'author "Kim Min-jun"' in shown.text
    gone = await answer_of(
        fake_discord, await inject(fake_discord, "unfollow", {"author": "kim minjun"})
    )
    assert 'Stopped following author "Kim Min-jun"' in gone.text
    assert await follows_of(store, channel) == ()


async def test_follow_over_slack_http(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
) -> None:
    channel = slack_channel(fake_slack)
    await store.subscriptions.save(channel, SubscriptionSettings(), actor="a")
    typed = [
        ('author="Kim Min-jun"', 'Following author "Kim Min-jun"'),
        ("org:deepseek-ai", 'Following org "deepseek-ai"'),
        ("submitter=akhaliq", 'Following org "akhaliq"'),
        ("Kim Min-jun", "did not expect 'Kim'; usage: /follow [author=\"Name\"] [org=name]"),
        ('author="<!channel>"', "author: one name"),
    ]
    for text, expected in typed:
        answer = await over_http(fake_slack, session, slack_http, "/follow", text)
        assert answer.ephemeral
        assert answer.safe
        assert expected in answer.text, answer.text
    member = await over_http(fake_slack, session, slack_http, "/unfollow", "all", user=MEMBER)
    assert "/unfollow needs a workspace admin or owner" in member.text
    assert len(await follows_of(store, channel)) == 3
    answer = await over_http(fake_slack, session, slack_http, "/unfollow", "all")
    assert 'Stopped following author "Kim Min-jun", org "deepseek-ai", org "akhaliq"' in (
        answer.text
    )
    assert await follows_of(store, channel) == ()
