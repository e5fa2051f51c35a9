"""A fast path of the engine for the common employee: office days only, every punch trusted.

`compute_days` in sao.attendance.engine handles every case and records an explanation step by
step. Most employees on most days need little of that: no roster, no absence, no device outage,
no punch from a clock marked suspect. For them `evaluate_office_days` computes the same stored
values with integers (microseconds since the Unix epoch) in place of datetime arithmetic, from
day plans that are built once per (profile, date, time zone) and shared by every employee.

The caller decides whether an employee qualifies (`plans_qualify` and its own checks on absences,
outages and suspect punches). A property test compares this module with `compute_days` on
generated punches, so a change here must keep the two equal field by field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sao.attendance.engine import (
    DayMode,
    DaySchedule,
    Flag,
    HolidayInput,
    RuleSettings,
    Status,
    bracket_code,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
MINUTE = 60_000_000  # microseconds


def to_micros(instant: dt.datetime) -> int:
    """Return an aware datetime as whole microseconds since the Unix epoch (exact)."""
    return (instant - EPOCH) // MICROSECOND


def from_micros(micros: int) -> dt.datetime:
    """Return the aware UTC datetime of microseconds since the Unix epoch."""
    return EPOCH + dt.timedelta(microseconds=micros)


def _micros_or_none(instant: dt.datetime | None) -> int | None:
    return None if instant is None else to_micros(instant)


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One office day of a schedule, with its instants as microseconds and its holiday."""

    schedule: DaySchedule
    work_date: dt.date
    is_working: bool
    windows_mode: bool
    window_start: int | None
    window_end: int | None
    windows: tuple[tuple[int, int], ...]
    midpoint: int | None
    # Instants from which a check-in is late and before which a check-out is early.
    late_from: int | None
    early_from: int | None
    # A day off, or a holiday the schedule does not work: the day is LIBUR.
    is_off: bool
    holiday: HolidayInput | None
    # The rule version as stored, cut to the 120 characters of DailyResult.rule_version.
    rule_version: str


def day_plan(schedule: DaySchedule, holiday: HolidayInput | None) -> DayPlan:
    """Build the plan of one office day (`schedule.shift_code` is "")."""
    late_from = early_from = None
    if schedule.start is not None:
        late_from = to_micros(schedule.start) + schedule.late_tolerance_minutes * MINUTE
    if schedule.end is not None:
        early_from = to_micros(schedule.end) - schedule.early_tolerance_minutes * MINUTE
    return DayPlan(
        schedule=schedule,
        work_date=schedule.work_date,
        is_working=schedule.is_working,
        windows_mode=schedule.mode == DayMode.WINDOWS,
        window_start=_micros_or_none(schedule.window_start),
        window_end=_micros_or_none(schedule.window_end),
        windows=tuple((to_micros(first), to_micros(last)) for first, last in schedule.windows),
        # The engine's midpoint rounds half a microsecond to even, so it is converted, not recomputed.
        midpoint=_micros_or_none(schedule.midpoint),
        late_from=late_from,
        early_from=early_from,
        is_off=not schedule.is_working or (holiday is not None and not schedule.works_on_holiday),
        holiday=holiday,
        rule_version=schedule.rule_version[:120],
    )


def plans_qualify(plans: Sequence[DayPlan]) -> bool:
    """Return True when `evaluate_office_days` gives the engine's results for these plans.

    The plans must be office days (no shift), one per date in date order, in one time zone and
    with one rule set. The windows of working days must not overlap, so that a punch belongs to
    at most one window.
    """
    if not plans:
        return False
    time_zone = plans[0].schedule.time_zone
    rules = plans[0].schedule.rules
    previous_date = None
    previous_end = None
    for plan in plans:
        schedule = plan.schedule
        if schedule.shift_code or schedule.time_zone != time_zone or schedule.rules != rules:
            return False
        if previous_date is not None and plan.work_date <= previous_date:
            return False
        previous_date = plan.work_date
        if plan.is_working and plan.window_start is not None and plan.window_end is not None:
            if previous_end is not None and plan.window_start <= previous_end:
                return False
            previous_end = plan.window_end
    return True


