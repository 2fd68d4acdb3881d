"""How many instances share the platforms' per-bot budgets, for a fleet that serves no
Discord gateway (Slack only, or webhooks only).

Discord and Slack count their limits per bot, not per process: two instances each sending
at the full rate would draw 429s. When Discord's gateway is served, the shard coordinator's
renewals keep this instance registered and report the fleet's size (bot.sharding); without
it, `FleetHeartbeat` does the same on the scheduler, every third of a lease. An instance
that stops cleanly leaves at once; one that is killed stops being counted when its row runs
out, and the others take its share back at their next renewal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import PapersBotError
from bot.scheduler import Scheduler
from bot.store.errors import describe_failure
from bot.store.fleet import FleetRepo

log = logging.getLogger(__name__)

JOB_ID = "fleet-heartbeat"
RENEWALS_PER_LEASE = 3


class FleetHeartbeat:
    def __init__(
        self,
        repo: FleetRepo,
        scheduler: Scheduler,
        *,
        instance: str,
        lease_seconds: float,
        clock: Callable[[], dt.datetime],
        on_fleet_size: Callable[[int], None],
    ) -> None:
        self._repo = repo
        self._scheduler = scheduler
        self._instance = instance
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._clock = clock
        self._on_fleet_size = on_fleet_size

    async def start(self) -> None:
        await self.renew()
        self._scheduler.add_interval_job(
            JOB_ID, self.renew, self._lease.total_seconds() / RENEWALS_PER_LEASE, run_now=False
        )

    async def renew(self) -> None:
        """Count this instance in; a failed renewal keeps the last share (the database
        being down stops sending anyway) and says so in one line."""
        try:
            live = await self._repo.renew(self._instance, now=self._clock(), ttl=self._lease)
        except (SQLAlchemyError, OSError, PapersBotError) as exc:
            log.warning("could not renew this instance in the fleet: %s", describe_failure(exc))
            return
        self._on_fleet_size(live)

    async def stop(self) -> None:
        self._scheduler.remove_job(JOB_ID)
        try:
            await self._repo.leave(self._instance)
        except (SQLAlchemyError, OSError, PapersBotError) as exc:
            log.warning(
                "could not leave the fleet (counted until its row runs out): %s",
                describe_failure(exc),
            )
