"""Scoped reads for the reports: one grouped query per report, never one query per employee."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from sao.attendance.models import DailyResult
from sao.core import labels
from sao.org.models import Employee, Unit, UnitKind
from sao.org.scope import get_scoped_or_404, register_scope, scope_queryset
from sao.reports.exports import Coded
from sao.reports.models import UnitDayCount
from sao.reports.rates import (
    DUTY_STATUSES,
    PRESENT_STATUSES,
    UNEXCUSED_STATUS,
    Counts,
    UnitRef,
    rank,
)

register_scope(UnitDayCount, unit="unit")

PERIODS = ("day", "month", "year")


# A day still open (BELUM_FINAL) counts as present once its check-in is recorded.
PRESENT_Q = Q(status__in=PRESENT_STATUSES) | Q(status="BELUM_FINAL", check_in__isnull=False)
COMPLIANT_Q = PRESENT_Q & Q(late_code="", early_code="")


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def scoped_unit(*, user, code: str) -> Unit:
    """Return the unit with this code inside the user's scope, or raise Http404."""
    return get_scoped_or_404(user=user, queryset=Unit.objects.all(), code=code)


def _period_expression(period: str):
    if period == "day":
        return F("date")
    if period == "month":
        return TruncMonth("date")
    if period == "year":
        return TruncYear("date")
    raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _live_grouped(results: QuerySet, period_expression, period_name: str = "period", by_unit: bool = True):
    return (
        results.annotate(**{period_name: period_expression})
        .values(period_name, *(["unit_id"] if by_unit else []))
        .annotate(
            scheduled=Count("id"),
            present=Count("id", filter=PRESENT_Q),
            on_duty=Count("id", filter=Q(status__in=DUTY_STATUSES)),
            unexcused=Count("id", filter=Q(status=UNEXCUSED_STATUS)),
            compliant=Count("id", filter=COMPLIANT_Q),
        )
        .order_by()
    )


def _counts(row: dict) -> Counts:
    return Counts(
        scheduled=row["scheduled"],
        present=row["present"],
        on_duty=row["on_duty"],
        unexcused=row["unexcused"],
        compliant=row["compliant"],
    )


def live_counts_by_unit_day(*, start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], Counts]:
    """Count person-days per unit and date from the daily results, unscoped, in one query."""
    results = DailyResult.objects.filter(date__range=(start, end), is_working_day=True)
    return {(row["unit_id"], row["day"]): _counts(row) for row in _live_grouped(results, F("date"), "day")}


def rate_counts(
    *,
    user,
    start: dt.date,
    end: dt.date,
    period: str,
    under: Unit | None = None,
    live: bool = False,
    today: dt.date | None = None,
    by_unit: bool = True,
) -> dict[dt.date, dict[int | None, Counts]]:
    """Count scheduled, present, on-duty, TK and compliant person-days per unit and period.

    Days before `today` (the local date by default) come from the UnitDayCount summary, so they
    are as fresh as its last refresh. `today` and later days come from the daily results.
    With `live` every day is read from the daily results. One GROUP BY query per source, in the
    user's scope and under `under` when given. Returns {period start: {unit id: Counts}}; without
    `by_unit` the database sums the units and the only key of each period is None.
    """
    today = today or timezone.localdate()
    split = end + dt.timedelta(days=1) if live else max(start, min(today, end + dt.timedelta(days=1)))
    found: dict[dt.date, dict[int, Counts]] = defaultdict(dict)

    def add(key, unit_id, counts):
        key = _as_date(key)
        found[key][unit_id] = found[key].get(unit_id, Counts()) + counts

    if start < split and not live:
        summary = UnitDayCount.objects.filter(date__range=(start, split - dt.timedelta(days=1)))
        if under is not None:
            summary = summary.filter(unit__path__startswith=under.path)
        summary = scope_queryset(user=user, queryset=summary)
        rows = (
            summary.annotate(period=_period_expression(period))
            .values("period", *(["unit_id"] if by_unit else []))
            .annotate(
                scheduled=Sum("scheduled"),
                present=Sum("present"),
                on_duty=Sum("on_duty"),
                unexcused=Sum("unexcused"),
                compliant=Sum("compliant"),
            )
            .order_by()
        )
        for row in rows:
            add(row["period"], row.get("unit_id"), _counts(row))

    live_start = start if live else split
    if live_start <= end:
        results = DailyResult.objects.filter(date__range=(live_start, end), is_working_day=True)
        if under is not None:
            results = results.filter(unit__path__startswith=under.path)
        results = scope_queryset(user=user, queryset=results)
        for row in _live_grouped(results, _period_expression(period), by_unit=by_unit):
            add(row["period"], row.get("unit_id"), _counts(row))
    return dict(found)