class PlanSet:
    """The day plans of one employee's schedule, with the lookups `evaluate_office_days` needs.

    Employees with the same schedule share one PlanSet, so these are built once per schedule.
    """

    def __init__(self, plans: Sequence[DayPlan]):
        self.plans = tuple(plans)
        rules: RuleSettings = self.plans[0].schedule.rules
        self.rules = rules
        self.working = tuple(
            index
            for index, plan in enumerate(self.plans)
            if plan.is_working and plan.window_start is not None and plan.window_end is not None
        )
        self.window_starts = tuple(self.plans[index].window_start for index in self.working)
        self.window_ends = tuple(self.plans[index].window_end for index in self.working)
        self.index_by_date = {plan.work_date: index for index, plan in enumerate(self.plans)}
        self.zone = ZoneInfo(self.plans[0].schedule.time_zone)
        self.missing_in_code = f"TL{len(rules.late_edges)}"
        self.missing_out_code = f"PSW{len(rules.early_edges)}"
        # TL and PSW codes by whole minutes up to the largest edge, which every larger value shares.
        self.late_codes = tuple(
            bracket_code(minutes, rules.late_edges, "TL") for minutes in range(max(rules.late_edges) + 1)
        )
        self.early_codes = tuple(
            bracket_code(minutes, rules.early_edges, "PSW") for minutes in range(max(rules.early_edges) + 1)
        )


def plan_set(plans: Sequence[DayPlan]) -> PlanSet | None:
    """Return the PlanSet of `plans`, or None when they do not qualify for the fast path."""
    return PlanSet(plans) if plans_qualify(plans) else None


def _assign(plans: PlanSet, punches: list[int]) -> tuple[list[list[int]], list[bool]]:
    """Give each punch to the plan whose window contains it, or by local date (engine rule).

    Returns the punches (microseconds) matched to each plan, and whether each plan has punches
    outside every window on its date.
    """
    matched: list[list[int]] = [[] for _plan in plans.plans]
    outside = [False] * len(plans.plans)
    working, starts, ends = plans.working, plans.window_starts, plans.window_ends
    count = len(working)

    position = 0
    for micros in punches:
        while position < count and ends[position] < micros:
            position += 1
        if position < count and starts[position] <= micros:
            matched[working[position]].append(micros)
            continue

        index = plans.index_by_date.get(from_micros(micros).astimezone(plans.zone).date())
        if index is None:
            continue
        if plans.plans[index].is_working:
            outside[index] = True
        else:
            matched[index].append(micros)
    return matched, outside


