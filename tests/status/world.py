"""A bot's store in a known state for the status page: archived digests of three sources,
subscriptions on both platforms (bot channels and webhooks, one paused with a hostile
reason, one that nothing configured posts to), and outbox rows in every state, made
through the store's own planning and claim functions at fixed times. Shared by the page's
tests and `bench/status_image.py` (the picture in docs/images). Synthetic text only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.config import Settings, load_settings
from bot.delivery.targets import Router
from bot.logs import SecretMask, secret_values
from bot.models import WEBHOOK_WORKSPACE, ChannelRef, Platform, SourceKind
from bot.poller import SourceHealth
from bot.status import StatusPage
from bot.store import Store
from bot.store.outbox import claims, history
from bot.store.outbox.claims import Claimed
from bot.store.rows import DeliveryKind, PlannedDelivery, SubscriptionSettings
from tests.store.factories import digest, paper

NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)

WEBHOOK_ID = "123456789012345678"
WEBHOOK_TOKEN = "hook-Secret_Token-0123456789abcdef"
WEBHOOK_URL = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
DISCORD_TOKEN = "discord-bot-token.0123456789"
SLACK_TOKEN = "xoxb-0123456789-slack-bot-token"
HOSTILE = "<script>alert(1)</script> @everyone <!channel> **bold**"

GUILD = "111111111111111111"
TEAM = "T0123ABCD"
DISCORD_NEWS = ChannelRef(Platform.DISCORD, GUILD, "222222222222222222")
DISCORD_QUIET = ChannelRef(Platform.DISCORD, GUILD, "333333333333333333")
DISCORD_HOOK = ChannelRef(Platform.DISCORD, WEBHOOK_WORKSPACE, f"discord-webhook:{WEBHOOK_ID}")
SLACK_PAPERS = ChannelRef(Platform.SLACK, TEAM, "C0PAPERS1")
SLACK_ML = ChannelRef(Platform.SLACK, TEAM, "C0MLREAD2")
SLACK_GONE = ChannelRef(Platform.SLACK, WEBHOOK_WORKSPACE, "slack-webhook:B0GONE42")
"""A webhook subscription left from an earlier configuration: nothing posts there now."""

SCHEDULES = {
    DISCORD_NEWS: ("09:00", "Asia/Seoul"),
    DISCORD_QUIET: ("08:00", "UTC"),
    DISCORD_HOOK: ("07:30", "UTC"),
    SLACK_PAPERS: ("18:30", "Europe/Berlin"),
    SLACK_ML: ("06:45", "UTC"),
    SLACK_GONE: ("10:00", "UTC"),
}

SOURCES = (SourceKind.HF, SourceKind.MARKDOWN)
"""Enabled: polled here. The archive also holds a feed, no longer polled."""

DAY = dt.date(2026, 12, 6)
OLD_DAY = "2026-11-20"
"""A digest sent long ago: planned outside the recent window, so never listed."""
FAILED_ERROR = "Slack answered 503: service_unavailable"


@dataclass(frozen=True, slots=True)
class Texts:
    """The free texts of the world, from people, sources and platforms: hostile by
    default (the tests), plain for the picture in the docs."""

    pause_reason: str = HOSTILE
    source_error: str = "fetch error: HTTP 503 from <b>raw.githubusercontent.com</b>"
    dead_error: str = f"POST {WEBHOOK_URL} failed: HTTP 404 Unknown Webhook {HOSTILE}"


HOSTILE_TEXTS = Texts()


def polls(texts: Texts) -> dict[SourceKind, SourceHealth]:
    """This process's polls: hf answered 4 minutes ago, markdown failed thrice in a row."""
    return {
        SourceKind.HF: SourceHealth(
            NOW - dt.timedelta(minutes=4), NOW - dt.timedelta(minutes=4), None, 0
        ),
        SourceKind.MARKDOWN: SourceHealth(
            NOW - dt.timedelta(minutes=2), NOW - dt.timedelta(hours=3), texts.source_error, 3
        ),
    }


def settings() -> Settings:
    """What the bot of this world is configured with (its secrets among them)."""
    return load_settings(
        discord_token=DISCORD_TOKEN, slack_bot_token=SLACK_TOKEN, discord_webhook_urls=WEBHOOK_URL
    )


def page_for(store: Store, texts: Texts = HOSTILE_TEXTS) -> StatusPage:
    """The page as `run` builds it (`bot.app`) for this world's settings, at NOW."""
    configured = settings()
    found = polls(texts)
    return StatusPage(
        store,
        sources=SOURCES,
        polls=lambda: found,
        can_post=Router(configured).can_route,
        clock=lambda: NOW,
        mask=SecretMask(secret_values(configured)),
    )


