"""Huey tasks: drain the recompute queue on demand and every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from sao.attendance.compute import recompute_dirty
from sao.calendars.services import NoPolicyError

logger = logging.getLogger(__name__)


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


@db_task(retries=10, retry_delay=1)
def recompute_dirty_task() -> None:
    """Recompute the queued days now. Enqueued when new punches are committed.

    While another worker holds the lock the task fails with TaskLockedException and Huey retries
    it a second later, so a punch that arrives during a long run is not left for the periodic task.
    """
    _drain()


@db_periodic_task(crontab(minute="*"))
def recompute_dirty_periodic() -> None:
    """Recompute the queued days every minute, catching anything an enqueue missed."""
    try:
        _drain()
    except TaskLockedException:
        logger.info("Recompute already running; the periodic run is skipped")
