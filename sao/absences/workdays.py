"""An employee's working days from their own schedule, for counting leave.

The schedule comes from the attendance policy in force and the calendar data: schedule
assignments, rosters, and holidays including cuti bersama. It is built by the same functions
the daily computation uses, so leave is counted on the days the employee is expected at work.
"""

from __future__ import annotations

import datetime as dt

from sao.attendance.compute import EmployeeRow, build_schedules
from sao.calendars.holidays import holidays_between
from sao.calendars.models import EmployeeSchedule, HolidayOverride, RosterEntry
from sao.calendars.services import active_policy
from sao.org.models import Employee


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def working_days(*, employee: Employee, start: dt.date, end: dt.date) -> list[dt.date]:
    """Return the dates from start to end on which the employee's schedule has work.

    A holiday or cuti bersama is not a working day, unless a rostered shift is marked to work
    on holidays. Legal status is not checked here: a request is about an employee at work.
    """
    policy = active_policy()
    dates = _dates(start, end)
    unit = employee.unit
    row = EmployeeRow(
        pk=employee.pk,
        kind=employee.kind,
        legal_status=employee.legal_status,
        unit_id=unit.pk,
        unit_code=unit.code,
        unit_path=unit.path,
        time_zone=unit.time_zone,
        schedule_profile=unit.schedule_profile,
    )

    assignments = [
        (code, valid_from, valid_to)
        for code, valid_from, valid_to in EmployeeSchedule.objects.filter(
            employee=employee, valid_from__lte=end
        )
        .order_by("valid_from")
        .values_list("profile_code", "valid_from", "valid_to")
        if code in policy.profiles
    ]
    roster: dict[dt.date, list[tuple[str, bool]]] = {}
    for day, shift_code, works_on_holiday in RosterEntry.objects.filter(
        employee=employee, date__range=(start, end)
    ).values_list("date", "shift_code", "works_on_holiday"):
        if shift_code in policy.shifts:
            roster.setdefault(day, []).append((shift_code, works_on_holiday))
    overrides = list(HolidayOverride.objects.filter(date__range=(start, end)))
    holidays = holidays_between(policy, start, end, overrides=overrides)

    schedules = build_schedules(
        policy=policy, row=row, dates=dates, assignments=assignments, roster=roster, active=set(dates)
    )
    found: set[dt.date] = set()
    for schedule in schedules:
        if not schedule.is_working:
            continue
        if schedule.work_date in holidays and not schedule.works_on_holiday:
            continue
        found.add(schedule.work_date)
    return sorted(found)