def evaluate_office_days(
    plans: PlanSet,
    instants: list[int],
    *,
    now: int,
    first: dt.date,
    last: dt.date,
) -> list[tuple]:
    """Compute the days of `plans` dated first..last from the instants of trusted punches.

    Instants and `now` (the evaluation time) are microseconds since the Unix epoch, in any order
    and possibly repeated. The engine keeps one punch per instant, and for trusted punches its
    choice among equal instants changes no stored value, so the instants alone are enough. The
    employee must have no absence, no outage and no suspect punch in the plans' range.

    Each result is a tuple (plan, status, is_working_day, check-in, check-out, late minutes,
    early minutes, late code, early code, worked minutes, flags, holiday name), with check-in
    and check-out in microseconds or None.
    """
    rules = plans.rules
    truncate = rules.truncate_seconds
    first_first = rules.pairing == "first_first"
    absent_below = rules.absent_below_minutes
    half_day_below = rules.half_day_below_minutes
    late_codes, early_codes = plans.late_codes, plans.early_codes
    late_top, early_top = len(late_codes) - 1, len(early_codes) - 1
    matched, outside = _assign(plans, sorted(set(instants)))

    results = []
    for index, plan in enumerate(plans.plans):
        work_date = plan.work_date
        if work_date < first or work_date > last:
            continue
        day_punches = matched[index]
        flags: tuple[str, ...] = (Flag.PUNCH_OUTSIDE_WINDOW,) if outside[index] else ()

        # A day off or a holiday: LIBUR, with the time worked if there are two punches or more.
        if plan.is_off:
            check_in = check_out = worked = None
            if day_punches:
                flags += (Flag.WORK_ON_HOLIDAY,)
                if len(day_punches) > 1:
                    check_in, check_out = day_punches[0], day_punches[-1]
                    worked = _minutes_between(check_in, check_out, truncate)
            holiday_name = plan.holiday.name if plan.holiday is not None else ""
            results.append(
                (
                    plan,
                    Status.LIBUR,
                    False,
                    check_in,
                    check_out,
                    None,
                    None,
                    "",
                    "",
                    worked,
                    flags,
                    holiday_name,
                )
            )
            continue

        late = early = None
        late_code = early_code = ""
        # Until the day's window closes a missing check-out may still come, so it is no early leave.
        window_open = plan.window_end is not None and now < plan.window_end
        if plan.windows_mode:
            # One punch in the first window stands for the check-in, one in the last for the check-out.
            hits = [
                next((micros for micros in day_punches if start <= micros <= end), None)
                for start, end in plan.windows
            ]
            check_in = hits[0] if hits else None
            check_out = hits[-1] if len(hits) > 1 else None
            if all(hit is None for hit in hits):
                status = Status.TK
            elif all(hit is not None for hit in hits):
                status = Status.HADIR
            else:
                status = Status.TIDAK_LENGKAP
                if check_in is None:
                    late_code = plans.missing_in_code
                    flags += (Flag.MISSING_CHECK_IN,)
                if check_out is None and not window_open:
                    early_code = plans.missing_out_code
                    flags += (Flag.MISSING_CHECK_OUT,)
            if check_in is not None:
                late = 0
            if check_out is not None:
                early = 0
        else:
            check_in, check_out = _pair(plan, day_punches, first_first)
            if check_in is not None:
                floored = check_in - check_in % MINUTE if truncate else check_in
                late = max(0, (floored - plan.late_from) // MINUTE)
                late_code = late_codes[late if late < late_top else late_top]
            if check_out is not None:
                floored = check_out - check_out % MINUTE if truncate else check_out
                early = max(0, (plan.early_from - floored) // MINUTE)
                early_code = early_codes[early if early < early_top else early_top]
            if check_in is None and check_out is None:
                status = Status.TK
            elif check_in is None:
                status = Status.TIDAK_LENGKAP
                late_code = plans.missing_in_code
                flags += (Flag.MISSING_CHECK_IN,)
            elif check_out is None:
                status = Status.TIDAK_LENGKAP
                if not window_open:
                    early_code = plans.missing_out_code
                    flags += (Flag.MISSING_CHECK_OUT,)
            else:
                status = Status.HADIR

        worked = None
        if check_in is not None and check_out is not None:
            worked = _minutes_between(check_in, check_out, truncate)
            if status == Status.HADIR and not plan.windows_mode:
                if absent_below is not None and worked < absent_below:
                    status = Status.TK
                elif half_day_below is not None and worked < half_day_below:
                    status = Status.SETENGAH_HARI

        # Until the day's window closes the result is provisional.
        if window_open:
            status = Status.BELUM_FINAL

        results.append(
            (plan, status, True, check_in, check_out, late, early, late_code, early_code, worked, flags, "")
        )
    return results


def _minutes_between(earlier: int, later: int, truncate: bool) -> int:
    if truncate:
        earlier -= earlier % MINUTE
        later -= later % MINUTE
    return (later - earlier) // MINUTE


def _pair(plan: DayPlan, punches: list[int], first_first: bool) -> tuple[int | None, int | None]:
    """Pick the check-in and check-out among sorted punches, as the engine's `_pair` does."""
    if not punches:
        return None, None
    midpoint = plan.midpoint
    if len(punches) == 1:
        only = punches[0]
        if midpoint is not None and only >= midpoint:
            return None, only
        return only, None

    if first_first and midpoint is not None:
        after = next((micros for micros in punches[1:] if micros >= midpoint), None)
        return punches[0], after
    return punches[0], punches[-1]
