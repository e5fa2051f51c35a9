"""Loading engine inputs in bulk, running the engine and storing DailyResult rows.

Work is done per chunk of employees with one query per input kind (employees, legal statuses,
schedule assignments, rosters, punches, absences, outages, closed months), never one query per
employee-day. Results are written with a bulk upsert on (employee, date, shift_code); rows of
shifts that no longer exist in the range are deleted. Days in a closed month are left untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, connections, transaction
from django.utils import timezone

from sao.attendance.engine import (
    AbsenceInput,
    DayResult,
    DaySchedule,
    OutageWindow,
    PunchInput,
    compute_days,
)
from sao.attendance.models import DailyResult, DirtyDay, MonthClose, MonthCloseStatus
from sao.calendars.holidays import holidays_between
from sao.calendars.models import EmployeeSchedule, HolidayOverride, RosterEntry
from sao.calendars.policy import Policy
from sao.calendars.services import active_policy
from sao.org.models import WORKING_LEGAL_STATUSES, Employee, LegalStatusPeriod

logger = logging.getLogger("sao.attendance.compute")

CHUNK_SIZE = 2000
WRITE_BATCH_SIZE = 5000


@dataclass
class ComputeStats:
    employees: int = 0
    results: int = 0
    deleted: int = 0
    frozen_skipped: int = 0
    punches: int = 0
    seconds: float = 0.0
    # Wall time per phase, summed over chunks: loading inputs, running the engine, writing.
    load_seconds: float = 0.0
    engine_seconds: float = 0.0
    write_seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class EmployeeRow:
    pk: int
    kind: str
    legal_status: str
    unit_id: int
    unit_code: str
    unit_path: str
    time_zone: str
    schedule_profile: str


# ---------------------------------------------------------------------------------------------
# Loaders for inputs owned by other apps


def load_absences(*, employee_ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[AbsenceInput]]:
    """Return the approved absences overlapping start..end, by employee id (sao.absences)."""
    from sao.absences.selectors import approved_absences_for

    return approved_absences_for(employee_ids=employee_ids, start=start, end=end)


def load_outages(
    *, employee_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[OutageWindow]]:
    """Return the device-outage windows of each employee's devices between start and end (sao.faults)."""
    from sao.faults.selectors import outage_windows_for

    return outage_windows_for(employee_ids=employee_ids, start=start, end=end)


def load_punches(
    *, employee_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[PunchInput]]:
    """Return the mapped punches with start <= instant < end, by employee id, in one query."""
    from sao.devices.models import Punch

    found: dict[int, list[PunchInput]] = defaultdict(list)
    rows = Punch.objects.filter(
        employee_id__in=employee_ids, instant__gte=start, instant__lt=end
    ).values_list("employee_id", "instant", "state", "suspect", "pk")
    for employee_id, instant, state, suspect, pk in rows.iterator(chunk_size=20000):
        found[employee_id].append(PunchInput(instant=instant, state=state, suspect=suspect, punch_id=pk))
    return found


