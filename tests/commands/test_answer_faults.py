"""Answers to slash commands when the platform misbehaves, through the real discord.py and
slack-bolt clients: a 5xx, a dropped connection, a request carried out whose answer is
lost, and a slow first answer (carried out, its answer held past the window). Every
command gets an answer, exactly one, and what cannot be answered is one log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp import web

from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_commands import DEFER_AFTER, DiscordCommands
from bot.adapters.discord_gateway import EveryShard
from bot.adapters.slack_bot import EVENTS_PATH, SlackBotAdapter
from bot.adapters.slack_commands import RESPONSE_URL_TRIES, SlackCommands
from bot.commands.router import Commands
from tests.commands.conftest import ALLOWLISTED, slack_adapter
from tests.commands.discord_interactions import DEFERRED, answer_of, inject
from tests.commands.slack_requests import over_http, over_socket
from tests.commands.slack_users import ADMIN, COMMAND_CHANNEL, SlackWithUsers
from tests.fakes.discord import FakeDiscord
from tests.fakes.platform_faults import FakeServer
from tests.fakes.slack_signing import post_slash_command

PAST_THE_WINDOW = 4.0
"""A slow first answer: carried out at once, its reply back only after Discord's 3 s."""
SLACK_TIMEOUT = 1.0
"""How long the Slack side waits for a response_url here (production: HTTP_TIMEOUT)."""

Inject = Callable[[FakeServer, str], object]
FAULTS: dict[str, Inject] = {
    "500": lambda fake, path: fake.fail_next(500, path=path),
    "dropped": lambda fake, path: fake.drop_next(path=path),
    "reply-lost": lambda fake, path: fake.lose_answer_next(path=path),
}
FIRST_ANSWER_FAULTS: dict[str, Inject] = {
    **FAULTS,
    "slow": lambda fake, path: fake.answer_late_next(PAST_THE_WINDOW, path=path),
}


class DiscordBot:
    """discord.py on the fake gateway; `finished` learns from discord.py's own
    app_command_completion event when the bot is done with an interaction."""

    def __init__(self, fake: FakeDiscord, adapter: DiscordBotAdapter) -> None:
        self.fake = fake
        self.adapter = adapter
        self._done: dict[str, asyncio.Event] = {}

        @adapter.client.event
        async def on_app_command_completion(interaction: discord.Interaction, _: Any) -> None:
            self._event(str(interaction.id)).set()

    def _event(self, interaction_id: str) -> asyncio.Event:
        return self._done.setdefault(interaction_id, asyncio.Event())

    async def finished(self, interaction: dict[str, Any]) -> None:
        await asyncio.wait_for(self._event(interaction["id"]).wait(), 15)


@pytest.fixture(params=["direct", "deferred"])
async def discord_bot(
    request: pytest.FixtureRequest, fake_discord: FakeDiscord, commands: Commands
) -> AsyncIterator[DiscordBot]:
    """Answering directly (the work is quick) or after a deferral (work took too long)."""
    adapter = DiscordBotAdapter(
        token=fake_discord.token,
        api_base=fake_discord.api_base,
        gateway_url=fake_discord.gateway_url,
        timeout=5.0,
        shards=EveryShard(),
    )
    defer_after = DEFER_AFTER if request.param == "direct" else 0.0
    DiscordCommands(adapter, commands, defer_after=defer_after, timeout=5.0).install()
    bot = DiscordBot(fake_discord, adapter)
    await adapter.start()
    await asyncio.wait_for(fake_discord.gateway.identified.wait(), 10)
    yield bot
    await adapter.stop()


async def papers_answered_once(bot: DiscordBot) -> str:
    fake = bot.fake
    interaction = await inject(fake, "papers", {"top": 2})
    answer = await answer_of(fake, interaction)
    await bot.finished(interaction)
    assert "Papers of 2024-05-07" in answer.text
    assert len(fake.visible_answers(interaction)) == 1
    return "deferred" if answer.callback_type == DEFERRED else "direct"


@pytest.mark.parametrize("fault", FIRST_ANSWER_FAULTS)
async def test_discord_first_answer_survives_one_failure(
    discord_bot: DiscordBot, request: pytest.FixtureRequest, fault: str
) -> None:
    FIRST_ANSWER_FAULTS[fault](discord_bot.fake, "/callback")
    assert await papers_answered_once(discord_bot) == request.node.callspec.params["discord_bot"]


@pytest.mark.parametrize("discord_bot", ["deferred"], indirect=True)
@pytest.mark.parametrize("fault", FAULTS)
async def test_discord_follow_up_survives_one_failure(
    fake_discord: FakeDiscord, discord_bot: DiscordBot, fault: str
) -> None:
    """A follow-up that may have landed is sent again only if the thinking message is
    still there."""
    FAULTS[fault](fake_discord, f"/webhooks/{fake_discord.application_id}/")
    assert await papers_answered_once(discord_bot) == "deferred"


