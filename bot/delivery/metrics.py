"""The delivery series on the bot's registry (names are part of the operator contract)."""

from __future__ import annotations

from bot.metrics import MetricsRegistry
from bot.store.rows import DeliveryState

LATENCY_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DeliveryMetrics:
    def __init__(self, registry: MetricsRegistry) -> None:
        self.deliveries = registry.gauge(
            "papers_bot_deliveries",
            "Outbox rows (posts) by state, as of the last refresh.",
            ("state",),
        )
        self.planned = registry.counter(
            "papers_bot_posts_planned_total", "Posts written to the outbox.", ("kind",)
        )
        self.messages = registry.counter(
            "papers_bot_messages_sent_total", "Messages that landed.", ("platform",)
        )
        self.errors = registry.counter(
            "papers_bot_delivery_errors_total",
            "Failed sends by kind (transient, rate_limited, target_gone, rejected, auth, "
            "unroutable).",
            ("platform", "kind"),
        )
        self.rate_limited = registry.counter(
            "papers_bot_rate_limited_total",
            "429 answers that reached the worker (libraries retry short ones inline).",
            ("platform",),
        )
        self.limiter_wait = registry.counter(
            "papers_bot_rate_limit_wait_seconds_total",
            "Time sends waited for the proactive rate limiter.",
            ("platform",),
        )
        self.reconciled = registry.counter(
            "papers_bot_reconciled_total",
            "Uncertain messages checked before re-sending, by outcome (found, resend).",
            ("platform", "outcome"),
        )
        self.dead = registry.counter(
            "papers_bot_dead_letters_total", "Posts given up on.", ("platform",)
        )
        self.paused = registry.counter(
            "papers_bot_subscriptions_paused_total",
            "Subscriptions paused because their channel or webhook is gone.",
            ("platform",),
        )
        self.latency = registry.histogram(
            "papers_bot_delivery_latency_seconds",
            "From planning a post to its last message landing.",
            ("platform",),
            buckets=LATENCY_BUCKETS,
        )
        self.send_duration = registry.histogram(
            "papers_bot_send_duration_seconds", "One platform send call.", ("platform",)
        )

    def set_counts(self, counts: dict[DeliveryState, int]) -> None:
        for state, count in counts.items():
            self.deliveries.set(count, state=state.value)