def unit_refs(*, user, under: Unit | None = None) -> dict[int, UnitRef]:
    units = Unit.objects.all()
    if under is not None:
        units = units.filter(path__startswith=under.path)
    units = scope_queryset(user=user, queryset=units)
    return {
        pk: UnitRef(pk=pk, code=code, name=name, kind=kind, path=path, depth=depth)
        for pk, code, name, kind, path, depth in units.values_list(
            "pk", "code", "name", "kind", "path", "depth"
        )
    }


@dataclass
class RatesReport:
    """Counts grouped for the rates report: the province (or scope) total, OPDs and UPTs."""

    start: dt.date
    end: dt.date
    period: str
    rate: str
    units: dict[int, UnitRef]
    by_period: dict[dt.date, dict[int, Counts]]
    total_by_period: dict[dt.date, Counts] = field(default_factory=dict)

    def groups(self, kinds: tuple[str, ...]) -> list[UnitRef]:
        return sorted(
            (unit for unit in self.units.values() if unit.kind in kinds), key=lambda unit: unit.path
        )

    def counts_for(self, group: UnitRef, period_start: dt.date | None = None) -> Counts:
        periods = [period_start] if period_start is not None else list(self.by_period)
        result = Counts()
        for key in periods:
            for unit_id, counts in self.by_period.get(key, {}).items():
                unit = self.units.get(unit_id)
                if unit is not None and unit.path.startswith(group.path):
                    result = result + counts
        return result

    def overall(self) -> Counts:
        result = Counts()
        for counts_by_unit in self.by_period.values():
            for counts in counts_by_unit.values():
                result = result + counts
        return result

    def ranking(self, kinds: tuple[str, ...], *, target=None):
        return rank(
            [(unit, self.counts_for(unit)) for unit in self.groups(kinds)], rate=self.rate, target=target
        )


# The OPD level: agencies directly under the province, and regional hospitals.
AGENCY_KINDS = (UnitKind.OPD, UnitKind.RSUD)
UPT_KINDS = (UnitKind.UPT,)


def rates_report(
    *,
    user,
    start: dt.date,
    end: dt.date,
    period: str = "month",
    rate: str = "physical",
    under: Unit | None = None,
) -> RatesReport:
    """Load the rates of every unit in scope for start..end in two queries (units, counts)."""
    units = unit_refs(user=user, under=under)
    by_period = rate_counts(user=user, start=start, end=end, period=period, under=under)
    return RatesReport(start=start, end=end, period=period, rate=rate, units=units, by_period=by_period)


# ---------------------------------------------------------------------------------------------
# Row-level reports


def _pin_subquery():
    from sao.devices.models import PinMapping

    return Subquery(
        PinMapping.objects.filter(employee=OuterRef("employee_id")).order_by("-valid_from").values("pin")[:1]
    )


def daily_results(*, user, unit: Unit, start: dt.date, end: dt.date | None = None) -> QuerySet[DailyResult]:
    """Return the results of a unit and its sub-units for start..end, with employee, unit and PIN.

    One query; iterate with .iterator() for exports.
    """
    results = (
        DailyResult.objects.filter(unit__path__startswith=unit.path, date__range=(start, end or start))
        .select_related("employee", "unit")
        .annotate(pin=_pin_subquery())
    )
    return scope_queryset(user=user, queryset=results).order_by(
        "date", "unit__path", "employee__name", "shift_code"
    )


def events(*, user, unit: Unit, start: dt.date, end: dt.date, kind: str) -> QuerySet[DailyResult]:
    """Return the TL/PSW days, the TK days or the absence days of a unit in start..end."""
    if kind == "tlpsw":
        condition = ~Q(late_code="") | ~Q(early_code="")
    elif kind == "tk":
        condition = Q(status=UNEXCUSED_STATUS)
    elif kind == "absence":
        condition = ~Q(absence_code="")
    else:
        raise ValueError(f"Unknown event kind {kind!r}; use tlpsw, tk or absence.")
    return daily_results(user=user, unit=unit, start=start, end=end).filter(condition)


class RecapDay(NamedTuple):
    """The fields of one daily result that the recap reads."""

    employee_id: int
    date: dt.date
    status: str
    is_working_day: bool
    has_check_in: bool
    late_code: str
    early_code: str
    absence_code: str


