"""Every command through slack-bolt: signed HTTP requests to the bot's endpoint and Socket
Mode envelopes, acknowledged at once and answered on the command's response_url; admins
come from users.info or SLACK_ADMIN_USERS, and the store is checked after each change."""

from __future__ import annotations

import aiohttp
import pytest

from bot.adapters.slack_bot import SlackBotAdapter
from bot.models import ChannelRef, Platform
from bot.store import Store
from bot.store.rows import DeliveryState, SubscriptionSettings
from tests.commands.conftest import ALLOWLISTED
from tests.commands.samples import MANAGEMENT as MANAGEMENT_COMMANDS
from tests.commands.slack_requests import command_form, over_http, over_socket
from tests.commands.slack_users import (
    COMMAND_CHANNEL,
    GUEST,
    MEMBER,
    OWNER,
    SlackWithUsers,
)
from tests.delivery.support import Engine
from tests.fakes.slack_signing import post_slash_command

MANAGEMENT = [f"/{name}" for name in MANAGEMENT_COMMANDS]


def channel_of(fake: SlackWithUsers, channel: str = COMMAND_CHANNEL) -> ChannelRef:
    return ChannelRef(Platform.SLACK, fake.team_id, channel)


async def test_paper_over_http_acks_empty_then_answers_privately(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, slack_http: str
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/paper", "sparse experts")
    assert (answer.ack_status, answer.ack_body) == (200, "")
    assert answer.ephemeral
    assert answer.safe
    first = answer.response["blocks"][0]["text"]["text"]
    assert "Sparse Mixtures of Gated Experts for Retrieval" in first
    assert "huggingface.co/papers/2405.00001" in first


async def test_paper_share_answers_in_channel(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, slack_http: str
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/paper", "diffusion --share")
    assert answer.response["response_type"] == "in_channel"
    assert "Video Diffusion with Temporal Attention" in answer.text
    assert "Other matches:" in answer.text
    assert "Diffusion Transformers at Scale" in answer.text


async def test_paper_over_socket_mode(
    fake_slack: SlackWithUsers, slack_socket: SlackBotAdapter
) -> None:
    answer = await over_socket(fake_slack, "/paper", "2405.01001")
    assert answer.ack_body == ""  # the envelope was acked with no payload, at once
    assert "Large Language Model Agents for Code Repair" in answer.text
    assert answer.safe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["Large Language Model Agents", "Video Diffusion", "everyone"]),
        ("2024-05-06 10 1", ["at least 10 votes", "Sparse Mixtures", "…and 1 more"]),
        ("date=yesterday top=2", ["Papers of 2024-05-06", "Sparse Mixtures", "Diffusion Trans"]),
    ],
)
async def test_papers(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    text: str,
    expected: list[str],
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/papers", text)
    for piece in expected:
        assert piece in answer.text
    assert answer.safe


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("top=0", "top: must be between 1 and 50, got 0"),
        ("top=51", "top: must be between 1 and 50"),
        ("min_votes=-1", "min_votes: must be between 0 and 100000"),
        ("min_votes=100001", "min_votes: must be between 0 and 100000"),
        ("min_votes=lots", "min_votes: expected a whole number, got 'lots'"),
        ("2024/05/06", "date: expected YYYY-MM-DD"),
        ("2024-05-01", "No digest for 2024-05-01"),
        ("color=red", "/papers has no option 'color'"),
    ],
)
async def test_papers_validation(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    text: str,
    message: str,
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/papers", text)
    assert answer.ephemeral
    assert message in answer.text


async def test_subscription_round_trip_over_http_and_socket(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    slack_socket: SlackBotAdapter,
    store: Store,
) -> None:
    channel = channel_of(fake_slack)
    text = 'min_votes=5 top=4 keywords="agents, diffusion" time=07:15 tz=Europe/Berlin'
    answer = await over_http(fake_slack, session, slack_http, "/subscribe", text)
    assert "Subscribed this channel." in answer.text
    assert "Next post:* 2024-05-08 07:15 CEST (in 17 h 15 min)" in answer.text
    saved = await store.subscriptions.get(channel)
    assert saved is not None
    assert saved.settings.keywords == ("agents", "diffusion")
    assert (saved.settings.min_votes, saved.settings.top_n) == (5, 4)
    assert saved.settings.timezone == "Europe/Berlin"
    assert (saved.settings.layout, saved.settings.no_papers) == ("channel", "skip")

    answer = await over_socket(fake_slack, "/subscribe", "layout=thread no-papers=note")
    assert "Subscription updated." in answer.text
    assert "Empty days:* note (a short message)" in answer.text
    changed = await store.subscriptions.get(channel)
    assert changed is not None
    assert (changed.settings.layout, changed.settings.no_papers) == ("thread", "note")
    assert changed.settings.keywords == ("agents", "diffusion")  # the rest is kept

    answer = await over_socket(fake_slack, "/pause", "team offsite")
    assert "Paused" in answer.text
    shown = await over_socket(fake_slack, "/subscription")
    assert "paused since" in shown.text
    assert "team offsite" in shown.text
    assert "Last post:* none yet" in shown.text
    answer = await over_http(fake_slack, session, slack_http, "/resume")
    assert "Resumed." in answer.text
    resumed = await store.subscriptions.get(channel)
    assert resumed is not None
    assert not resumed.paused

    answer = await over_socket(fake_slack, "/unsubscribe")
    assert "Unsubscribed" in answer.text
    assert await store.subscriptions.get(channel) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("top=0", "top: must be between 1 and 50"),
        ("min_votes=100001", "min_votes: must be between 0 and 100000"),
        ("time=7pm", "time: expected a 24-hour time as HH:MM"),
        ("time=24:00", "time: expected a 24-hour time as HH:MM"),
        ("timezone=Nowhere/Land", "timezone: unknown IANA time zone 'Nowhere/Land'"),
        ("tz=asia/seoul", "did you mean Asia/Seoul?"),
        ("keywords=" + "x" * 41, "longer than 40 characters"),
        ('keywords="<!channel>, @here"', "keywords: only letters, digits"),
        ("source=twitter", "source: unknown source 'twitter'"),
        ("layout=mosaic", "layout: unknown layout 'mosaic'"),
        ("no_papers=sometimes", "no_papers: unknown choice 'sometimes'"),
        ("empty=" + "x" * 30, "no_papers: too long"),
        ('keywords="unclosed', 'a quote (") is not closed'),
        ("top=1 top=2", "top: given twice"),
    ],
)
async def test_subscribe_validation_changes_nothing(
    *,
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
    text: str,
    message: str,
) -> None:
    before = await store.subscriptions.save(
        channel_of(fake_slack), SubscriptionSettings(top_n=7), actor="a"
    )
    answer = await over_http(fake_slack, session, slack_http, "/subscribe", text)
    assert answer.ephemeral
    assert answer.safe
    assert message in answer.text
    assert await store.subscriptions.get(channel_of(fake_slack)) == before


