"""GET /status on the bot's web server, over a store in a known state (SQLite and
PostgreSQL): every fact it must show, hostile text shown as text, no secret, and a page
that stays short however many subscriptions there are."""

from __future__ import annotations

import datetime as dt

import aiohttp

from bot.models import ChannelRef, Platform, SourceKind
from bot.status import SUBSCRIPTIONS_SHOWN, StatusPage
from bot.store import Store
from bot.store.rows import SubscriptionSettings
from tests.render.page_dom import html_violations, read_page
from tests.status import world
from tests.status.support import rows, section, serving, tables
from tests.status.world import HOSTILE, NOW

DISCORD_NEWS = "discord:111111111111111111/222222222222222222"
DISCORD_QUIET = "discord:111111111111111111/333333333333333333"
DISCORD_HOOK = "discord-webhook:123456789012345678"


async def fetch(url: str) -> tuple[int, dict[str, str], str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
        http.get(url) as resp,
    ):
        return resp.status, dict(resp.headers), await resp.text()


async def shown(page: StatusPage) -> tuple[int, dict[str, str], str]:
    async with serving(page) as url:
        return await fetch(url)


async def test_the_page_shows_sources_subscriptions_outbox_and_recent_posts(store: Store) -> None:
    await world.build(store)

    status, headers, body = await shown(world.page_for(store))

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    page = read_page(body)
    refresh = [m.attrs for m in page.by_tag("meta") if m.attrs.get("http-equiv") == "refresh"]
    assert refresh == [{"http-equiv": "refresh", "content": "60"}]
    tiles = [" ".join(part.text for part in t.children) for t in page.by_class("tile")]
    assert tiles == [
        "1/2 sources answering",
        "5 subscriptions active · 1 paused",
        "4 posts waiting in the outbox",
        "1 dead letters",
    ]

    assert rows(section(page, "sources")) == [
        [
            "hf",
            "ok",
            "2026-12-07T05:56:00Z (4 min ago)",
            "2026-12-07T05:56:00Z (4 min ago)",
            "—",
            "3",
            "2026-12-06",
            "2026-12-07T05:30:00Z (30 min ago)",
        ],
        [
            "markdown",
            "last poll failed (3 in a row)",
            "2026-12-07T05:58:00Z (2 min ago)",
            "2026-12-07T03:00:00Z (3 h ago)",
            world.HOSTILE_TEXTS.source_error,
            "1",
            "2026-12-05",
            "2026-12-06T10:00:00Z (20 h ago)",
        ],
        [
            "feed",
            "not polled here",
            "—",
            "—",
            "—",
            "1",
            "2026-12-01",
            "2026-12-01T06:00:00Z (6 d ago)",
        ],
    ]

    subscriptions = section(page, "subscriptions")
    headings = [" ".join(h.text.split()) for h in subscriptions.walk() if h.tag == "h3"]
    assert headings == [
        "discord 2 active · 1 paused · next post 2026-12-07T07:30:00Z (in 1 h 30 min)",
        "slack 3 active · 0 paused · next post 2026-12-07T06:45:00Z (in 45 min)",
    ]
    assert tables(subscriptions) == [
        [
            [DISCORD_HOOK, "07:30 UTC", "2026-12-07T07:30:00Z (in 1 h 30 min)", "active"],
            # 09:00 in Seoul is midnight UTC.
            [DISCORD_NEWS, "09:00 Asia/Seoul", "2026-12-08T00:00:00Z (in 18 h)", "active"],
            [DISCORD_QUIET, "08:00 UTC", "—", f"paused: {HOSTILE}"],
        ],
        [
            [
                "slack:T0123ABCD/C0MLREAD2",
                "06:45 UTC",
                "2026-12-07T06:45:00Z (in 45 min)",
                "active",
            ],
            # Berlin is UTC+1 in December.
            [
                "slack:T0123ABCD/C0PAPERS1",
                "18:30 Europe/Berlin",
                "2026-12-07T17:30:00Z (in 11 h)",
                "active",
            ],
            [
                "slack-webhook:B0GONE42",
                "10:00 UTC",
                "—",
                "not posting: nothing configured here posts to it",
            ],
        ],
    ]

    assert rows(section(page, "outbox")) == [
        ["discord", "in-flight", "1", "2026-12-07T05:50:00Z (10 min ago)", "being sent"],
        [
            "slack",
            "failed",
            "1",
            "2026-12-07T05:50:00Z (10 min ago)",
            "2026-12-07T06:02:00Z (in 2 min)",
        ],
        ["slack", "pending", "2", "2026-12-07T06:00:00Z (now)", "2026-12-07T06:00:00Z (now)"],
    ]
    assert rows(section(page, "dead-letters")) == [
        [
            "2026-12-07T02:00:00Z (4 h ago)",
            DISCORD_HOOK,
            "alert",
            "2612.00001",
            "1",
            f"POST *** failed: HTTP 404 Unknown Webhook {HOSTILE}",
        ]
    ]
    # Newest first; the digest of world.OLD_DAY was planned before the window.
    assert rows(section(page, "recent-posts")) == [
        ["2026-12-07T05:00:02Z (1 h ago)", "slack:T0123ABCD/C0MLREAD2", "alert", "2612.00001"],
        ["2026-12-07T00:00:02Z (6 h ago)", DISCORD_NEWS, "digest", "2026-12-06"],
        ["2026-12-06T02:00:02Z (28 h ago)", "slack:T0123ABCD/C0PAPERS1", "digest", "2026-12-05"],
    ]


