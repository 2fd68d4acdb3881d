"""`papers-bot run` as a real process with only DISCORD_* settings: slash commands arrive
over its gateway, are answered through the interaction callback from the archive it
shares with delivery, and the gateway closes cleanly when the bot stops."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.models import ChannelRef, Platform
from tests.commands.discord_interactions import (
    MANAGE_CHANNELS,
    VIEW_SEND_EMBED,
    answer_of,
    inject,
)
from tests.fakes.discord import FakeDiscord
from tests.run_commands.support import (
    Launcher,
    assert_quiet_log,
    health_when,
)

SESSION_OVER_CLOSE = 1000
"""The close frame a bot sends when its session is over (not resumable), so Discord shows
it offline at once; the fake records the code of the client's own close frame."""


async def test_run_answers_discord_slash_commands_over_its_gateway(
    launcher: Launcher,
    fake_discord: FakeDiscord,
    http: aiohttp.ClientSession,
) -> None:
    bot, base = await launcher.start(fake_discord.settings_env())
    await bot.wait_for_log(r"slash commands: discord over the gateway", within=5)
    await asyncio.wait_for(fake_discord.gateway.identified.wait(), 20)
    [session] = fake_discord.gateway.sessions
    channel = ChannelRef(
        Platform.DISCORD, str(fake_discord.guild_id), str(fake_discord.default_channel.id)
    )

    paper = await answer_of(fake_discord, await inject(fake_discord, "paper", {"query": "lantern"}))
    assert paper.ephemeral
    [card] = paper.embeds
    assert card["title"] == "Lanterns for Long Context Retrieval"
    assert "2501.00101" in card["url"]

    manager = str(MANAGE_CHANNELS | int(VIEW_SEND_EMBED))
    options = {"min_votes": 10, "top": 3, "time": "07:30", "timezone": "Asia/Seoul"}
    subscribed = await answer_of(
        fake_discord, await inject(fake_discord, "subscribe", options, permissions=manager)
    )
    assert "Subscribed this channel." in subscribed.text, subscribed.text
    assert "Asia/Seoul" in subscribed.text

    refused = await answer_of(
        fake_discord,
        await inject(fake_discord, "subscribe", {"top": 50}, permissions=VIEW_SEND_EMBED),
    )
    assert refused.ephemeral
    assert refused.text.startswith("🚫")
    assert "/subscribe needs the Manage Channels permission" in refused.text

    # Delivery reads the same store: the subscription made from chat gets its post job,
    # and the gateway shows as the way commands arrive.
    health = await health_when(
        http,
        base,
        lambda h: h["checks"]["scheduler"]["post_jobs"] == 1 and h["checks"]["adapters"]["ok"],
    )
    discord = health["checks"]["adapters"]["discord"]
    assert discord | {"shards": None} == {
        "ok": True,
        "error": None,
        "commands": "gateway",
        "shards": None,
    }
    # Alone on its SQLite store, the instance serves the one shard Discord recommends.
    assert discord["shards"]["count"] == 1
    assert discord["shards"]["served_here"] == [0]
    assert session.shard == (0, 1)

    code = await bot.stop()
    assert code == 0, bot.log
    assert session.client_close_code == SESSION_OVER_CLOSE
    assert_quiet_log(bot.stderr)
    [saved] = await launcher.subscriptions()
    assert saved.channel == channel
    settings = saved.settings
    assert (settings.min_votes, settings.top_n, settings.post_time) == (10, 3, "07:30")
    assert settings.timezone == "Asia/Seoul"