@pytest.mark.parametrize("command", MANAGEMENT)
@pytest.mark.parametrize("user", [MEMBER, GUEST])
async def test_management_needs_an_admin(
    *,
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
    command: str,
    user: str,
) -> None:
    before = await store.subscriptions.save(
        channel_of(fake_slack), SubscriptionSettings(), actor="a"
    )
    answer = await over_http(fake_slack, session, slack_http, command, "top=3", user=user)
    assert answer.ephemeral
    assert f"{command} needs a workspace admin or owner" in answer.text
    assert "SLACK_ADMIN_USERS" in answer.text
    assert await store.subscriptions.get(channel_of(fake_slack)) == before
    assert fake_slack.channels[COMMAND_CHANNEL].messages == []
    [asked] = fake_slack.requests_to("users.info")
    assert asked.query["user"] == user


async def test_owner_and_allowlisted_users_may_manage(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/subscribe", "top=2", user=OWNER)
    assert "Subscribed this channel." in answer.text
    fake_slack.users.pop(ALLOWLISTED, None)  # unknown to users.info: the allowlist decides
    asked_before = len(fake_slack.requests_to("users.info"))
    answer = await over_http(
        fake_slack, session, slack_http, "/subscribe", "top=3", user=ALLOWLISTED
    )
    assert "Subscription updated." in answer.text
    assert len(fake_slack.requests_to("users.info")) == asked_before
    saved = await store.subscriptions.get(channel_of(fake_slack))
    assert saved is not None
    assert saved.updated_by == ALLOWLISTED


async def test_failed_role_check_is_a_clear_refusal(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, slack_http: str, store: Store
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/subscribe", user="U0NOBODY01")
    assert "couldn't check your Slack role (users.info answered user_not_found)" in answer.text
    assert await store.subscriptions.list() == []


@pytest.mark.parametrize("command", MANAGEMENT)
async def test_management_refused_in_a_dm(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
    command: str,
) -> None:
    fake_slack.add_channel("D0DIRECT01")
    answer = await over_http(fake_slack, session, slack_http, command, channel="D0DIRECT01")
    assert "works only in a channel, not in a direct message" in answer.text
    assert await store.subscriptions.list() == []


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        ({"is_private": True, "is_member": False}, "it is private and I'm not a member"),
        ({"is_archived": True}, "it is archived"),
    ],
)
async def test_refused_where_the_bot_cannot_post(
    *,
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
    info: dict[str, bool],
    problem: str,
) -> None:
    fake_slack.channel_info[COMMAND_CHANNEL] = info
    for command in ("/subscribe", "/digest"):
        answer = await over_http(fake_slack, session, slack_http, command)
        assert f"I can't post in this channel ({problem}" in answer.text
    assert await store.subscriptions.list() == []
    assert fake_slack.channels[COMMAND_CHANNEL].messages == []


