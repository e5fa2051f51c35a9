"""Computing the stored rows of one employee: the fast path or the full engine, row hashes, and
the sorting of rows into new, changed and unchanged against the stored ones."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from sao.attendance.engine import (
    AbsenceInput,
    DayResult,
    DaySchedule,
    HolidayInput,
    OutageWindow,
    PunchInput,
    compute_days,
)
from sao.attendance.fastpath import (
    DayPlan,
    PlanSet,
    day_plan,
    evaluate_office_days,
    from_micros,
    plan_set,
    to_micros,
)
from sao.attendance.schedules import (
    EmployeeRow,
    UnitPlacement,
    active_dates,
    build_schedules,
    current_placement,
    placements_by_date,
)
from sao.attendance.storage import HASH_COLUMN, row_hash, text_hash
from sao.calendars.policy import Policy

logger = logging.getLogger("sao.attendance.compute")


@dataclass
class ComputeStats:
    employees: int = 0
    results: int = 0
    # Of `results`: rows inserted or rewritten, and rows left as they were because nothing changed.
    written: int = 0
    unchanged: int = 0
    deleted: int = 0
    frozen_skipped: int = 0
    punches: int = 0
    # Results computed by the fast path for office days (the rest went through compute_days).
    fast_results: int = 0
    seconds: float = 0.0
    # Wall time per phase, summed over chunks: loading inputs, running the engine, writing (with
    # the background writer of PostgreSQL, the time spent waiting for it).
    load_seconds: float = 0.0
    engine_seconds: float = 0.0
    write_seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, other: ComputeStats) -> None:
        """Add the counts and phase times of `other` (a chunk or a worker) to these."""
        for name in (
            "employees",
            "results",
            "written",
            "unchanged",
            "deleted",
            "frozen_skipped",
            "punches",
            "fast_results",
            "seconds",
            "load_seconds",
            "engine_seconds",
            "write_seconds",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, count in other.by_status.items():
            self.by_status[code] = self.by_status.get(code, 0) + count


@dataclass
class ChunkInputs:
    """Every input of a chunk of employees, by employee id."""

    periods: dict[int, list]
    assignments: dict[int, list]
    rosters: dict[int, dict]
    placements: dict[int, list[UnitPlacement]]
    punches: dict[int, EmployeePunches]
    absences: dict[int, list[AbsenceInput]]
    outages: dict[int, list[OutageWindow]]


@dataclass
class EmployeePunches:
    """The punches of one employee as parallel lists, in no particular order.

    Instants are microseconds since the Unix epoch. `suspects` is None when no punch is suspect.
    """

    instants: list[int]
    states: list[int]
    ids: list[int]
    suspects: list[bool] | None


def punch_inputs(punches: EmployeePunches | None) -> list[PunchInput]:
    """Return the engine inputs of punches loaded by `load_punches`."""
    if punches is None:
        return []
    suspects = punches.suspects or [False] * len(punches.instants)
    return [
        PunchInput(instant=from_micros(micros), state=state, suspect=suspect, punch_id=pk)
        for micros, state, pk, suspect in zip(
            punches.instants, punches.states, punches.ids, suspects, strict=True
        )
    ]


def is_frozen(frozen: list[tuple[str, dt.date]], unit_path: str, day: dt.date) -> bool:
    month = day.replace(day=1)
    return any(month == closed_month and unit_path.startswith(path) for path, closed_month in frozen)


@dataclass
class ComputeContext:
    """The inputs shared by every employee of one recompute, and caches across chunks."""

    policy: Policy
    dates: list[dt.date]
    start: dt.date
    end: dt.date
    holidays: list[HolidayInput]
    frozen: list[tuple[str, dt.date]]
    now: dt.datetime
    holiday_by_date: dict[dt.date, HolidayInput] = field(default_factory=dict)
    schedule_cache: dict = field(default_factory=dict)
    # Day plans by schedule object id (the schedules stay alive in schedule_cache), and the
    # plan list of a sequence of schedules, or None when the sequence does not qualify.
    plan_cache: dict[int, DayPlan] = field(default_factory=dict)
    plans_by_days: dict[tuple, PlanSet | None] = field(default_factory=dict)
    # Schedules shared by the employees of one unit with nothing of their own (employee_schedule).
    shared_schedules: dict[tuple, ScheduledDays] = field(default_factory=dict)

    def __post_init__(self):
        self.holiday_by_date = {holiday.date: holiday for holiday in self.holidays}
        self.now_micros = to_micros(self.now)


_NOT_BUILT = object()


@dataclass
class ScheduledDays:
    """The scheduled days of one employee and the unit of each date (None: the current unit)."""

    days: list[DaySchedule]
    units: dict[dt.date, UnitPlacement] | None
    # The fast path's plan set of `days` (None when they do not qualify), built on first use.
    plans: object = _NOT_BUILT


def employee_schedule(row: EmployeeRow, inputs: ChunkInputs, context: ComputeContext) -> ScheduledDays | None:
    """Build an employee's schedule, or return None (and log) when their unit has no profile.

    Employees in one unit with no transfer, schedule assignment or roster in the range and at
    work on every date share one ScheduledDays object, built once.
    """
    units = placements_by_date(row, inputs.placements.get(row.pk, []), context.dates)
    active = active_dates(row, inputs.periods.get(row.pk, []), context.dates)
    assignments = inputs.assignments.get(row.pk, [])
    roster = inputs.rosters.get(row.pk, {})
    shared_key = None
    if units is None and not assignments and not roster and len(active) == len(context.dates):
        shared_key = (row.unit_code, row.schedule_profile, row.time_zone)
        shared = context.shared_schedules.get(shared_key)
        if shared is not None:
            return shared

    try:
        days = build_schedules(
            policy=context.policy,
            row=row,
            dates=context.dates,
            assignments=assignments,
            roster=roster,
            active=active,
            cache=context.schedule_cache,
            units=units,
        )
    except KeyError:
        logger.warning(
            "Unit %s has schedule profile %r with no policy profile; employee %s skipped",
            row.unit_code,
            row.schedule_profile,
            row.pk,
        )
        return None
    schedule = ScheduledDays(days=days, units=units)
    if shared_key is not None:
        context.shared_schedules[shared_key] = schedule
    return schedule


def _fast_plans(schedule: ScheduledDays, context: ComputeContext) -> PlanSet | None:
    """Return the plan set of the schedule's days when the fast path can compute them, else None."""
    if schedule.plans is not _NOT_BUILT:
        return schedule.plans

    # Schedule objects stay alive in schedule_cache, so their ids identify a sequence of days.
    days = schedule.days
    key = tuple(id(day) for day in days)
    if key not in context.plans_by_days:
        plans = None
        if days and all(not day.shift_code for day in days):
            day_plans = []
            for day in days:
                plan = context.plan_cache.get(id(day))
                if plan is None:
                    plan = day_plan(day, context.holiday_by_date.get(day.work_date))
                    context.plan_cache[id(day)] = plan
                day_plans.append(plan)
            plans = plan_set(day_plans)
        context.plans_by_days[key] = plans
    schedule.plans = context.plans_by_days[key]
    return schedule.plans