async def test_discord_unanswerable_is_one_line(
    fake_discord: FakeDiscord,
    discord_bot: DiscordBot,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every try of the first answer fails until Discord's window closes: nothing can be
    shown after that, and the log says so once."""
    fake_discord.fail_next(503, path="/callback", times=1000)
    with caplog.at_level(logging.INFO, logger="bot.adapters"):
        interaction = await inject(fake_discord, "papers", {"top": 2})
        await discord_bot.finished(interaction)
    assert fake_discord.visible_answers(interaction) == []
    assert fake_discord.interaction_responses == []
    [line] = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")
    ]
    assert "never reached Discord within its 3-second window" in line.getMessage()
    assert getattr(line, "command", None) == "papers"


# -- Slack -------------------------------------------------------------------------------
@pytest.fixture
async def slack_http(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, commands: Commands
) -> AsyncIterator[str]:
    """The bolt app behind the bot's HTTP endpoint, waiting SLACK_TIMEOUT for Slack."""
    adapter = slack_adapter(fake_slack, session, socket_mode=False)
    SlackCommands(adapter, commands, admin_users={ALLOWLISTED}, timeout=SLACK_TIMEOUT).install()
    web_app = web.Application()
    adapter.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await adapter.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    await adapter.stop()
    await runner.cleanup()


SLACK_FAULTS: dict[str, Inject] = {
    **FAULTS,
    "slow": lambda fake, path: fake.answer_late_next(SLACK_TIMEOUT * 2, path=path),
}


@pytest.mark.parametrize("fault", SLACK_FAULTS)
async def test_slack_answer_survives_one_failure(
    fake_slack: SlackWithUsers, session: aiohttp.ClientSession, slack_http: str, fault: str
) -> None:
    """A retry after a try that may have landed replaces it: one answer either way."""
    SLACK_FAULTS[fault](fake_slack, "/response/")
    url = fake_slack.response_url()
    answer = await over_http(fake_slack, session, slack_http, "/papers", "top=2", response_url=url)
    assert answer.ack_status == 200
    await fake_slack.wait_until(lambda: len(fake_slack.requests_to(path_of(url))) == 2)
    [shown] = fake_slack.visible_responses(url)
    assert "Papers of 2024-05-07" in str(shown)
    assert shown["response_type"] == "ephemeral"
    assert fake_slack.ephemeral == []  # no fallback needed


async def test_slack_answer_over_socket_mode_survives_a_lost_reply(
    fake_slack: SlackWithUsers, slack_socket: SlackBotAdapter
) -> None:
    """The answer landed but Slack's reply was lost: the retry replaces it."""
    fake_slack.lose_answer_next(path="/response/")
    url = fake_slack.response_url()
    answer = await over_socket(fake_slack, "/papers", "top=2", response_url=url)
    assert "Papers of 2024-05-07" in answer.text
    await fake_slack.wait_until(lambda: len(fake_slack.requests_to(path_of(url))) == 2)
    assert len(fake_slack.visible_responses(url)) == 1
    assert fake_slack.ephemeral == []


@pytest.mark.parametrize("refusal", ["500-every-time", "expired"])
async def test_slack_falls_back_to_chat_post_ephemeral(
    fake_slack: SlackWithUsers,
    session: aiohttp.ClientSession,
    slack_http: str,
    warnings: Warnings,
    refusal: str,
) -> None:
    """A response_url that keeps failing is tried three times; one that refuses (expired,
    used up) once. Either way the user gets the answer from chat.postEphemeral, and the
    log has one line about it."""
    if refusal == "expired":
        fake_slack.fail_next(404, path="/response/")
    else:
        fake_slack.fail_next(500, path="/response/", times=1000)
    url = fake_slack.response_url()
    posted = await post_slash_command(
        session, slack_http, fake_slack.signing_secret, text="top=2", response_url=url
    )
    assert posted.status == 200
    await asyncio.wait_for(warnings.seen.wait(), 15)
    [line] = warnings.records
    [shown] = fake_slack.ephemeral
    assert "Papers of 2024-05-07" in str(shown)
    assert (shown["user"], shown["channel"]) == (ADMIN, COMMAND_CHANNEL)
    tries = len(fake_slack.requests_to(path_of(url)))
    assert tries == (1 if refusal == "expired" else RESPONSE_URL_TRIES)
    assert "answered with chat.postEphemeral" in line.getMessage()


class Warnings(logging.Handler):
    """The bot's WARNING lines, with an event for the first (the last thing a command's
    answer does, so it marks the end of it)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.seen.set()


@pytest.fixture
def warnings() -> Iterator[Warnings]:
    handler = Warnings()
    logger = logging.getLogger("bot")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def path_of(response_url: str) -> str:
    return "/response/" + response_url.rsplit("/", 1)[-1]
