"""The Prometheus text format of our small registry."""

from __future__ import annotations

import pytest

from bot.metrics import MetricError, MetricsRegistry


def test_counters_and_gauges_render_per_label_set_sorted() -> None:
    registry = MetricsRegistry()
    polls = registry.counter("bot_polls_total", "Polls.", ("source", "status"))
    polls.inc(source="hf", status="fetched")
    polls.inc(2, source="hf", status="fetched")
    polls.inc(source="feed", status="error")
    registry.gauge("bot_start_time_seconds", "Start.").set(1700000000.5)

    assert registry.render() == (
        "# HELP bot_polls_total Polls.\n"
        "# TYPE bot_polls_total counter\n"
        'bot_polls_total{source="feed",status="error"} 1\n'
        'bot_polls_total{source="hf",status="fetched"} 3\n'
        "# HELP bot_start_time_seconds Start.\n"
        "# TYPE bot_start_time_seconds gauge\n"
        "bot_start_time_seconds 1700000000.5\n"
    )
    assert polls.value(source="hf", status="fetched") == 3


def test_histogram_buckets_are_cumulative_with_sum_and_count() -> None:
    registry = MetricsRegistry()
    latency = registry.histogram("bot_latency_seconds", "Latency.", ("source",), (0.1, 1.0))
    for value in (0.05, 0.5, 0.5, 3.0):
        latency.observe(value, source="hf")

    lines = registry.render().splitlines()

    assert lines[2:] == [
        'bot_latency_seconds_bucket{source="hf",le="0.1"} 1',
        'bot_latency_seconds_bucket{source="hf",le="1"} 3',
        'bot_latency_seconds_bucket{source="hf",le="+Inf"} 4',
        'bot_latency_seconds_sum{source="hf"} 4.05',
        'bot_latency_seconds_count{source="hf"} 4',
    ]
    assert latency.count(source="hf") == 4


def test_label_values_are_escaped() -> None:
    registry = MetricsRegistry()
    registry.counter("bot_errors_total", "Errors.", ("reason",)).inc(reason='a "b"\\c\nd')
    assert 'bot_errors_total{reason="a \\"b\\"\\\\c\\nd"} 1' in registry.render()


def test_misuse_is_refused() -> None:
    registry = MetricsRegistry()
    counter = registry.counter("bot_things_total", "Things.", ("kind",))
    with pytest.raises(MetricError, match="labels"):
        counter.inc(other="x")
    with pytest.raises(MetricError, match="cannot go down"):
        counter.inc(-1, kind="x")
    with pytest.raises(MetricError, match="already registered"):
        registry.gauge("bot_things_total", "Again.")
    with pytest.raises(MetricError, match="invalid metric name"):
        registry.counter("bot things", "Spaces.")
    with pytest.raises(MetricError, match="invalid label name"):
        registry.histogram("bot_h", "H.", ("le",))


def test_registries_are_independent() -> None:
    first, second = MetricsRegistry(), MetricsRegistry()
    first.counter("bot_x_total", "X.").inc()
    second.counter("bot_x_total", "X.")
    assert "bot_x_total 1" in first.render()
    assert "bot_x_total 1" not in second.render()
