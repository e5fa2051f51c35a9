"""Huey tasks: drain the recompute queue on demand and every minute."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from sao.attendance.compute import recompute, recompute_dirty
from sao.calendars.services import NoPolicyError

logger = logging.getLogger(__name__)

# Set while a drain is queued and not yet started, so a burst of device uploads queues one task.
# The periodic task clears it too, so a queued task that a stopped worker lost blocks nothing
# for longer than a minute.
PENDING_KEY = "attendance-recompute-pending"


def _drain() -> None:
    """Recompute the queued days, or raise TaskLockedException while another worker does."""
    try:
        with lock_task("attendance-recompute-dirty"):
            stats = recompute_dirty()
    except NoPolicyError as exc:
        logger.warning("Recompute skipped: %s", exc)
        return
    if stats.results:
        logger.info(
            "Recomputed %s results of %s employees in %.2f s", stats.results, stats.employees, stats.seconds
        )


def recompute_soon() -> None:
    """Queue one drain of the recompute queue, unless one is queued and not yet started."""
    if HUEY.put_if_empty(PENDING_KEY, "1"):
        recompute_dirty_task()


@db_task()
def recompute_dirty_task() -> None:
    """Recompute the queued days now. Queued by `recompute_soon` when new punches are committed.

    The task clears the pending mark before it drains, so days marked during the drain queue a
    new run. While another worker holds the lock, the task queues itself again a second later,
    so a punch that arrives during a long run is not left for the periodic task.
    """
    HUEY.delete(PENDING_KEY)

    try:
        _drain()
    except TaskLockedException:
        logger.debug("Recompute already running; trying again in a second")
        if HUEY.put_if_empty(PENDING_KEY, "1"):
            recompute_dirty_task.schedule(delay=1)


@db_periodic_task(crontab(minute="*"))
def recompute_dirty_periodic() -> None:
    """Recompute the queued days every minute, catching anything an enqueue missed."""
    HUEY.delete(PENDING_KEY)

    try:
        _drain()
    except TaskLockedException:
        logger.info("Recompute already running; the periodic run is skipped")


def recent_days(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """Return yesterday in the westernmost zone (WIB, UTC+7) and today in the easternmost (WIT, UTC+9)."""
    utc = now.astimezone(dt.UTC)
    return (utc + dt.timedelta(hours=7)).date() - dt.timedelta(days=1), (utc + dt.timedelta(hours=9)).date()


def recompute_recent(now: dt.datetime | None = None) -> None:
    """Recompute yesterday and today for every active employee.

    A day gets a result even when no punch, absence or roster change marked it. So the employees
    of a unit whose device is silent show as not yet present today. Yesterday's open days close
    (BELUM_FINAL becomes TK or TIDAK_LENGKAP) once their window has passed. Rows whose values did
    not change are not written, so a run over an unchanged province is cheap.
    """
    now = now or timezone.now()
    start, end = recent_days(now)

    try:
        with lock_task("attendance-recompute-dirty"):
            stats = recompute(start=start, end=end, now=now)
    except NoPolicyError as exc:
        logger.warning("Recompute of recent days skipped: %s", exc)
        return
    if stats.written:
        logger.info("Recomputed %s..%s: %s of %s results changed, in %.2f s",
                    start, end, stats.written, stats.results, stats.seconds)


@db_periodic_task(crontab(minute="*/10"))
def recompute_recent_periodic() -> None:
    """Give every active employee a result for yesterday and today, every ten minutes."""
    try:
        recompute_recent()
    except TaskLockedException:
        # A queue drain holds the lock, for example just after `sao serve` starts the worker.
        logger.info("Recompute already running; the recent days run again in a minute")
        recompute_recent_periodic.schedule(delay=60)