def engine_results(
    row: EmployeeRow, schedule: ScheduledDays, inputs: ChunkInputs, context: ComputeContext
) -> list[DayResult]:
    """Run `compute_days` for one employee over the context's dates."""
    return compute_days(
        schedule.days,
        punches=punch_inputs(inputs.punches.get(row.pk)),
        absences=inputs.absences.get(row.pk, []),
        holidays=context.holidays,
        outages=inputs.outages.get(row.pk, []),
        now=context.now,
    )


_FLAGS_JSON: dict[tuple[str, ...], str] = {}


def _flags_json(flags: tuple[str, ...]) -> str:
    text = _FLAGS_JSON.get(flags)
    if text is None:
        text = _FLAGS_JSON[flags] = json.dumps(list(flags))
    return text


def _micros(instant: dt.datetime | None) -> int | None:
    return None if instant is None else to_micros(instant)


def _datetime(micros: int | None) -> dt.datetime | None:
    return None if micros is None else from_micros(micros)


def engine_row(employee_id: int, unit: UnitPlacement, result: DayResult, computed_at: dt.datetime) -> tuple:
    """Return the stored row (storage.COLUMNS order) of an engine result."""
    flags = tuple(result.flags)
    rule_version = result.rule_version[:120]
    texts = text_hash(
        result.status,
        result.late_code,
        result.early_code,
        flags,
        result.absence_code,
        result.holiday_name,
        rule_version,
    )
    values_hash = row_hash(
        unit.unit_id,
        texts,
        result.is_working_day,
        _micros(result.check_in),
        _micros(result.check_out),
        result.late_minutes,
        result.early_minutes,
        result.worked_minutes,
    )
    return (
        employee_id,
        result.work_date,
        result.shift_code,
        unit.unit_id,
        result.status,
        result.is_working_day,
        result.check_in,
        result.check_out,
        result.late_minutes,
        result.early_minutes,
        result.late_code,
        result.early_code,
        result.worked_minutes,
        _flags_json(flags),
        result.absence_code,
        result.holiday_name,
        rule_version,
        values_hash,
        computed_at,
    )


