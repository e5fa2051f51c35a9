"""Today's presence per OPD, counting every employee scheduled today, punched or not.

The daily results count only the person-days the rules engine has written. Early in the day many
scheduled employees have no result yet, so this module adds them from the schedule. An employee
whose legal status is working on the day and who has no result for it counts once when their
schedule profile makes the day a working day that is no holiday. A rostered employee counts once
per shift of the day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q

from sao.attendance.models import DailyResult
from sao.org.models import WORKING_LEGAL_STATUSES, Employee, LegalStatusPeriod, Unit
from sao.org.scope import scope_queryset
from sao.reports import selectors
from sao.reports.rates import Counts, UnitRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TodayRow:
    """One OPD today: person-day counts (no result yet counts as scheduled) and those not yet present."""

    unit: UnitRef
    counts: Counts
    not_yet_present: int


# Warnings already logged by this process, so a dashboard polled every minute logs each once.
_warned: set = set()


def _warn_once(key, message: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def _employees_without_result(*, user, day: dt.date):
    """Return the working employees in scope with no daily result on `day`."""
    periods = LegalStatusPeriod.objects.filter(employee=OuterRef("pk"))
    working_on_day = periods.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        valid_from__lte=day,
        status__in=WORKING_LEGAL_STATUSES,
    )
    # Like the rules engine: the dated legal status periods decide (so days before the TMT are
    # out), and an employee without any period falls back to the current legal status.
    at_work = Exists(working_on_day) | (~Exists(periods) & Q(legal_status__in=WORKING_LEGAL_STATUSES))
    # NOT IN over the day's results (one index range on date, hashed) is several times faster on
    # PostgreSQL than a NOT EXISTS probe per employee.
    employees = Employee.objects.filter(at_work).exclude(
        pk__in=DailyResult.objects.filter(date=day).values("employee_id")
    )
    return scope_queryset(user=user, queryset=employees)


def _schedule_overrides(day: dt.date):
    """Return the schedule assignments covering `day`, which override the unit's profile."""
    from sao.calendars.models import EmployeeSchedule

    return EmployeeSchedule.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day
    )