# ---------------------------------------------------------------------------------------------
# Schedules


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _active_dates(
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


def build_schedules(
    *,
    policy: Policy,
    row: EmployeeRow,
    dates: list[dt.date],
    assignments: list[tuple[str, dt.date, dt.date | None]],
    roster: dict[dt.date, list[tuple[str, bool]]],
    active: set[dt.date],
    cache: dict | None = None,
) -> list[DaySchedule]:
    """Build the scheduled days (and shifts) of one employee for `dates`.

    `cache` shares the schedule objects between employees with the same profile, date and zone.
    """
    cache = {} if cache is None else cache
    days: list[DaySchedule] = []
    default_profile = policy.profile_for(schedule_profile=row.schedule_profile, unit_code=row.unit_code)
    time_zone = row.time_zone or policy.time_zone
    for day in dates:
        if day not in active:
            continue
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


# ---------------------------------------------------------------------------------------------
# Recompute


def _frozen_months(start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """Return (agency path, first day of month) of every closed month overlapping start..end."""
    return list(
        MonthClose.objects.filter(
            status__in=[MonthCloseStatus.CLOSED, MonthCloseStatus.SIGNED],
            month__gte=start.replace(day=1),
            month__lte=end,
        ).values_list("unit__path", "month")
    )


def _is_frozen(frozen: list[tuple[str, dt.date]], unit_path: str, day: dt.date) -> bool:
    month = day.replace(day=1)
    return any(month == closed_month and unit_path.startswith(path) for path, closed_month in frozen)


def _explanation(result: DayResult) -> list:
    punches = [[punch.instant.isoformat(), punch.state, punch.suspect] for punch in result.punches]
    return [{"code": "punches", "params": {"punches": punches}}] + [
        {"code": step.code, "params": step.params} for step in result.explanation
    ]


# Columns written by the upsert, in this order. The conflict key is (employee_id, date, shift_code).
COLUMNS = (
    "employee_id",
    "date",
    "shift_code",
    "unit_id",
    "status",
    "is_working_day",
    "check_in",
    "check_out",
    "late_minutes",
    "early_minutes",
    "late_code",
    "early_code",
    "worked_minutes",
    "flags",
    "absence_code",
    "holiday_name",
    "rule_version",
    "explanation",
    "computed_at",
)
JSON_COLUMNS = frozenset({"flags", "explanation"})


def _to_row(employee: EmployeeRow, result: DayResult, computed_at, operations) -> tuple:
    """Return the column values of one result, adapted by the connection's `operations`."""
    adapt = operations.adapt_datetimefield_value
    return (
        employee.pk,
        operations.adapt_datefield_value(result.work_date),
        result.shift_code,
        employee.unit_id,
        result.status,
        result.is_working_day,
        adapt(result.check_in),
        adapt(result.check_out),
        result.late_minutes,
        result.early_minutes,
        result.late_code,
        result.early_code,
        result.worked_minutes,
        json.dumps(list(result.flags)),
        result.absence_code,
        result.holiday_name,
        result.rule_version[:120],
        json.dumps(_explanation(result)),
        computed_at,
    )


def _upsert_sql() -> str:
    """Return the INSERT ... ON CONFLICT statement for one row, valid on SQLite and PostgreSQL."""
    table = connection.ops.quote_name(DailyResult._meta.db_table)
    quoted = [connection.ops.quote_name(column) for column in COLUMNS]
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(f"%s{cast}" if column in JSON_COLUMNS else "%s" for column in COLUMNS)
    value_columns = [
        (column, name)
        for column, name in zip(COLUMNS, quoted, strict=True)
        if column not in ("employee_id", "date", "shift_code")
    ]
    updates = ", ".join(f"{name} = excluded.{name}" for _column, name in value_columns)
    # A row whose values are unchanged is not rewritten, so computed_at keeps the time of the last
    # change and a recompute of an unchanged month writes almost nothing.
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    compared = [name for column, name in value_columns if column != "computed_at"]
    changed = " OR ".join(f"{table}.{name} {distinct} excluded.{name}" for name in compared)
    # Every name comes from the model and COLUMNS, and values travel as parameters.
    return (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({placeholders}) "  # noqa: S608
        f'ON CONFLICT ("employee_id", "date", "shift_code") DO UPDATE SET {updates} WHERE {changed}'
    )


def employees_query(*, unit=None, employee_ids: Iterable[int] | None = None):
    # NOTE: the schedule follows the employee's current unit. A transfer (mutasi) inside the
    # range is not read from UnitAssignment yet, so days before it use the new unit's schedule.
    queryset = Employee.objects.all()
    if unit is not None:
        queryset = queryset.filter(unit__path__startswith=unit.path)
    if employee_ids is not None:
        queryset = queryset.filter(pk__in=list(employee_ids))
    return queryset.order_by("pk").values_list(
        "pk",
        "kind",
        "legal_status",
        "unit_id",
        "unit__code",
        "unit__path",
        "unit__time_zone",
        "unit__schedule_profile",
    )


def recompute(
    *,
    start: dt.date,
    end: dt.date,
    unit=None,
    employee_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    policy: Policy | None = None,
    workers: int = 1,
) -> ComputeStats:
    """Recompute and store the results of start..end for the selected employees (all by default).

    With `workers` above 1 on PostgreSQL, chunks run in that many forked processes, each with its
    own connection. SQLite allows one writer at a time, so there the chunks always run in turn.
    """
    began = time.monotonic()
    now = now or timezone.now()
    policy = policy or active_policy()
    stats = ComputeStats()
    # One day either side: a night shift of the day before can own early punches, and a shift of
    # the day after can compete for late ones.
    dates = _dates(start - dt.timedelta(days=1), end + dt.timedelta(days=1))
    overrides = list(HolidayOverride.objects.filter(date__range=(dates[0], dates[-1])))
    holidays = list(holidays_between(policy, dates[0], dates[-1], overrides=overrides).values())
    frozen = _frozen_months(start, end)

    rows = [EmployeeRow(*values) for values in employees_query(unit=unit, employee_ids=employee_ids)]
    chunks = [rows[offset : offset + CHUNK_SIZE] for offset in range(0, len(rows), CHUNK_SIZE)]
    context = {
        "policy": policy,
        "dates": dates,
        "start": start,
        "end": end,
        "holidays": holidays,
        "frozen": frozen,
        "now": now,
    }
    parallel = (
        workers > 1
        and len(chunks) > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    if parallel:
        _run_parallel(chunks, context=context, workers=workers, stats=stats)
    else:
        for chunk in chunks:
            _recompute_chunk(chunk, stats=stats, **context)

    stats.employees = len(rows)
    stats.seconds = time.monotonic() - began
    logger.info(
        "Computed %s results for %s employees from %s to %s in %.2f s (%s frozen skipped)",
        stats.results,
        stats.employees,
        start,
        end,
        stats.seconds,
        stats.frozen_skipped,
    )
    return stats


# The chunks and their shared inputs, inherited by forked worker processes.
_PARALLEL_WORK: dict = {}


def _parallel_chunk(index: int) -> ComputeStats:
    stats = ComputeStats()
    try:
        _recompute_chunk(_PARALLEL_WORK["chunks"][index], stats=stats, **_PARALLEL_WORK["context"])
    finally:
        connections.close_all()
    return stats


def _run_parallel(chunks: list, *, context: dict, workers: int, stats: ComputeStats) -> None:
    """Run the chunks in forked processes; the parent's connections are closed before forking."""
    import multiprocessing

    _PARALLEL_WORK.update(chunks=chunks, context=context)
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_parallel_chunk, range(len(chunks))):
                stats.results += part.results
                stats.deleted += part.deleted
                stats.frozen_skipped += part.frozen_skipped
                stats.punches += part.punches
                stats.load_seconds += part.load_seconds
                stats.engine_seconds += part.engine_seconds
                stats.write_seconds += part.write_seconds
                for code, count in part.by_status.items():
                    stats.by_status[code] = stats.by_status.get(code, 0) + count
    finally:
        _PARALLEL_WORK.clear()


def _recompute_chunk(
    rows: list[EmployeeRow],
    *,
    policy: Policy,
    dates: list[dt.date],
    start: dt.date,
    end: dt.date,
    holidays: list,
    frozen: list,
    now: dt.datetime,
    stats: ComputeStats,
) -> None:
    ids = [row.pk for row in rows]

    # 1. Load every input of the chunk, one query each.
    phase_began = time.monotonic()
    periods: dict[int, list] = defaultdict(list)
    for employee_id, code, valid_from, valid_to in (
        LegalStatusPeriod.objects.filter(employee_id__in=ids)
        .order_by("valid_from")
        .values_list("employee_id", "status", "valid_from", "valid_to")
    ):
        periods[employee_id].append((code, valid_from, valid_to))
    assignments: dict[int, list] = defaultdict(list)
    for employee_id, code, valid_from, valid_to in (
        EmployeeSchedule.objects.filter(employee_id__in=ids, valid_from__lte=dates[-1])
        .order_by("valid_from")
        .values_list("employee_id", "profile_code", "valid_from", "valid_to")
    ):
        if code in policy.profiles:
            assignments[employee_id].append((code, valid_from, valid_to))
        else:
            logger.warning(
                "Employee %s is assigned to unknown profile %s; using the unit's profile", employee_id, code
            )
    rosters: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    for employee_id, day, shift_code, works_on_holiday in RosterEntry.objects.filter(
        employee_id__in=ids, date__range=(dates[0], dates[-1])
    ).values_list("employee_id", "date", "shift_code", "works_on_holiday"):
        if shift_code in policy.shifts:
            rosters[employee_id][day].append((shift_code, works_on_holiday))
        else:
            logger.warning(
                "Roster of employee %s on %s names unknown shift %s; ignored", employee_id, day, shift_code
            )
    zone = ZoneInfo(policy.time_zone)
    punch_start = dt.datetime.combine(dates[0], dt.time(0), zone) - dt.timedelta(hours=12)
    punch_end = dt.datetime.combine(dates[-1], dt.time(0), zone) + dt.timedelta(days=1, hours=12)
    punches = load_punches(employee_ids=ids, start=punch_start, end=punch_end)
    absences = load_absences(employee_ids=ids, start=dates[0], end=dates[-1])
    outages = load_outages(employee_ids=ids, start=punch_start, end=punch_end)

    # 2. Run the engine per employee and keep the days inside start..end that are not frozen.
    stats.load_seconds += time.monotonic() - phase_began
    phase_began = time.monotonic()
    operations = connection.ops
    computed_at = operations.adapt_datetimefield_value(timezone.now())
    schedule_cache: dict = {}
    new_rows: list[tuple] = []
    for row in rows:
        active = _active_dates(row, periods.get(row.pk, []), dates)
        try:
            days = build_schedules(
                policy=policy,
                row=row,
                dates=dates,
                assignments=assignments.get(row.pk, []),
                roster=rosters.get(row.pk, {}),
                active=active,
                cache=schedule_cache,
            )
        except KeyError:
            logger.warning(
                "Unit %s has schedule profile %r with no policy profile; employee %s skipped",
                row.unit_code,
                row.schedule_profile,
                row.pk,
            )
            continue
        employee_punches = punches.get(row.pk, [])
        stats.punches += len(employee_punches)
        results = compute_days(
            days,
            punches=employee_punches,
            absences=absences.get(row.pk, []),
            holidays=holidays,
            outages=outages.get(row.pk, []),
            now=now,
        )
        for result in results:
            if not start <= result.work_date <= end:
                continue
            if frozen and _is_frozen(frozen, row.unit_path, result.work_date):
                stats.frozen_skipped += 1
                continue
            new_rows.append(_to_row(row, result, computed_at, operations))
            stats.by_status[result.status] = stats.by_status.get(result.status, 0) + 1

    # 3. Upsert the new rows and delete rows of shifts or days that no longer have a result.
    stats.engine_seconds += time.monotonic() - phase_began
    phase_began = time.monotonic()
    # A raw executemany: Django's bulk_create spent most of the time compiling SQL per row. A
    # multi-row INSERT measured no faster on PostgreSQL and cost more CPU in this process.
    keep = {(item[0], item[1], item[2]) for item in new_rows}
    unit_path = {row.pk: row.unit_path for row in rows}
    adapt_date = connection.ops.adapt_datefield_value
    with transaction.atomic():
        existing = DailyResult.objects.filter(employee_id__in=ids, date__range=(start, end)).values_list(
            "pk", "employee_id", "date", "shift_code"
        )
        stale = [
            pk
            for pk, employee_id, day, shift_code in existing
            if (employee_id, adapt_date(day), shift_code) not in keep
            and not (frozen and _is_frozen(frozen, unit_path[employee_id], day))
        ]
        for offset in range(0, len(stale), WRITE_BATCH_SIZE):
            DailyResult.objects.filter(pk__in=stale[offset : offset + WRITE_BATCH_SIZE]).delete()
        with connection.cursor() as cursor:
            sql = _upsert_sql()
            for offset in range(0, len(new_rows), WRITE_BATCH_SIZE):
                cursor.executemany(sql, new_rows[offset : offset + WRITE_BATCH_SIZE])
    stats.write_seconds += time.monotonic() - phase_began
    stats.results += len(new_rows)
    stats.deleted += len(stale)


# ---------------------------------------------------------------------------------------------
# The recompute queue


def recompute_dirty(*, limit: int = 200_000, now: dt.datetime | None = None) -> ComputeStats:
    """Recompute the days waiting in the DirtyDay queue (at most `limit`) and remove them from it.

    The rows are claimed (deleted) before computing, so a punch that marks the same day again
    during the computation queues a fresh row. If the computation fails, the rows are queued again.
    """
    with transaction.atomic():
        claimed = list(DirtyDay.objects.order_by("date").values_list("pk", "employee_id", "date")[:limit])
        for offset in range(0, len(claimed), WRITE_BATCH_SIZE):
            DirtyDay.objects.filter(
                pk__in=[pk for pk, _e, _d in claimed[offset : offset + WRITE_BATCH_SIZE]]
            ).delete()
    if not claimed:
        return ComputeStats()

    # Group employees by the span of their dirty dates, so one late punch costs one day.
    spans: dict[int, list[dt.date]] = {}
    for _pk, employee_id, day in claimed:
        span = spans.setdefault(employee_id, [day, day])
        span[0], span[1] = min(span[0], day), max(span[1], day)
    groups: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    for employee_id, (first, last) in spans.items():
        groups[(first, last)].append(employee_id)

    total = ComputeStats()
    try:
        for (first, last), employee_ids in sorted(groups.items()):
            stats = recompute(start=first, end=last, employee_ids=employee_ids, now=now)
            total.results += stats.results
            total.employees += stats.employees
            total.deleted += stats.deleted
            total.frozen_skipped += stats.frozen_skipped
            total.seconds += stats.seconds
    except Exception:
        from sao.attendance.dirty import mark_days_dirty

        logger.exception("Recompute of %s queued days failed; they are queued again", len(claimed))
        mark_days_dirty(days=((employee_id, day) for _pk, employee_id, day in claimed))
        raise
    return total