async def build(store: Store, texts: Texts = HOSTILE_TEXTS) -> None:
    await _archive(store)
    subs = await _subscribe(store, texts)
    await _outbox(store, subs, texts)


async def _archive(store: Store) -> None:
    for back, source in ((0, SourceKind.HF), (1, SourceKind.HF), (2, SourceKind.HF)):
        day = DAY - dt.timedelta(days=back)
        stored = digest(paper(f"2612.0{back}001", date=day, source=source), date=day, source=source)
        await store.writer.save(stored, now=NOW - dt.timedelta(minutes=30 + back * 1440))
    markdown_day = DAY - dt.timedelta(days=1)
    await store.writer.save(
        digest(paper("2612.01001", date=markdown_day), date=markdown_day),
        now=NOW - dt.timedelta(hours=20),
    )
    feed_day = dt.date(2026, 12, 1)
    feed = SourceKind.FEED
    await store.writer.save(
        digest(paper("2612.09001", date=feed_day, source=feed), date=feed_day, source=feed),
        now=NOW - dt.timedelta(days=6),
    )


async def _subscribe(store: Store, texts: Texts) -> dict[ChannelRef, int]:
    ids = {}
    for channel, (time, zone) in SCHEDULES.items():
        settings = SubscriptionSettings(post_time=time, timezone=zone)
        sub = await store.subscriptions.save(channel, settings, now=NOW - dt.timedelta(days=30))
        ids[channel] = sub.id
    await store.subscriptions.set_paused(DISCORD_QUIET, True, reason=texts.pause_reason, now=NOW)
    return ids


class _Outbox:
    """Rows planned, claimed and finished as the planner and the worker do it."""

    def __init__(self, store: Store, subs: dict[ChannelRef, int]) -> None:
        self.store = store
        self.db = store.db
        self.subs = subs

    async def plan(
        self, channel: ChannelRef, kind: DeliveryKind, item: str, planned: dt.datetime
    ) -> int:
        row = PlannedDelivery(channel, self.subs[channel], kind, item)
        await self.store.deliveries.plan([row], now=planned)
        found = await history.find(self.db, channel, kind, item)
        assert found is not None
        return found

    async def claim(self, row: int, channel: ChannelRef, at: dt.datetime) -> Claimed:
        (claimed,) = await claims.claim(
            self.db,
            platforms=[channel.platform],
            limit=1,
            lease=LEASE,
            clock=lambda: at,
            only=[row],
        )
        return claimed

    async def sent(
        self,
        channel: ChannelRef,
        item: str,
        planned: dt.datetime,
        kind: DeliveryKind = DeliveryKind.DIGEST,
    ) -> None:
        claimed = await self.claim(await self.plan(channel, kind, item, planned), channel, planned)
        sent_at = planned + dt.timedelta(seconds=2)
        await claims.mark_sent(self.db, claimed, {}, message_id="m", error=None, now=sent_at)


async def _outbox(store: Store, subs: dict[ChannelRef, int], texts: Texts) -> None:
    """Sent (three lately, one long ago), dead, in flight, failed and pending rows."""
    box = _Outbox(store, subs)
    await box.sent(DISCORD_NEWS, OLD_DAY, NOW - dt.timedelta(days=17))
    await box.sent(SLACK_PAPERS, "2026-12-05", NOW - dt.timedelta(hours=28))
    await box.sent(DISCORD_NEWS, DAY.isoformat(), NOW - dt.timedelta(hours=6))
    alert = "2612.00001"
    await box.sent(SLACK_ML, alert, NOW - dt.timedelta(hours=1), DeliveryKind.ALERT)

    planned = NOW - dt.timedelta(hours=5)
    dead = await box.plan(DISCORD_HOOK, DeliveryKind.ALERT, alert, planned)
    claimed = await box.claim(dead, DISCORD_HOOK, planned)
    await claims.mark_dead(
        box.db, claimed, {}, error=texts.dead_error, now=NOW - dt.timedelta(hours=4)
    )

    late = NOW - dt.timedelta(minutes=10)
    in_flight = await box.plan(DISCORD_HOOK, DeliveryKind.DIGEST, DAY.isoformat(), late)
    await box.claim(in_flight, DISCORD_HOOK, NOW - dt.timedelta(minutes=1))

    failing = await box.plan(SLACK_PAPERS, DeliveryKind.ALERT, alert, late)
    claimed = await box.claim(failing, SLACK_PAPERS, late)
    retry = NOW + dt.timedelta(minutes=2)
    await claims.mark_failed(box.db, claimed, {}, error=FAILED_ERROR, retry_at=retry, now=late)

    for item in ("2612.00002", "2612.00003"):
        await box.plan(SLACK_ML, DeliveryKind.ALERT, item, NOW)