RECAP_DAY_FIELDS = (
    "employee_id",
    "date",
    "status",
    "is_working_day",
    "has_check_in",
    "late_code",
    "early_code",
    "absence_code",
)


class RecapCells:
    """The recap cell of each combination of statuses met, shared by the rows of one recap."""

    def __init__(self):
        self._cells: dict[tuple[str, ...], Coded] = {}
        self._html: dict[tuple[str, ...], str] = {}

    def cell(self, codes: tuple[str, ...]) -> Coded:
        """Return the cell of a day: the codes of its shifts joined by "/", or "-" without a result.

        The CSV gets the status codes, the screen, XLSX and PDF their short forms (H, TK, DL), and
        the screen shows the full labels as the tooltip.
        """
        found = self._cells.get(codes)
        if found is None:
            if not codes:
                found = Coded(code="-", label="-")
            else:
                found = Coded(
                    code="/".join(codes),
                    label="/".join(labels.status_short_label(code) for code in codes),
                    description=" / ".join(labels.status_label(code) for code in codes),
                )
            self._cells[codes] = found
        return found

    def html(self, codes: tuple[str, ...]) -> str:
        """Return the <td> of a day for the recap screen, escaped once per combination of codes."""
        found = self._html.get(codes)
        if found is None:
            cell = self.cell(codes)
            title = f' title="{escape(cell.description)}"' if cell.description else ""
            found = (
                f'<td class="text-center" data-testid="recap-day" data-code="{escape(cell.code)}"{title}>'
                f"{escape(cell.label)}</td>"
            )
            self._html[codes] = found
        return found


@dataclass
class RecapRow:
    employee: Employee
    days: list[list[RecapDay]]  # one list per day of the month (several shifts possible)
    totals: dict[str, int]
    cell_labels: RecapCells = field(default_factory=RecapCells)

    def cells(self) -> list[Coded]:
        """Return one cell per day of the month (see RecapCells.cell)."""
        return [self.cell_labels.cell(tuple(result.status for result in results)) for results in self.days]

    def cells_html(self) -> SafeString:
        """Return the row's day cells as HTML, built here because the template loop over 31 days
        of 50 employees was most of the recap page's time."""
        html = self.cell_labels.html
        cells = "".join(html(tuple(result.status for result in results)) for results in self.days)
        return mark_safe(cells)  # noqa: S308 - RecapCells.html escapes every value


RECAP_TOTALS = ("scheduled", "present", "late", "early", "tk", "duty", "leave", "no_result")


def _recap_totals(days: list[list[RecapDay]]) -> dict[str, int]:
    totals = dict.fromkeys(RECAP_TOTALS, 0)
    for results in days:
        if not results:
            totals["no_result"] += 1
        for result in results:
            if not result.is_working_day:
                continue
            totals["scheduled"] += 1
            if result.status in PRESENT_STATUSES or (result.status == "BELUM_FINAL" and result.has_check_in):
                totals["present"] += 1
            if result.late_code:
                totals["late"] += 1
            if result.early_code:
                totals["early"] += 1
            if result.status == UNEXCUSED_STATUS:
                totals["tk"] += 1
            elif result.status in DUTY_STATUSES:
                totals["duty"] += 1
            elif result.absence_code:
                totals["leave"] += 1
    return totals


def recap_employee_keys(*, user, unit: Unit, first: dt.date, last: dt.date) -> list[tuple[str, str, int]]:
    """Return (unit path, name, id) of the employees of a month recap, sorted for display.

    They are the employees now in the unit's subtree and those with results there in the month,
    so a transfer mid-month keeps both units' days. Three queries: the subtree's employees, the ids
    of other employees with results in the subtree (no joins, no ordering, so PostgreSQL reads the
    results once), and those few employees' names. An OR with a subquery over the results was
    several times slower on PostgreSQL.
    """
    in_subtree = scope_queryset(user=user, queryset=Employee.objects.filter(unit__path__startswith=unit.path))
    current = list(in_subtree.values_list("unit__path", "name", "pk"))

    subtree_units = Unit.objects.filter(path__startswith=unit.path).values("pk")
    moved_ids = (
        scope_queryset(
            user=user,
            queryset=DailyResult.objects.filter(unit_id__in=subtree_units, date__range=(first, last)),
        )
        .exclude(employee_id__in=Employee.objects.filter(unit__path__startswith=unit.path).values("pk"))
        .values_list("employee_id", flat=True)
        .order_by()
        .distinct()
    )
    moved = Employee.objects.filter(pk__in=list(moved_ids)).values_list("unit__path", "name", "pk")
    return sorted(set(current) | set(moved))


