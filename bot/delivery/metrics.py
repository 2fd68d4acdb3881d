"""The delivery series on the bot's registry (names are part of the operator contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.metrics import DEFAULT_BUCKETS
from bot.models import Platform
from bot.store.rows import DeliveryState

LATENCY_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Gauge(
            "papers_bot_deliveries",
            "Outbox rows (posts) by state, as of the last refresh.",
            ("state",),
            registry=registry,
        )
        self.lag = Gauge(
            "papers_bot_outbox_lag_seconds",
            "Age of the oldest post still to land (paused channels' left out), as of the "
            "last refresh; 0 when every post has landed.",
            ("platform",),
            registry=registry,
        )
        self.planned = Counter(
            "papers_bot_posts_planned_total",
            "Posts written to the outbox.",
            ("kind",),
            registry=registry,
        )
        self.messages = Counter(
            "papers_bot_messages_sent_total",
            "Messages that landed.",
            ("platform",),
            registry=registry,
        )
        self.errors = Counter(
            "papers_bot_delivery_errors_total",
            "Failed sends by kind (transient, rate_limited, target_gone, rejected, auth, "
            "unroutable).",
            ("platform", "kind"),
            registry=registry,
        )
        self.rate_limited = Counter(
            "papers_bot_rate_limited_total",
            "429 answers that reached the worker (libraries retry short ones inline).",
            ("platform",),
            registry=registry,
        )
        self.limiter_wait = Counter(
            "papers_bot_rate_limit_wait_seconds_total",
            "Time sends waited for the proactive rate limiter.",
            ("platform",),
            registry=registry,
        )
        self.reconciled = Counter(
            "papers_bot_reconciled_total",
            "Uncertain messages checked before re-sending, by outcome (found, resend).",
            ("platform", "outcome"),
            registry=registry,
        )
        self.dead = Counter(
            "papers_bot_dead_letters_total",
            "Posts given up on.",
            ("platform",),
            registry=registry,
        )
        self.paused = Counter(
            "papers_bot_subscriptions_paused_total",
            "Subscriptions paused because their channel or webhook is gone.",
            ("platform",),
            registry=registry,
        )
        self.latency = Histogram(
            "papers_bot_delivery_latency_seconds",
            "From planning a post to its last message landing.",
            ("platform",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.send_duration = Histogram(
            "papers_bot_send_duration_seconds",
            "One platform send call.",
            ("platform",),
            buckets=DEFAULT_BUCKETS,
            registry=registry,
        )
        self._live_series(registry)

    # Live cards (bot.delivery.live plans the edits, bot.delivery.edits sends them).
    def _live_series(self, registry: CollectorRegistry) -> None:
        self.edits_planned = Counter(
            "papers_bot_live_card_edits_planned_total",
            "Posted messages given newer content to show (vote counts changed).",
            registry=registry,
        )
        self.edits = Counter(
            "papers_bot_live_card_edits_total",
            "Edits of posted messages that landed.",
            ("platform",),
            registry=registry,
        )
        self.edit_errors = Counter(
            "papers_bot_live_card_edit_errors_total",
            "Failed edits by kind (rate_limited, gone, rejected, transient).",
            ("platform", "kind"),
            registry=registry,
        )

    def set_counts(self, counts: dict[DeliveryState, int]) -> None:
        for state, count in counts.items():
            self.deliveries.labels(state=state.value).set(count)

    def set_lag(
        self,
        oldest: dict[Platform, dt.datetime],
        *,
        platforms: Sequence[Platform],
        now: dt.datetime,
    ) -> None:
        """Each platform this process sends to, with the age of its oldest open post."""
        for platform in platforms:
            planned = oldest.get(platform)
            age = 0.0 if planned is None else max(0.0, (now - planned).total_seconds())
            self.lag.labels(platform=platform.value).set(age)
