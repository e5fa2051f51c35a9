"""Huey task: read the SMS inbox every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task
from huey.exceptions import TaskLockedException

from sao.notify.gateways import notify_settings
from sao.notify.sms import poll_inbox

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sms_poll_periodic() -> None:
    """Read the Gammu inbox when one is configured; a run still going makes this one skip."""
    if not notify_settings().get("gammu_inbox"):
        return
    try:
        with lock_task("notify-sms-poll"):
            poll_inbox()
    except TaskLockedException:
        logger.info("SMS poll already running; this run is skipped")
    except FileNotFoundError as exc:
        logger.error("SMS poll skipped: %s", exc)
