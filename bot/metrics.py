"""What the bot's Prometheus series have in common.

The series are `prometheus_client` Counter, Gauge and Histogram objects. Each `App` creates
its own `CollectorRegistry` and every series is registered on it, never on the library's
process-global default registry: two bots in one process (tests, an embedding) would
otherwise clash on names ("Duplicated timeseries") and read each other's counts. The web
server's /metrics renders the `App`'s registry.
"""

from __future__ import annotations

#: Seconds: from a 304 on localhost to a slow multi-page HF day with retries. Histograms
#: that time one call use these instead of the library's defaults, which stop at 10 s.
DEFAULT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
