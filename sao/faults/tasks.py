"""Huey periodic task: the fault check every five minutes."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sao.faults.services import faults_check

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("faults-check")
def faults_check_periodic() -> None:
    """Open tickets for silent, drifting and full devices, and close windows of returned ones."""
    summary = faults_check(now=timezone.now())
    if summary.opened or summary.windows_closed:
        logger.info("Fault check of %s devices: opened tickets %s, closed windows %s",
                    summary.devices, summary.opened, summary.windows_closed)
