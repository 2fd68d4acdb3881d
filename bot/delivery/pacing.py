"""How the outbox's two senders (the post worker and the card editor) pace themselves:
how long to wait for new work, how long a stop waits for a send in flight, and the
backoff after a failed attempt. One set, so the two behave alike."""

IDLE_RECHECK = 2.0
"""Seconds before looking again when nothing was due."""
QUIET_RECHECK = 30.0
"""The longest wait between looks, whatever is scheduled."""
STOP_GRACE = 10.0
"""Seconds a stop waits for a send in flight to finish."""
#: Retry waits of a failed send (`bot.retry.backoff`): up to 2 s after the first failure,
#: never more than 5 minutes.
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
BACKOFF_FLOOR = 0.5
"""A retry waits at least half its step: an uncertain message is looked up again only once
a request that timed out has had time to land (Slack has no nonce to catch a late one)."""