def _without_jit(queryset) -> list:
    """Run a query with PostgreSQL's JIT compiler off for its transaction.

    The planner's cost for the NOT IN over a day's results (30,000 rows in the benchmark province)
    passes the default jit_above_cost. On the 2-core development machine, compiling then took
    50-100 ms of a query that runs in about 40 ms without it.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return list(queryset)


def _waiting_groups(*, user, day: dt.date) -> tuple[list[tuple[int, str, int]], dict[int, str]]:
    """Return the groups (unit id, override profile code or "", employees) of the employees
    without a result, and {employee id: override profile code} of the employees with an override.

    Employees with a schedule override are read one by one (they are few); the others are counted
    per unit in the database. A correlated subquery for the override made PostgreSQL's cost
    estimate so high that JIT compilation took most of a second.
    """
    waiting = _employees_without_result(user=user, day=day)
    overridden = _schedule_overrides(day).values("employee_id")
    plain = waiting.exclude(pk__in=overridden).values("unit_id").annotate(people=Count("id")).order_by()
    groups = [(row["unit_id"], "", row["people"]) for row in _without_jit(plain)]

    codes = {}
    for employee_id, code in _schedule_overrides(day).order_by("employee_id", "valid_from").values_list(
        "employee_id", "profile_code"
    ):
        codes[employee_id] = code  # the latest start wins
    counted: dict[tuple[int, str], int] = defaultdict(int)
    if codes:
        for employee_id, unit_id in waiting.filter(pk__in=overridden).values_list("pk", "unit_id"):
            counted[(unit_id, codes[employee_id])] += 1
    return groups + [(unit_id, code, people) for (unit_id, code), people in counted.items()], codes


def scheduled_without_result(*, user, day: dt.date) -> dict[int, int]:
    """Return {unit id: person-days scheduled on `day` without a daily result yet}, in the user's scope.

    Grouped queries: employees by unit and schedule override, and, for rostered profiles, their
    shifts of the day. Without a stored policy nothing can be scheduled, so the result is empty.
    """
    from sao.calendars.holidays import holidays_between
    from sao.calendars.models import HolidayOverride, RosterEntry
    from sao.calendars.services import NoPolicyError, active_policy

    try:
        policy = active_policy()
    except NoPolicyError:
        _warn_once("no-policy", "No attendance policy is stored; today's panel counts only computed results.")
        return {}

    overrides = HolidayOverride.objects.filter(date=day)
    is_holiday = day in holidays_between(policy, day, day, overrides=overrides)
    groups, override_codes = _waiting_groups(user=user, day=day)
    units = {
        pk: (code, schedule_profile, time_zone)
        for pk, code, schedule_profile, time_zone in Unit.objects.filter(
            pk__in={unit_id for unit_id, _code, _people in groups}
        ).values_list("pk", "code", "schedule_profile", "time_zone")
    }

    found: dict[int, int] = defaultdict(int)
    rostered: list[Q] = []  # the waiting employees whose profile is rostered, per group
    for unit_id, override, people in groups:
        unit_code, schedule_profile, unit_time_zone = units[unit_id]
        # Like the rules engine, an override naming a profile the policy lacks falls back to the unit's.
        try:
            profile = policy.profile_for(
                schedule_profile=schedule_profile,
                unit_code=unit_code,
                override=override if override in policy.profiles else "",
            )
        except KeyError:
            _warn_once(
                ("profile", unit_code, schedule_profile),
                "Unit %s has schedule profile %r, which the policy lacks, so its employees are not "
                "counted today.",
                unit_code,
                schedule_profile,
            )
            continue
        if profile.rostered and override:
            members = [pk for pk, code in override_codes.items() if code == override]
            rostered.append(Q(unit_id=unit_id, pk__in=members))
            continue
        if profile.rostered:
            rostered.append(Q(unit_id=unit_id) & ~Q(pk__in=list(override_codes)))
            continue
        time_zone = unit_time_zone or policy.time_zone
        if not is_holiday and policy.office_day(profile, day, time_zone).is_working:
            found[unit_id] += people

    if rostered:
        waiting = _employees_without_result(user=user, day=day).filter(reduce(or_, rostered))
        shifts = RosterEntry.objects.filter(date=day, employee__in=waiting.values("pk"))
        if is_holiday:
            shifts = shifts.filter(works_on_holiday=True)
        for group in shifts.values("employee__unit_id").annotate(shifts=Count("id")).order_by():
            found[group["employee__unit_id"]] += group["shifts"]
    return dict(found)


def open_without_check_in(*, user, day: dt.date) -> dict[int, int]:
    """Return {unit id: results of `day` still open (BELUM_FINAL) with no check-in}, in scope."""
    results = DailyResult.objects.filter(
        date=day, is_working_day=True, status="BELUM_FINAL", check_in__isnull=True
    )
    rows = (
        scope_queryset(user=user, queryset=results).values("unit_id").annotate(count=Count("id")).order_by()
    )
    return {row["unit_id"]: row["count"] for row in rows}


def today_by_agency(*, user, day: dt.date) -> list[TodayRow]:
    """Return today's counts per OPD in scope, with every scheduled employee in the denominator.

    Employees without a result yet are scheduled and not yet present, like open days without a
    check-in.
    """
    units = selectors.unit_refs(user=user)
    counts = selectors.rate_counts(user=user, start=day, end=day, period="day", live=True).get(day, {})
    missing = scheduled_without_result(user=user, day=day)
    open_days = open_without_check_in(user=user, day=day)

    rows = []
    for group in selectors.top_groups(units):
        value = Counts()
        waiting = 0
        members = [unit_id for unit_id, unit in units.items() if unit.path.startswith(group.path)]
        for unit_id in members:
            value = value + counts.get(unit_id, Counts()) + Counts(scheduled=missing.get(unit_id, 0))
            waiting += missing.get(unit_id, 0) + open_days.get(unit_id, 0)
        rows.append(TodayRow(unit=group, counts=value, not_yet_present=waiting))
    return rows
