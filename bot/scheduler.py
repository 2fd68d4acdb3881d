"""The bot's clock: APScheduler 3.x jobs on the running event loop, with a graceful stop.

Every job is an `async def` with no arguments, registered under a stable id so it can be
replaced or removed while the bot runs (subscriptions changed from chat will re-register
their cron jobs that way). The wrapper here gives all jobs the same guarantees: a failing
job logs one line with its traceback and the scheduler carries on; a stop waits for
in-flight runs (bounded) before cancelling them, so a poll is not cut off mid-transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

JobFunc = Callable[[], Awaitable[None]]
#: Called with the job id and the exception when a job fails (metrics, health).
FailureHook = Callable[[str, BaseException], None]

DEFAULT_JITTER_RATIO = 0.1
DEFAULT_STOP_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: str
    next_run: dt.datetime | None
    running: bool


def interval_trigger(
    seconds: float, *, jitter_ratio: float = DEFAULT_JITTER_RATIO
) -> IntervalTrigger:
    """Every `seconds`, each run delayed by up to `jitter_ratio` of the interval, so many
    bots (or many sources of one bot) don't hit the same upstream in lockstep."""
    jitter = max(0, round(seconds * jitter_ratio))
    return IntervalTrigger(seconds=seconds, jitter=jitter or None, timezone=dt.UTC)


class Scheduler:
    """A registry of named async jobs over one `AsyncIOScheduler`."""

    def __init__(self, *, on_failure: FailureHook | None = None) -> None:
        self._scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self._jobs: dict[str, JobFunc] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._on_failure = on_failure
        self._started = False

    @property
    def running(self) -> bool:
        """Started and not stopped: what /healthz reports."""
        return self._started and self._scheduler.running

    def add_job(
        self,
        job_id: str,
        func: JobFunc,
        trigger: BaseTrigger,
        *,
        run_now: bool = False,
    ) -> None:
        """Register (or replace) `job_id`. `run_now` fires the first run at once instead of
        one interval from now. At most one run per job at a time; runs missed while the
        loop was busy collapse into one instead of bursting."""
        self._jobs[job_id] = func
        options: dict[str, object] = {}
        if run_now:
            options["next_run_time"] = dt.datetime.now(dt.UTC)
        self._scheduler.add_job(
            self._run,
            trigger,
            args=(job_id,),
            id=job_id,
            name=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **options,
        )

    def add_interval_job(
        self,
        job_id: str,
        func: JobFunc,
        seconds: float,
        *,
        jitter_ratio: float = DEFAULT_JITTER_RATIO,
        run_now: bool = True,
    ) -> None:
        self.add_job(
            job_id, func, interval_trigger(seconds, jitter_ratio=jitter_ratio), run_now=run_now
        )

    def remove_job(self, job_id: str) -> bool:
        """Forget `job_id`; a run in progress finishes. False when there was no such job."""
        if self._jobs.pop(job_id, None) is None:
            return False
        # After a stop APScheduler has dropped its jobs already; forgetting ours is enough.
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)
        return True

    def jobs(self) -> list[JobInfo]:
        found = []
        for job in self._scheduler.get_jobs():
            found.append(
                JobInfo(
                    id=job.id,
                    next_run=getattr(job, "next_run_time", None),
                    running=job.id in self._running,
                )
            )
        return sorted(found, key=lambda j: j.id)

    def start(self) -> None:
        """Start on the running loop; jobs registered with `run_now` fire right away."""
        self._scheduler.start()
        self._started = True

    async def stop(self, *, grace: float = DEFAULT_STOP_GRACE) -> None:
        """No new runs; wait up to `grace` seconds for runs in progress, then cancel them."""
        if not self._started:
            return
        self._started = False
        if self._scheduler.running:
            self._scheduler.pause()
        in_flight = list(self._running.values())
        if in_flight:
            log.info("waiting for %d running job(s) to finish", len(in_flight))
            _, late = await asyncio.wait(in_flight, timeout=grace)
            for task in late:
                log.warning("job %s did not finish within %.0fs; cancelled", task.get_name(), grace)
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._scheduler.running:
            # Executors cancel nothing now: every run has ended. The shutdown itself is
            # posted to the loop by APScheduler; let it happen before returning.
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)

    async def _run(self, job_id: str) -> None:
        func = self._jobs.get(job_id)
        if func is None:
            return
        task = asyncio.current_task()
        if task is not None:
            task.set_name(job_id)
            self._running[job_id] = task
        try:
            await func()
        except Exception as exc:
            log.exception("job %s failed", job_id)
            if self._on_failure is not None:
                self._on_failure(job_id, exc)
        finally:
            if task is not None and self._running.get(job_id) is task:
                del self._running[job_id]
