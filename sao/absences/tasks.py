"""Huey task: escalate absence requests that wait too long, every hour."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sao.absences.services import absences_escalate


@db_periodic_task(crontab(minute="7"))
def absences_escalate_periodic() -> None:
    """Escalate the requests waiting too long, at minute 7 of every hour."""
    absences_escalate()
