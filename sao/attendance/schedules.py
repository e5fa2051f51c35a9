"""The scheduled days of an employee: their unit on each date, legal status and schedule profile.

Used by the daily computation (sao.attendance.compute) and by the leave counting of
sao.absences.workdays, so that both see the same working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sao.attendance.engine import DaySchedule
from sao.calendars.policy import Policy
from sao.org.models import WORKING_LEGAL_STATUSES


@dataclass
class EmployeeRow:
    """An employee with their current unit, as read by `employees_query`."""

    pk: int
    kind: str
    legal_status: str
    unit_id: int
    unit_code: str
    unit_path: str
    time_zone: str
    schedule_profile: str


@dataclass(frozen=True)
class UnitPlacement:
    """A dated unit assignment of an employee, with the unit fields the schedule needs."""

    valid_from: dt.date
    valid_to: dt.date | None
    unit_id: int
    unit_code: str
    unit_path: str
    time_zone: str
    schedule_profile: str

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def current_placement(row: EmployeeRow) -> UnitPlacement:
    return UnitPlacement(
        valid_from=dt.date.min,
        valid_to=None,
        unit_id=row.unit_id,
        unit_code=row.unit_code,
        unit_path=row.unit_path,
        time_zone=row.time_zone,
        schedule_profile=row.schedule_profile,
    )


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def active_dates(
    row: EmployeeRow, periods: list[tuple[str, dt.date, dt.date | None]], dates: list[dt.date]
) -> set[dt.date]:
    """Return the dates on which the employee's legal status puts them at work."""
    if not periods:
        return set(dates) if row.legal_status in WORKING_LEGAL_STATUSES else set()
    active = set()
    for day in dates:
        status = None
        for code, valid_from, valid_to in periods:
            if valid_from <= day and (valid_to is None or day <= valid_to):
                status = code
        if status in WORKING_LEGAL_STATUSES:
            active.add(day)
    return active


def placements_by_date(
    row: EmployeeRow, placements: list[UnitPlacement], dates: list[dt.date]
) -> dict[dt.date, UnitPlacement] | None:
    """Return the unit of each date from the employee's dated assignments.

    Returns None when every date is in the employee's current unit (the common case). A date no
    assignment covers falls back to the current unit.
    """
    if not placements or all(placement.unit_id == row.unit_id for placement in placements):
        return None
    current = current_placement(row)
    units = {}
    for day in dates:
        units[day] = next((placement for placement in placements if placement.covers(day)), current)
    if all(placement.unit_id == row.unit_id for placement in units.values()):
        return None
    return units


def build_schedules(
    *,
    policy: Policy,
    row: EmployeeRow,
    dates: list[dt.date],
    assignments: list[tuple[str, dt.date, dt.date | None]],
    roster: dict[dt.date, list[tuple[str, bool]]],
    active: set[dt.date],
    cache: dict | None = None,
    units: dict[dt.date, UnitPlacement] | None = None,
) -> list[DaySchedule]:
    """Build the scheduled days (and shifts) of one employee for `dates`.

    `units` gives the unit of each date (see `placements_by_date`); by default every date is in
    the employee's current unit. An employee schedule assignment overrides the unit's profile.
    `cache` shares the schedule objects between employees with the same profile, date and zone.
    Raises KeyError when a unit's schedule profile has no profile in the policy.
    """
    cache = {} if cache is None else cache
    days: list[DaySchedule] = []
    current = current_placement(row)
    unit_profiles: dict[int, object] = {}
    for day in dates:
        if day not in active:
            continue
        unit = units.get(day, current) if units else current
        default_profile = unit_profiles.get(unit.unit_id)
        if default_profile is None:
            default_profile = policy.profile_for(
                schedule_profile=unit.schedule_profile, unit_code=unit.unit_code
            )
            unit_profiles[unit.unit_id] = default_profile
        time_zone = unit.time_zone or policy.time_zone
        profile = default_profile
        for code, valid_from, valid_to in assignments:
            if valid_from <= day and (valid_to is None or day <= valid_to):
                profile = policy.profiles[code]
        if profile.rostered:
            shifts = roster.get(day, [])
            if not shifts:
                key = (profile.code, day, time_zone, "")
                if key not in cache:
                    cache[key] = DaySchedule(
                        work_date=day,
                        time_zone=time_zone,
                        is_working=False,
                        profile_code=profile.code,
                        rule_version=f"v{policy.version}:{profile.code}:no-roster",
                        rules=policy.rules,
                    )
                days.append(cache[key])
            for shift_code, works_on_holiday in shifts:
                key = (profile.code, day, time_zone, shift_code, works_on_holiday)
                if key not in cache:
                    cache[key] = policy.shift_day(
                        profile, shift_code, day, time_zone, works_on_holiday=works_on_holiday
                    )
                days.append(cache[key])
        else:
            key = (profile.code, day, time_zone)
            if key not in cache:
                cache[key] = policy.office_day(profile, day, time_zone)
            days.append(cache[key])
    return days
