"""Loading engine inputs in bulk, running the engine and storing DailyResult rows.

Work is done per chunk of employees with one query per input kind (employees, legal statuses,
unit assignments, schedule assignments, rosters, punches, absences, outages, stored results),
never one query per employee-day. Employees with only office days, no absence, no outage and no
suspect punch go through the engine's fast path (sao.attendance.fastpath), the others through
`compute_days`. Only new and changed rows are written (sao.attendance.storage), rows of shifts
that no longer exist in the range are deleted, and days in a closed month are left untouched.

The schedule of a day follows the unit the employee was assigned to on that day (UnitAssignment),
so a transfer (mutasi) on the 15th gives the old unit's profile, time zone and result unit before
the 15th and the new unit's from the 15th.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from sao.attendance.engine import AbsenceInput, DayResult, OutageWindow
from sao.attendance.fastpath import to_micros
from sao.attendance.models import DirtyDay, MonthClose, MonthCloseStatus
from sao.attendance.rows import (
    ChunkInputs,
    ChunkRows,
    ComputeContext,
    ComputeStats,
    EmployeePunches,
    add_employee_rows,
    current_placement,
    employee_schedule,
    engine_results,
    engine_row,
    is_frozen,
    punch_inputs,
)
from sao.attendance.schedules import (
    EmployeeRow,
    UnitPlacement,
    build_schedules,
    dates_between,
)
from sao.attendance.storage import HASH_COLUMN, WRITE_BATCH_SIZE, load_stored, write_results
from sao.calendars.holidays import holidays_between
from sao.calendars.models import EmployeeSchedule, HolidayOverride, RosterEntry
from sao.calendars.policy import Policy
from sao.calendars.services import active_policy
from sao.org.models import Employee, LegalStatusPeriod, UnitAssignment

# Names other modules import from here.
__all__ = [
    "CHUNK_SIZE",
    "ComputeStats",
    "EmployeeRow",
    "build_schedules",
    "explain_day",
    "load_absences",
    "load_outages",
    "load_punches",
    "punch_inputs",
    "recompute",
    "recompute_dirty",
]

logger = logging.getLogger("sao.attendance.compute")

CHUNK_SIZE = 2000


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
) -> dict[int, EmployeePunches]:
    """Return the mapped punches with start <= instant < end, by employee id, in one query."""
    from sao.devices.models import Punch

    found: dict[int, EmployeePunches] = {}
    if connection.vendor == "postgresql":
        # PostgreSQL groups the punches into one array row per employee and converts instants to
        # microseconds exactly (extract returns numeric). Parsing int arrays is far cheaper than
        # building a tuple and an aware datetime per punch.
        table = connection.ops.quote_name(Punch._meta.db_table)
        sql = (
            "SELECT employee_id, array_agg((extract(epoch FROM instant) * 1000000)::bigint), "  # noqa: S608
            "array_agg(state), array_agg(id), array_agg(suspect), bool_or(suspect) "
            f"FROM {table} WHERE employee_id = ANY(%s) AND instant >= %s AND instant < %s "
            "GROUP BY employee_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(employee_ids), start, end])
            for employee_id, instants, states, ids, suspects, any_suspect in cursor.fetchall():
                found[employee_id] = EmployeePunches(instants, states, ids, suspects if any_suspect else None)
        return found

    rows = Punch.objects.filter(
        employee_id__in=employee_ids, instant__gte=start, instant__lt=end
    ).values_list("employee_id", "instant", "state", "suspect", "pk")
    for employee_id, instant, state, suspect, pk in rows.iterator(chunk_size=20000):
        punches = found.get(employee_id)
        if punches is None:
            punches = found[employee_id] = EmployeePunches([], [], [], [])
        punches.instants.append(to_micros(instant))
        punches.states.append(state)
        punches.ids.append(pk)
        punches.suspects.append(suspect)
    for punches in found.values():
        if not any(punches.suspects):
            punches.suspects = None
    return found


# ---------------------------------------------------------------------------------------------
# Loading the inputs of a chunk


def employees_filter(ids: list[int]) -> Q:
    """Return a filter on employee_id that selects at least the employees `ids`.

    A chunk of a whole province is mostly consecutive ids. A range is then one condition, where an
    IN list of 2,000 ids is 2,000 parameters to bind and parse. The range may also select rows of
    other employees (at most as many again), which the callers ignore because they look rows up by
    employee id.
    """
    if ids:
        first, last = min(ids), max(ids)
        if last - first < 2 * len(ids):
            return Q(employee_id__gte=first, employee_id__lte=last)
    return Q(employee_id__in=ids)


def load_inputs(ids: list[int], *, policy: Policy, dates: list[dt.date]) -> ChunkInputs:
    """Load the inputs of the employees `ids` for `dates`, one query per input kind."""
    of_employees = employees_filter(ids)
    periods: dict[int, list] = defaultdict(list)
    for employee_id, code, valid_from, valid_to in (
        LegalStatusPeriod.objects.filter(of_employees)
        .order_by("valid_from")
        .values_list("employee_id", "status", "valid_from", "valid_to")
    ):
        periods[employee_id].append((code, valid_from, valid_to))

    placements: dict[int, list[UnitPlacement]] = defaultdict(list)
    for employee_id, *values in (
        UnitAssignment.objects.filter(of_employees, valid_from__lte=dates[-1])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dates[0]))
        .order_by("valid_from")
        .values_list(
            "employee_id",
            "valid_from",
            "valid_to",
            "unit_id",
            "unit__code",
            "unit__path",
            "unit__time_zone",
            "unit__schedule_profile",
        )
    ):
        placements[employee_id].append(UnitPlacement(*values))

    assignments: dict[int, list] = defaultdict(list)
    for employee_id, code, valid_from, valid_to in (
        EmployeeSchedule.objects.filter(of_employees, valid_from__lte=dates[-1])
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
        of_employees, date__range=(dates[0], dates[-1])
    ).values_list("employee_id", "date", "shift_code", "works_on_holiday"):
        if shift_code in policy.shifts:
            rosters[employee_id][day].append((shift_code, works_on_holiday))
        else:
            logger.warning(
                "Roster of employee %s on %s names unknown shift %s; ignored", employee_id, day, shift_code
            )

    # Punches from 12 hours before the first date to 12 hours after the last, in the policy's
    # zone, so that night shifts and units in other zones find theirs.
    zone = ZoneInfo(policy.time_zone)
    punch_start = dt.datetime.combine(dates[0], dt.time(0), zone) - dt.timedelta(hours=12)
    punch_end = dt.datetime.combine(dates[-1], dt.time(0), zone) + dt.timedelta(days=1, hours=12)
    return ChunkInputs(
        periods=periods,
        assignments=assignments,
        rosters=rosters,
        placements=placements,
        punches=load_punches(employee_ids=ids, start=punch_start, end=punch_end),
        absences=load_absences(employee_ids=ids, start=dates[0], end=dates[-1]),
        outages=load_outages(employee_ids=ids, start=punch_start, end=punch_end),
    )


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


def employees_query(*, unit=None, employee_ids: Iterable[int] | None = None, start=None, end=None):
    """Return the EmployeeRow values of the selected employees, ordered by id.

    With `unit`, an employee is selected when their current unit or a unit they were assigned to
    between `start` and `end` lies in the unit's subtree.
    """
    queryset = Employee.objects.all()
    if unit is not None:
        in_unit = Q(unit__path__startswith=unit.path)
        if start is not None and end is not None:
            moved = UnitAssignment.objects.filter(
                unit__path__startswith=unit.path, valid_from__lte=end
            ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
            in_unit |= Q(pk__in=moved.values("employee_id"))
        queryset = queryset.filter(in_unit)
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


def _context(*, start: dt.date, end: dt.date, now: dt.datetime, policy: Policy) -> ComputeContext:
    # One day either side: a night shift of the day before can own early punches, and a shift of
    # the day after can compete for late ones.
    dates = dates_between(start - dt.timedelta(days=1), end + dt.timedelta(days=1))
    overrides = list(HolidayOverride.objects.filter(date__range=(dates[0], dates[-1])))
    holidays = list(holidays_between(policy, dates[0], dates[-1], overrides=overrides).values())
    return ComputeContext(
        policy=policy,
        dates=dates,
        start=start,
        end=end,
        holidays=holidays,
        frozen=_frozen_months(start, end),
        now=now,
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
    context = _context(start=start, end=end, now=now, policy=policy)

    rows = [
        EmployeeRow(*values)
        for values in employees_query(unit=unit, employee_ids=employee_ids, start=start, end=end)
    ]
    chunks = [rows[offset : offset + CHUNK_SIZE] for offset in range(0, len(rows), CHUNK_SIZE)]
    parallel = (
        workers > 1
        and len(chunks) > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    if parallel:
        _run_parallel(chunks, context=context, workers=workers, stats=stats)
    elif len(chunks) > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        writer = BackgroundWriter()
        try:
            for chunk in chunks:
                _recompute_chunk(chunk, context=context, stats=stats, writer=writer)
        finally:
            stats.write_seconds += writer.close()
    else:
        for chunk in chunks:
            _recompute_chunk(chunk, context=context, stats=stats)

    stats.employees = len(rows)
    stats.seconds = time.monotonic() - began
    logger.info(
        "Computed %s results for %s employees from %s to %s in %.2f s "
        "(%s written, %s unchanged, %s stale deleted, %s frozen skipped)",
        stats.results,
        stats.employees,
        start,
        end,
        stats.seconds,
        stats.written,
        stats.unchanged,
        stats.deleted,
        stats.frozen_skipped,
    )
    return stats


# The chunks and their shared inputs, inherited by forked worker processes.
_PARALLEL_WORK: dict = {}


def _parallel_chunk(index: int) -> ComputeStats:
    stats = ComputeStats()
    try:
        _recompute_chunk(_PARALLEL_WORK["chunks"][index], context=_PARALLEL_WORK["context"], stats=stats)
    finally:
        connections.close_all()
    return stats


def _run_parallel(chunks: list, *, context: ComputeContext, workers: int, stats: ComputeStats) -> None:
    """Run the chunks in forked processes; the parent's connections are closed before forking."""
    import multiprocessing

    _PARALLEL_WORK.update(chunks=chunks, context=context)
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_parallel_chunk, range(len(chunks))):
                stats.add(part)
    finally:
        _PARALLEL_WORK.clear()