async def test_digest_posts_through_the_outbox_with_the_subscription_settings(
    fake_slack: SlackWithUsers, slack_socket: SlackBotAdapter, slack_delivery: Engine, store: Store
) -> None:
    await store.subscriptions.save(
        channel_of(fake_slack), SubscriptionSettings(keywords=("diffusion",)), actor="a"
    )
    answer = await over_socket(fake_slack, "/digest")
    assert "Posting the digest of 2024-05-07 here with this channel's settings" in answer.text
    assert "1 of 3 papers in 2 message(s)" in answer.text
    counts = await slack_delivery.drained()
    assert counts[DeliveryState.SENT] == 1
    header, paper = fake_slack.channels[COMMAND_CHANNEL].messages
    assert header["blocks"][0]["type"] == "header"
    assert "Video Diffusion with Temporal Attention" in paper["text"]


async def test_forged_request_runs_nothing(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, slack_http: str, store: Store
) -> None:
    delivery = await post_slash_command(
        session,
        slack_http,
        fake_slack.signing_secret,
        command="/subscribe",
        text="top=3",
        response_url=fake_slack.response_url(),
        tamper="forged",
    )
    assert delivery.status == 401
    assert await store.subscriptions.list() == []
    assert fake_slack.responses == []


async def test_a_dead_response_url_falls_back_to_post_ephemeral(
    fake_slack: SlackWithUsers, slack_socket: SlackBotAdapter
) -> None:
    form = command_form(
        fake_slack, "/paper", "tokenizers", response_url=f"{fake_slack.base_url}/gone/1"
    )
    await fake_slack.socket.deliver("slash_commands", form)
    await fake_slack.wait_until(lambda: bool(fake_slack.ephemeral))
    [sent] = fake_slack.ephemeral
    assert sent["channel"] == COMMAND_CHANNEL
    assert sent["user"] == form["user_id"]
    assert "A Study of Tokenizers" in sent["text"]


@pytest.mark.parametrize(
    "text",
    [
        "keywords=<!everyone>",
        "keywords=@everyone",
        'keywords="<@U024BE7LH>, <!subteam^S1|team>"',
        'keywords="\'; DROP TABLE subscriptions; --"',
        "keywords=*bold*_it_~s~",
        "keywords=" + "k" * 10_240,
        "tz=" + "🙂" * 5000,
        "time=\u0669:\u0660\u0660",
        "top=\uff15",
    ],
)
async def test_hostile_arguments_get_a_clear_answer_and_change_nothing(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    store: Store,
    text: str,
) -> None:
    answer = await over_http(fake_slack, session, slack_http, "/subscribe", text)
    assert answer.ephemeral
    assert answer.safe
    assert answer.response["text"].startswith("⚠️ ")
    assert len(answer.text) < 1000
    assert await store.subscriptions.list() == []
    assert await store.papers.count() == 7
