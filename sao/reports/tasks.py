"""Huey tasks: large report exports, and the per-unit, per-day counts behind the rates."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from sao.reports.services import export_job_run, unit_day_counts_refresh

logger = logging.getLogger(__name__)

# Recomputes mostly touch the last weeks (late punches, absences entered afterwards), so the
# frequent refresh covers 35 days and the nightly one the whole previous and current year.
RECENT_DAYS = 35


@db_periodic_task(crontab(minute="*/15"))
def unit_day_counts_recent() -> None:
    """Refresh the counts of the last 35 days, up to yesterday, every 15 minutes."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    try:
        with lock_task("reports-unit-day-counts"):
            unit_day_counts_refresh(start=yesterday - dt.timedelta(days=RECENT_DAYS), end=yesterday)
    except TaskLockedException:
        logger.info("Unit day counts already refreshing; the 15-minute run is skipped")


@db_periodic_task(crontab(hour="1", minute="30"))
def unit_day_counts_nightly() -> None:
    """Refresh the counts from 1 January of last year to yesterday, every night at 01:30."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    try:
        with lock_task("reports-unit-day-counts"):
            unit_day_counts_refresh(start=dt.date(yesterday.year - 1, 1, 1), end=yesterday)
    except TaskLockedException:
        logger.warning("Unit day counts were refreshing at 01:30; the nightly run is skipped")


@db_task()
def export_job_task(job_id: int) -> None:
    """Write the file of an export job (see services.export_job_run)."""
    export_job_run(job_id=job_id)