class ChunkRows:
    """The rows of one chunk sorted against the stored ones: new, changed, and unchanged (counted).

    `stored` maps (employee id, date, shift code) to (pk, values_hash) of the stored rows. Each
    key met is removed, so the keys left at the end are stale rows (unless frozen).
    """

    def __init__(self, stored: dict[tuple, tuple[int, int | None]], computed_at: dt.datetime):
        self.stored = stored
        self.computed_at = computed_at
        self.new: list[tuple] = []
        self.changed: list[tuple] = []
        self.unchanged = 0

    def add(self, row: tuple) -> None:
        """Sort one complete row (storage.COLUMNS order)."""
        found = self.stored.pop((row[0], row[1], row[2]), None)
        if found is None:
            self.new.append(row)
        elif found[1] != row[HASH_COLUMN]:
            self.changed.append(row)
        else:
            self.unchanged += 1


def _add_fast_rows(
    row: EmployeeRow,
    schedule: ScheduledDays,
    plans: PlanSet,
    instants: list[int],
    context: ComputeContext,
    rows: ChunkRows,
    stats: ComputeStats,
) -> None:
    """Compute an employee's days by the fast path and sort their rows into `rows`.

    The hash is computed from integers first, and the row with its datetimes is built only when
    the stored row is missing or differs, so an unchanged month costs little more than the hashes.
    """
    current = current_placement(row)
    units = schedule.units
    stored_pop = rows.stored.pop
    by_status = stats.by_status
    frozen = context.frozen
    for (
        plan,
        status,
        is_working_day,
        check_in,
        check_out,
        late,
        early,
        late_code,
        early_code,
        worked,
        flags,
        holiday_name,
    ) in evaluate_office_days(plans, instants, now=context.now_micros, first=context.start, last=context.end):
        work_date = plan.work_date
        unit = units.get(work_date, current) if units else current
        if frozen and is_frozen(frozen, unit.unit_path, work_date):
            stats.frozen_skipped += 1
            continue
        by_status[status] = by_status.get(status, 0) + 1
        rule_version = plan.rule_version
        texts = text_hash(status, late_code, early_code, flags, "", holiday_name, rule_version)
        values_hash = row_hash(unit.unit_id, texts, is_working_day, check_in, check_out, late, early, worked)
        found = stored_pop((row.pk, work_date, ""), None)
        if found is not None and found[1] == values_hash:
            rows.unchanged += 1
            continue
        values = (
            row.pk,
            work_date,
            "",
            unit.unit_id,
            status,
            is_working_day,
            _datetime(check_in),
            _datetime(check_out),
            late,
            early,
            late_code,
            early_code,
            worked,
            _flags_json(flags),
            "",
            holiday_name,
            rule_version,
            values_hash,
            rows.computed_at,
        )
        (rows.new if found is None else rows.changed).append(values)


def add_employee_rows(
    row: EmployeeRow,
    inputs: ChunkInputs,
    context: ComputeContext,
    rows: ChunkRows,
    stats: ComputeStats,
    units_by_employee: dict[int, dict[dt.date, UnitPlacement] | None],
) -> None:
    """Compute one employee's days start..end and sort their rows into `rows`, frozen days left out.

    Records the unit of each date in `units_by_employee` (None: every date in the current unit).
    """
    schedule = employee_schedule(row, inputs, context)
    if schedule is None:
        return
    units_by_employee[row.pk] = schedule.units
    punches = inputs.punches.get(row.pk)
    instants = punches.instants if punches is not None else []
    stats.punches += len(instants)

    plans = None
    common = not inputs.absences.get(row.pk) and not inputs.outages.get(row.pk)
    if common and (punches is None or punches.suspects is None):
        plans = _fast_plans(schedule, context)
    if plans is not None:
        before = stats.frozen_skipped + rows.unchanged + len(rows.new) + len(rows.changed)
        _add_fast_rows(row, schedule, plans, instants, context, rows, stats)
        after = stats.frozen_skipped + rows.unchanged + len(rows.new) + len(rows.changed)
        stats.fast_results += after - before
        return

    current = current_placement(row)
    for result in engine_results(row, schedule, inputs, context):
        if not context.start <= result.work_date <= context.end:
            continue
        unit = schedule.units.get(result.work_date, current) if schedule.units else current
        if context.frozen and is_frozen(context.frozen, unit.unit_path, result.work_date):
            stats.frozen_skipped += 1
            continue
        stats.by_status[result.status] = stats.by_status.get(result.status, 0) + 1
        rows.add(engine_row(row.pk, unit, result, rows.computed_at))
