"""The bot's Prometheus series: the names, types, labels and help that dashboards rely on,
their buckets, and one registry per bot."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from bot.app import App
from bot.config import load_settings
from bot.delivery.metrics import LATENCY_BUCKETS, DeliveryMetrics
from bot.metrics import DEFAULT_BUCKETS
from bot.poller import PollMetrics

#: PollMetrics attribute -> (series, type, labels, help), as the dashboards know them.
POLL_SERIES = {
    "fetches": (
        "papers_bot_polls_total",
        "counter",
        ("source", "status"),
        "Source fetches by source and status (fetched, not_modified, not_published, error).",
    ),
    "errors": (
        "papers_bot_poll_errors_total",
        "counter",
        ("source", "kind"),
        "Failed source fetches by kind (fetch, parse, store, hook).",
    ),
    "papers_inserted": (
        "papers_bot_papers_inserted_total",
        "counter",
        ("source",),
        "Papers stored for the first time.",
    ),
    "vote_changes": (
        "papers_bot_vote_changes_total",
        "counter",
        ("source",),
        "Vote counts that changed and were recorded.",
    ),
    "new_digests": (
        "papers_bot_new_digests_total",
        "counter",
        ("source",),
        "Digests that brought new papers.",
    ),
    "duration": (
        "papers_bot_poll_duration_seconds",
        "histogram",
        ("source",),
        "Time one poll of one source took.",
    ),
    "last_success": (
        "papers_bot_last_successful_poll_timestamp_seconds",
        "gauge",
        ("source",),
        "Unix time of the last poll in which every day/feed of the source answered.",
    ),
}

#: DeliveryMetrics attribute -> (series, type, labels, help).
DELIVERY_SERIES = {
    "deliveries": (
        "papers_bot_deliveries",
        "gauge",
        ("state",),
        "Outbox rows (posts) by state, as of the last refresh.",
    ),
    "lag": (
        "papers_bot_outbox_lag_seconds",
        "gauge",
        ("platform",),
        "Age of the oldest post still to land (paused channels' left out), as of the last "
        "refresh; 0 when every post has landed.",
    ),
    "planned": (
        "papers_bot_posts_planned_total",
        "counter",
        ("kind",),
        "Posts written to the outbox.",
    ),
    "messages": (
        "papers_bot_messages_sent_total",
        "counter",
        ("platform",),
        "Messages that landed.",
    ),
    "errors": (
        "papers_bot_delivery_errors_total",
        "counter",
        ("platform", "kind"),
        "Failed sends by kind (transient, rate_limited, target_gone, rejected, auth, unroutable).",
    ),
    "rate_limited": (
        "papers_bot_rate_limited_total",
        "counter",
        ("platform",),
        "429 answers that reached the worker (libraries retry short ones inline).",
    ),
    "limiter_wait": (
        "papers_bot_rate_limit_wait_seconds_total",
        "counter",
        ("platform",),
        "Time sends waited for the proactive rate limiter.",
    ),
    "reconciled": (
        "papers_bot_reconciled_total",
        "counter",
        ("platform", "outcome"),
        "Uncertain messages checked before re-sending, by outcome (found, resend).",
    ),
    "dead": (
        "papers_bot_dead_letters_total",
        "counter",
        ("platform",),
        "Posts given up on.",
    ),
    "paused": (
        "papers_bot_subscriptions_paused_total",
        "counter",
        ("platform",),
        "Subscriptions paused because their channel or webhook is gone.",
    ),
    "latency": (
        "papers_bot_delivery_latency_seconds",
        "histogram",
        ("platform",),
        "From planning a post to its last message landing.",
    ),
    "send_duration": (
        "papers_bot_send_duration_seconds",
        "histogram",
        ("platform",),
        "One platform send call.",
    ),
    "edits_planned": (
        "papers_bot_live_card_edits_planned_total",
        "counter",
        (),
        "Posted messages given newer content to show (vote counts changed).",
    ),
    "edits": (
        "papers_bot_live_card_edits_total",
        "counter",
        ("platform",),
        "Edits of posted messages that landed.",
    ),
    "edit_errors": (
        "papers_bot_live_card_edit_errors_total",
        "counter",
        ("platform", "kind"),
        "Failed edits by kind (rate_limited, gone, rejected, transient).",
    ),
}

#: The App's own series (no labels to check on the start time; jobs by `job`).
APP_SERIES = {
    "papers_bot_job_failures_total": ("counter", "Scheduler jobs that raised unexpectedly."),
    "papers_bot_start_time_seconds": ("gauge", "Unix time the bot started."),
}

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def sample_labels(registry: CollectorRegistry, series: str) -> set[frozenset[str]]:
    """The label names on each sample of `series` (histogram samples without `le`)."""
    names = {series, f"{series}_bucket", f"{series}_sum", f"{series}_count"}
    return {
        frozenset(sample.labels) - {"le"}
        for family in registry.collect()
        for sample in family.samples
        if sample.name in names
    }


def test_the_bot_series_keep_their_names_types_labels_and_help() -> None:
    registry = CollectorRegistry()
    poll, delivery = PollMetrics(registry), DeliveryMetrics(registry)
    for owner, table in ((poll, POLL_SERIES), (delivery, DELIVERY_SERIES)):
        for attribute, (_, _, labels, _) in table.items():
            # A labelled series shows samples only once a label set exists; `labels()`
            # refuses any other label names than the series was declared with.
            if labels:
                getattr(owner, attribute).labels(**dict.fromkeys(labels, "x"))

    text = generate_latest(registry).decode()

    for series, kind, labels, help_text in (*POLL_SERIES.values(), *DELIVERY_SERIES.values()):
        assert f"# HELP {series} {help_text}" in text
        assert f"# TYPE {series} {kind}" in text
        assert sample_labels(registry, series) == {frozenset(labels)}, series


def test_the_app_series_keep_their_names_types_and_help() -> None:
    app = App(load_settings(), clock=lambda: START)

    text = generate_latest(app.metrics).decode()

    for series, (kind, help_text) in APP_SERIES.items():
        assert f"# HELP {series} {help_text}" in text
        assert f"# TYPE {series} {kind}" in text
    assert app.metrics.get_sample_value("papers_bot_start_time_seconds") == START.timestamp()


def test_each_app_counts_on_its_own_registry() -> None:
    first = App(load_settings(), clock=lambda: START)
    second = App(load_settings(), clock=lambda: START)

    first.poll_metrics.fetches.labels(source="hf", status="fetched").inc(2)

    labels = {"source": "hf", "status": "fetched"}
    assert first.metrics.get_sample_value("papers_bot_polls_total", labels) == 2
    assert second.metrics.get_sample_value("papers_bot_polls_total", labels) is None
    global_names = {family.name for family in REGISTRY.collect()}
    assert not any(name.startswith("papers_bot") for name in global_names)


def buckets(registry: CollectorRegistry, series: str, labels: dict[str, str]) -> dict[float, float]:
    """Upper bound -> cumulative count, in bound order."""
    found = {
        float(sample.labels["le"]): sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == f"{series}_bucket"
        and {k: v for k, v in sample.labels.items() if k != "le"} == labels
    }
    return dict(sorted(found.items()))


def test_histograms_keep_their_buckets_cumulative_with_sum_and_count() -> None:
    registry = CollectorRegistry()
    poll, delivery = PollMetrics(registry), DeliveryMetrics(registry)
    for seconds in (0.005, 0.3, 0.3, 45.0, 120.0):
        poll.duration.labels(source="hf").observe(seconds)
    delivery.latency.labels(platform="slack").observe(1800.0)
    delivery.send_duration.labels(platform="slack").observe(0.07)

    hf = {"source": "hf"}
    duration = buckets(registry, "papers_bot_poll_duration_seconds", hf)
    assert list(duration) == [*DEFAULT_BUCKETS, math.inf]
    assert list(duration.values()) == [1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 4, 5]
    total = registry.get_sample_value("papers_bot_poll_duration_seconds_sum", hf)
    assert total == pytest.approx(165.605)
    assert registry.get_sample_value("papers_bot_poll_duration_seconds_count", hf) == 5

    slack = {"platform": "slack"}
    latency = buckets(registry, "papers_bot_delivery_latency_seconds", slack)
    assert list(latency) == [*LATENCY_BUCKETS, math.inf]
    assert list(latency.values()) == [0] * 10 + [1, 1]  # 1800 s: the 3600 s bucket and up
    send = buckets(registry, "papers_bot_send_duration_seconds", slack)
    assert list(send) == [*DEFAULT_BUCKETS, math.inf]
    assert list(send.values()) == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
