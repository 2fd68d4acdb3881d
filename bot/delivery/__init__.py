"""Scheduled posting: cron jobs decide what is due, the outbox makes it durable, a worker
delivers it under the platforms' rate limits, exactly once across crashes."""
