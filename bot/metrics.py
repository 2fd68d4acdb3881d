"""Counters, gauges and histograms rendered in the Prometheus text format (version 0.0.4).

A few dozen series are all the bot has, so a small registry of our own beats pulling in
`prometheus_client` and its process-global default registry: each `App` owns one
`MetricsRegistry`, tests build their own, and nothing leaks between them.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Sequence
from typing import ClassVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Seconds: from a 304 on localhost to a slow multi-page HF day with retries.
DEFAULT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

LabelValues = tuple[str, ...]


class MetricError(ValueError):
    """A metric used with the wrong name or labels: a programming error, caught in tests."""


def _format_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _label_text(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


class _Metric:
    kind: ClassVar[str]

    def __init__(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        if not _NAME.fullmatch(name):
            raise MetricError(f"invalid metric name {name!r}")
        for label in labels:
            if not _LABEL.fullmatch(label) or label.startswith("__") or label == "le":
                raise MetricError(f"invalid label name {label!r} for {name}")
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        # Jobs run on the event loop, but SQLite work and feed parsing run in threads and
        # may one day count things; a lock keeps increments whole either way.
        self._lock = threading.Lock()

    def _key(self, given: dict[str, str]) -> LabelValues:
        if set(given) != set(self.labels):
            raise MetricError(
                f"{self.name} takes labels {sorted(self.labels)}, got {sorted(given)}"
            )
        return tuple(str(given[name]) for name in self.labels)

    def _header(self) -> list[str]:
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        return [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {self.kind}"]

    def render(self) -> list[str]:
        raise NotImplementedError


class _Valued(_Metric):
    """One number per label set (counters and gauges render alike)."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {}

    def _add(self, amount: float, labels: dict[str, str]) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self._header() + [
            f"{self.name}{_label_text(self.labels, key)} {_format_value(v)}" for key, v in items
        ]


class Counter(_Valued):
    """Only goes up; Prometheus derives rates from it and copes with restarts."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise MetricError(f"{self.name}: a counter cannot go down ({amount})")
        self._add(amount, labels)

    def value(self, **labels: str) -> float:
        key = self._key(labels)
        with self._lock:
            return self._values.get(key, 0.0)


class Gauge(_Valued):
    """A value that is set, such as the time of the last successful poll."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self._add(amount, labels)

    def value(self, **labels: str) -> float | None:
        key = self._key(labels)
        with self._lock:
            return self._values.get(key)


class Histogram(_Metric):
    """Cumulative buckets plus sum and count, per label set."""

    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, labels: Sequence[str], buckets: Iterable[float]
    ) -> None:
        super().__init__(name, help_text, labels)
        bounds = sorted(set(buckets))
        if not bounds or any(math.isnan(b) for b in bounds):
            raise MetricError(f"{name}: buckets must be numbers")
        if not math.isinf(bounds[-1]):
            bounds.append(math.inf)
        self.buckets = tuple(bounds)
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts = self._counts.setdefault(key, [0] * len(self.buckets))
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[index] += 1
            self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        with self._lock:
            counts = self._counts.get(self._key(labels))
            return counts[-1] if counts else 0

    def render(self) -> list[str]:
        with self._lock:
            items = sorted((k, list(c), self._sums[k]) for k, c in self._counts.items())
        lines = self._header()
        names = (*self.labels, "le")
        for key, counts, total in items:
            for bound, count in zip(self.buckets, counts, strict=True):
                labels = _label_text(names, (*key, _format_value(bound)))
                lines.append(f"{self.name}_bucket{labels} {count}")
            plain = _label_text(self.labels, key)
            lines.append(f"{self.name}_sum{plain} {_format_value(total)}")
            lines.append(f"{self.name}_count{plain} {counts[-1]}")
        return lines


class MetricsRegistry:
    """The metrics of one running bot; `render()` is the body of GET /metrics."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _register(self, metric: _Metric) -> None:
        if metric.name in self._metrics:
            raise MetricError(f"metric {metric.name} is already registered")
        self._metrics[metric.name] = metric

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help_text, labels)
        self._register(metric)
        return metric

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Gauge:
        metric = Gauge(name, help_text, labels)
        self._register(metric)
        return metric

    def histogram(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        metric = Histogram(name, help_text, labels, buckets)
        self._register(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for name in sorted(self._metrics):
            lines.extend(self._metrics[name].render())
        return "\n".join(lines) + "\n"
