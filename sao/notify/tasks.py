"""Huey task: read the SMS inbox every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task
from huey.exceptions import TaskLockedException

from sao.notify.gammu_sql import GammuSqlError
from sao.notify.gateways import notify_settings
from sao.notify.sms import poll_inbox, poll_sql_inbox

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sms_poll_periodic() -> None:
    """Read gammu's inbox table or inbox folder when one is configured; a run still going makes this one skip.

    The lock also keeps two runs from reading the same unprocessed inbox rows at once.
    """
    config = notify_settings()
    if not config.get("gammu_sql_url") and not config.get("gammu_inbox"):
        return
    try:
        with lock_task("notify-sms-poll"):
            if config.get("gammu_sql_url"):
                poll_sql_inbox()
            else:
                poll_inbox()
    except TaskLockedException:
        logger.info("SMS poll already running; this run is skipped")
    except (FileNotFoundError, GammuSqlError) as exc:
        logger.error("SMS poll skipped: %s", exc)
