"""Scoped reads of daily results."""

from __future__ import annotations

from sao.attendance.models import DailyResult
from sao.org.scope import get_scoped_or_404, register_scope, scope_queryset

register_scope(DailyResult, unit="unit", employee="employee")


def result_detail(*, user, pk: int) -> DailyResult:
    queryset = DailyResult.objects.select_related("employee", "unit")
    return get_scoped_or_404(user=user, queryset=queryset, pk=pk)


def results_for_month(*, user, employee, first, last):
    queryset = DailyResult.objects.filter(employee=employee, date__range=(first, last)).order_by(
        "date", "shift_code"
    )
    return scope_queryset(user=user, queryset=queryset)


def discipline_for_year(*, user, year: int, rolling_until=None) -> list[tuple]:
    """Return (employee, DisciplineFlag) for every employee in scope with a PP 94/2021 flag,
    and for every non-ASN employee in scope with TK days, whose work contract decides.

    The year is January to December of `year`, or the 365 days up to `rolling_until` when the
    policy counts a rolling year. One query reads the results and one the employees.
    """
    import datetime as dt

    from sao.attendance.discipline import discipline_flag
    from sao.org.models import Employee

    if rolling_until is not None:
        first, last = rolling_until - dt.timedelta(days=364), rolling_until
    else:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    results = scope_queryset(
        user=user, queryset=DailyResult.objects.filter(date__range=(first, last), is_working_day=True)
    ).values_list("employee_id", "date", "status")

    days: dict[int, list] = {}
    for employee_id, day, status in results.iterator(chunk_size=20000):
        days.setdefault(employee_id, []).append((day, status))
    employees = Employee.objects.select_related("unit").in_bulk(list(days))

    flagged = []
    for employee_id, employee_days in days.items():
        employee = employees[employee_id]
        flag = discipline_flag(days=employee_days, employee_kind=employee.kind)
        if flag.listed:
            flagged.append((employee, flag))
    flagged.sort(key=lambda item: (-item[1].tk_days, -item[1].longest_run, item[0].name))
    return flagged
