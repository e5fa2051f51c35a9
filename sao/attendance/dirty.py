"""Marking (employee, work date) pairs for recomputation.

Callers: the punch ingestion on commit of new punches, PIN mapping, and the calendar services
when a roster, schedule or holiday changes. The Huey task in sao.attendance.tasks drains the rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import transaction

from sao.attendance.models import DirtyDay

logger = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Asia/Makassar"

# A punch before this local hour can close a night shift that started the day before, so for
# rostered employees it also marks the previous date (a night shift belongs to its start date).
NIGHT_SHIFT_CARRY_UNTIL = dt.time(12, 0)


def mark_days_dirty(*, days: Iterable[tuple[int, dt.date]]) -> int:
    """Insert the (employee id, date) pairs into the recompute queue and return how many were given.

    Pairs already queued are left as they are (the unique constraint absorbs them).
    """
    pairs = {(employee_id, day) for employee_id, day in days if employee_id is not None}
    if not pairs:
        return 0

    DirtyDay.objects.bulk_create(
        [DirtyDay(employee_id=employee_id, date=day) for employee_id, day in pairs],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return len(pairs)


def mark_punches_dirty(*, punches: Iterable[tuple[int, dt.datetime]]) -> int:
    """Mark the work dates that punches given as (employee id, aware instant) can affect.

    The work date is the local date of the punch in the time zone of the employee's unit. A punch
    before noon also marks the previous date when the employee's unit works shifts or the
    employee has a roster entry on that date, because a night shift that started then may end
    with this punch. Returns the number of distinct pairs marked.
    """
    punch_list = [(employee_id, instant) for employee_id, instant in punches if employee_id]
    if not punch_list:
        return 0

    from sao.org.models import Employee, ScheduleProfile

    employee_ids = {employee_id for employee_id, _instant in punch_list}
    units = {
        pk: (time_zone, profile)
        for pk, time_zone, profile in Employee.objects.filter(pk__in=employee_ids).values_list(
            "pk", "unit__time_zone", "unit__schedule_profile"
        )
    }

    days: set[tuple[int, dt.date]] = set()
    previous: set[tuple[int, dt.date]] = set()
    for employee_id, instant in punch_list:
        if employee_id not in units:
            logger.warning("Punch for unknown employee id %s not marked for recompute", employee_id)
            continue
        time_zone, profile = units[employee_id]
        local = instant.astimezone(ZoneInfo(time_zone or DEFAULT_TIME_ZONE))
        days.add((employee_id, local.date()))
        if local.time() < NIGHT_SHIFT_CARRY_UNTIL:
            pair = (employee_id, local.date() - dt.timedelta(days=1))
            if profile == ScheduleProfile.SHIFT:
                days.add(pair)
            else:
                previous.add(pair)

    # Employees of office units may still be rostered (an employee schedule assignment).
    if previous:
        from sao.calendars.models import RosterEntry

        rostered = set(
            RosterEntry.objects.filter(
                employee_id__in={employee_id for employee_id, _day in previous},
                date__in={day for _employee_id, day in previous},
            ).values_list("employee_id", "date")
        )
        days |= previous & rostered

    count = mark_days_dirty(days=days)
    transaction.on_commit(enqueue_recompute)
    return count


def enqueue_recompute() -> None:
    """Ask a Huey worker to recompute the queued days now, with the periodic task as fallback."""
    from sao.attendance.tasks import recompute_soon

    try:
        recompute_soon()
    except Exception:  # the queue backend (SQLite file or Redis) may be unavailable
        logger.exception("Could not enqueue the recompute task; the periodic task will pick the days up")