async def test_hostile_text_is_shown_inert_and_no_secret_appears(store: Store) -> None:
    await world.build(store)

    _, _, body = await shown(world.page_for(store))

    page = read_page(body)
    assert page.by_tag("script") == []
    assert html_violations(page, ()) == []  # no link, no handler attribute
    assert page.links() == []
    assert page.visible_text.count(HOSTILE) == 2  # the pause reason and the dead letter's error
    assert "<b>raw.githubusercontent.com</b>" in page.visible_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for secret in (world.WEBHOOK_TOKEN, world.DISCORD_TOKEN, world.SLACK_TOKEN, "/webhooks/"):
        assert secret not in body


async def test_an_empty_store_says_so_in_each_section(store: Store) -> None:
    page = StatusPage(
        store,
        sources=[SourceKind.HF],
        polls=dict,
        can_post=lambda _channel: True,
        clock=lambda: NOW,
    )

    status, _, body = await shown(page)

    assert status == 200
    shown_page = read_page(body)
    assert rows(section(shown_page, "sources")) == [
        ["hf", "not polled yet", "—", "—", "—", "0", "—", "—"]
    ]
    for anchor, words in (
        ("subscriptions", "No subscription yet."),
        ("outbox", "Nothing waiting to be sent."),
        ("dead-letters", "No dead letter."),
        ("recent-posts", "No post sent of those planned in the last 7 days."),
    ):
        said = [e.text for e in section(shown_page, anchor).walk() if "empty" in e.classes]
        assert said == [words]


async def test_a_long_list_shows_the_soonest_posts_and_counts_the_rest(store: Store) -> None:
    extra = 3
    total = SUBSCRIPTIONS_SHOWN + extra
    first = dt.datetime.combine(NOW.date(), dt.time(6, 1), dt.UTC)
    for n in reversed(range(total)):
        # One a minute from 06:01 on, saved latest first: listed by time, not by id.
        at = first + dt.timedelta(minutes=n)
        settings = SubscriptionSettings(post_time=at.strftime("%H:%M"), timezone="UTC")
        channel = ChannelRef(Platform.SLACK, world.TEAM, f"C{n:08d}")
        await store.subscriptions.save(channel, settings, now=NOW)

    _, _, body = await shown(world.page_for(store))

    listed = rows(section(read_page(body), "subscriptions"))
    assert len(listed) == SUBSCRIPTIONS_SHOWN
    assert [line[1] for line in listed[:3]] == ["06:01 UTC", "06:02 UTC", "06:03 UTC"]
    assert listed[-1][2] == "2026-12-07T07:40:00Z (in 1 h 40 min)"
    text = " ".join(section(read_page(body), "subscriptions").text.split())
    assert f"slack {total} active · 0 paused" in text
    assert f"… and {extra} more" in text