def recap_employees(*, user, unit: Unit, first: dt.date, last: dt.date) -> list[Employee]:
    """Return the employees of a month recap (see recap_employee_keys), with their unit."""
    keys = recap_employee_keys(user=user, unit=unit, first=first, last=last)
    return employees_in_order([pk for _path, _name, pk in keys])


def employees_in_order(ids: list[int]) -> list[Employee]:
    found = Employee.objects.select_related("unit").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def recap_rows(*, user, unit: Unit, month: dt.date, employees: list[Employee]) -> list[RecapRow]:
    """Build the recap of `employees` for every day of the month, in one query for the results.

    The results are read as tuples of the recap's fields only, without model instances.
    """
    first, last = month_bounds(month)
    count = (last - first).days + 1
    results = (
        scope_queryset(
            user=user,
            queryset=DailyResult.objects.filter(
                employee_id__in=[employee.pk for employee in employees],
                unit__path__startswith=unit.path,
                date__range=(first, last),
            ),
        )
        .annotate(has_check_in=Q(check_in__isnull=False))
        .order_by("date", "shift_code")
        .values_list(*RECAP_DAY_FIELDS)
    )
    grid: dict[int, list[list[RecapDay]]] = {
        employee.pk: [[] for _day in range(count)] for employee in employees
    }
    for values in results:
        result = RecapDay(*values)
        grid[result.employee_id][(result.date - first).days].append(result)

    cell_labels = RecapCells()
    return [
        RecapRow(
            employee=employee,
            days=grid[employee.pk],
            totals=_recap_totals(grid[employee.pk]),
            cell_labels=cell_labels,
        )
        for employee in employees
    ]


def employee_month(*, employee: Employee, month: dt.date) -> list[tuple[dt.date, list[DailyResult]]]:
    """Return every day of the month with the employee's results (the self-view, no scope needed
    because the caller passes the user's own employee record)."""
    first, last = month_bounds(month)
    days = {first + dt.timedelta(days=offset): [] for offset in range((last - first).days + 1)}
    for result in DailyResult.objects.filter(employee=employee, date__range=(first, last)).order_by(
        "date", "shift_code"
    ):
        days[result.date].append(result)
    return list(days.items())


def top_groups(units: dict[int, UnitRef]) -> list[UnitRef]:
    """Return the OPDs in scope, or for a user scoped below the OPD level the top units of the scope."""
    agencies = [unit for unit in units.values() if unit.kind in AGENCY_KINDS and unit.depth == 1]
    if not agencies and units:
        top = min(unit.depth for unit in units.values())
        agencies = [unit for unit in units.values() if unit.depth == top]
    return sorted(agencies, key=lambda unit: unit.path)


def devices_offline(*, user, now: dt.datetime, limit: int = 20):
    """Return (count, first `limit` devices) of the active devices in scope that are silent."""
    from sao.devices.conf import offline_after
    from sao.devices.models import Device, DeviceStatus

    devices = (
        scope_queryset(
            user=user,
            queryset=Device.objects.filter(status=DeviceStatus.ACTIVE).filter(
                Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=now - offline_after())
            ),
        )
        .select_related("unit")
        .order_by("last_contact_at", "serial")
    )
    return devices.count(), list(devices[:limit])


def open_faults(*, user, limit: int = 20):
    """Return (count, first `limit` open fault tickets) in the user's scope."""
    from sao.faults import selectors as fault_selectors

    faults = fault_selectors.open_faults(user=user)
    return faults.count(), list(faults[:limit])


def absences_entered_late(*, user, limit: int = 20):
    """Return (count, first `limit` absence requests entered after their first day) in scope."""
    from sao.absences import selectors as absence_selectors

    absences = absence_selectors.entered_late(user=user)
    return absences.count(), list(absences[:limit])


def signatory_for(unit: Unit):
    """Return the signing official of the unit or of its nearest ancestor that has one, or None."""
    from sao.reports.models import ReportSignatory

    codes = [code for code in unit.path.split("/") if code]
    signatories = {
        item.unit.code: item
        for item in ReportSignatory.objects.filter(unit__code__in=codes).select_related("unit")
    }
    for code in reversed(codes):
        if code in signatories:
            return signatories[code]
    return None