class BackgroundWriter:
    """Writes chunks on its own thread and database connection, one chunk at a time.

    PostgreSQL then stores one chunk (COPY and index work in the server process)
    while this process computes the next, which uses both cores of a small server. A failed write
    raises in the computing thread at the next `write` or at `close`.
    """

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sao-result-writer")
        self.pending = None

    def write(self, **arguments) -> float:
        """Wait for the previous chunk, then start writing this one; return the seconds waited."""
        waited = self.wait()
        self.pending = self.executor.submit(write_results, **arguments)
        return waited

    def wait(self) -> float:
        began = time.monotonic()
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()
        return time.monotonic() - began

    def close(self) -> float:
        """Wait for the last chunk and close the thread's connection; return the seconds waited."""
        try:
            return self.wait()
        finally:
            self.executor.submit(connections.close_all).result()
            self.executor.shutdown()


def _recompute_chunk(
    rows: list[EmployeeRow],
    *,
    context: ComputeContext,
    stats: ComputeStats,
    writer: BackgroundWriter | None = None,
) -> None:
    ids = [row.pk for row in rows]

    # 1. Load every input of the chunk and its stored rows, one query each.
    phase_began = time.monotonic()
    inputs = load_inputs(ids, policy=context.policy, dates=context.dates)
    stored = load_stored(employee_ids=ids, start=context.start, end=context.end)

    # 2. Compute every employee's days and sort their rows into new, changed and unchanged.
    stats.load_seconds += time.monotonic() - phase_began
    phase_began = time.monotonic()
    chunk_rows = ChunkRows(stored, timezone.now())
    units_by_employee: dict[int, dict[dt.date, UnitPlacement] | None] = {}
    for row in rows:
        add_employee_rows(row, inputs, context, chunk_rows, stats, units_by_employee)

    # 3. Write new and changed rows; delete stored rows left without a new row, unless frozen.
    stats.engine_seconds += time.monotonic() - phase_began
    phase_began = time.monotonic()
    paths = {row.pk: row.unit_path for row in rows}
    stale = []
    for (employee_id, day, _shift), (pk, _hash) in chunk_rows.stored.items():
        if context.frozen:
            units = units_by_employee.get(employee_id)
            path = units[day].unit_path if units and day in units else paths[employee_id]
            if is_frozen(context.frozen, path, day):
                continue
        stale.append(pk)
    if writer is None:
        write_results(new_rows=chunk_rows.new, changed_rows=chunk_rows.changed, stale_pks=stale)
    else:
        writer.write(new_rows=chunk_rows.new, changed_rows=chunk_rows.changed, stale_pks=stale)

    # With a background writer this is the time spent waiting for the previous chunk's write.
    stats.write_seconds += time.monotonic() - phase_began
    written = len(chunk_rows.new) + len(chunk_rows.changed)
    stats.results += written + chunk_rows.unchanged
    stats.written += written
    stats.unchanged += chunk_rows.unchanged
    stats.deleted += len(stale)


# ---------------------------------------------------------------------------------------------
# The explanation of one stored day


@dataclass(frozen=True)
class DayExplanation:
    """A day computed again by the engine, with the hash its stored row would have."""

    result: DayResult
    values_hash: int


def explain_day(
    *, employee_id: int, day: dt.date, shift_code: str = "", now: dt.datetime | None = None
) -> DayExplanation | None:
    """Run the full engine again for one employee-day and return its result with every step.

    The engine is pure, so with unchanged inputs this gives exactly the stored values. A
    `values_hash` that differs from the stored one means that the inputs (or the time, for a day
    that was not final) changed since the row was stored. Returns None when the employee or the day
    has no result under the current inputs.
    """
    rows = [EmployeeRow(*values) for values in employees_query(employee_ids=[employee_id])]
    if not rows:
        return None
    row = rows[0]
    context = _context(start=day, end=day, now=now or timezone.now(), policy=active_policy())
    inputs = load_inputs([row.pk], policy=context.policy, dates=context.dates)
    schedule = employee_schedule(row, inputs, context)
    if schedule is None:
        return None

    current = current_placement(row)
    for result in engine_results(row, schedule, inputs, context):
        if result.work_date == day and result.shift_code == shift_code:
            unit = schedule.units.get(day, current) if schedule.units else current
            stored = engine_row(row.pk, unit, result, context.now)
            return DayExplanation(result=result, values_hash=stored[HASH_COLUMN])
    return None


# ---------------------------------------------------------------------------------------------
# The recompute queue


def recompute_dirty(*, limit: int = 200_000, now: dt.datetime | None = None) -> ComputeStats:
    """Recompute the days waiting in the DirtyDay queue (at most `limit`) and remove them from it.

    The rows are claimed (deleted) before computing, so a punch that marks the same day again
    during the computation queues a fresh row. If the computation fails, the rows are queued again.
    """
    # Days that have not begun anywhere in Indonesia (WIT, UTC+9, is the earliest zone) stay
    # queued. A roster published ahead marks them, and a result stored before the day would count
    # in the rates as a scheduled day without any presence.
    latest = ((now or timezone.now()) + dt.timedelta(hours=9)).astimezone(dt.UTC).date()
    with transaction.atomic():
        claimed = list(
            DirtyDay.objects.filter(date__lte=latest)
            .order_by("date")
            .values_list("pk", "employee_id", "date")[:limit]
        )
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
            total.add(stats)
    except Exception:
        from sao.attendance.dirty import mark_days_dirty

        logger.exception("Recompute of %s queued days failed; they are queued again", len(claimed))
        mark_days_dirty(days=((employee_id, day) for _pk, employee_id, day in claimed))
        raise
    return total
