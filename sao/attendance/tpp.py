"""TPP deductions from daily results, under a dated deduction table of the policy.

A table (see the tpp_tables key of the policy document) gives percentages per code, the base
they apply to, and caps per day and per month. The functions here are pure: the caller passes the
month's results and the TPP amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

BASES = ("whole", "discipline_component", "daily")


def validate_tpp_tables(tables: Sequence) -> list[str]:
    """Return one message per problem in the tpp_tables list, each naming its key."""
    errors = []
    for position, table in enumerate(tables):
        path = f"tpp_tables[{position}]"
        if not isinstance(table, dict):
            errors.append(f"{path}: " + _("expected a mapping with code, valid_from, base and rates."))
            continue
        if not table.get("code"):
            errors.append(f"{path}.code: " + _("missing; give the table a short code."))
        valid_from = table.get("valid_from")
        if not isinstance(valid_from, dt.date):
            errors.append(
                f"{path}.valid_from: "
                + _("invalid date %(value)r; write it as YYYY-MM-DD.") % {"value": valid_from}
            )
        if table.get("base") not in BASES:
            errors.append(
                f"{path}.base: "
                + _("unknown base %(value)r; use whole, discipline_component or daily.")
                % {"value": table.get("base")}
            )
        if table.get("base") == "discipline_component":
            share = table.get("discipline_share_percent")
            if not isinstance(share, int | float) or not 0 < share <= 100:
                errors.append(
                    f"{path}.discipline_share_percent: "
                    + _("write the discipline share of the TPP in percent, e.g. 40.")
                )
        rates = table.get("rates")
        if not isinstance(rates, dict) or not rates:
            errors.append(f"{path}.rates: " + _("missing; map codes such as TL1 or TK to a percentage."))
        else:
            for code, rate in rates.items():
                if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 100:
                    errors.append(
                        f"{path}.rates.{code}: "
                        + _("invalid percentage %(value)r; write a number from 0 to 100.") % {"value": rate}
                    )
        for key in ("day_cap_percent", "month_cap_percent"):
            cap = table.get(key)
            if cap is not None and (
                isinstance(cap, bool) or not isinstance(cap, int | float) or not 0 < cap <= 100
            ):
                errors.append(f"{path}.{key}: " + _("write a percentage from 0 to 100, or null for no cap."))
    return errors


def table_for(tables: Sequence[dict], day: dt.date) -> dict | None:
    """Return the table in force on `day`: the one with the latest valid_from not after it."""
    in_force = [table for table in tables if table["valid_from"] <= day]
    return max(in_force, key=lambda table: table["valid_from"]) if in_force else None


@dataclass(frozen=True)
class DayDeduction:
    work_date: dt.date
    codes: tuple[str, ...]
    percent: Decimal  # of the table's base, after the day cap


@dataclass(frozen=True)
class MonthDeduction:
    """The deduction of one employee for one month."""

    table_code: str
    base: str
    percent_of_base: Decimal  # after the month cap
    percent_of_tpp: Decimal
    amount: Decimal
    days: tuple[DayDeduction, ...]


def _codes(result) -> list[str]:
    codes = [code for code in (result.late_code, result.early_code) if code]
    if result.status not in ("HADIR", "TIDAK_LENGKAP", "BELUM_FINAL", "PERLU_VERIFIKASI", "LIBUR"):
        codes = [result.status]
    return codes


def month_deduction(
    *, table: dict, results: Iterable, tpp_amount: Decimal, working_days: int
) -> MonthDeduction:
    """Compute one month's TPP deduction from the employee's daily results.

    `results` are objects with work_date (or date), status, late_code and early_code. A whole-day
    status (TK, or an absence code present in the table) replaces the TL/PSW codes of that day.
    """
    rates = {code: Decimal(str(rate)) for code, rate in table["rates"].items()}
    day_cap = table.get("day_cap_percent")
    month_cap = table.get("month_cap_percent")

    days = []
    for result in results:
        codes = tuple(code for code in _codes(result) if code in rates)
        if not codes:
            continue
        percent = sum((rates[code] for code in codes), Decimal(0))
        if day_cap is not None:
            percent = min(percent, Decimal(str(day_cap)))
        days.append(
            DayDeduction(
                work_date=getattr(result, "work_date", None) or result.date, codes=codes, percent=percent
            )
        )

    total = sum((day.percent for day in days), Decimal(0))
    if month_cap is not None:
        total = min(total, Decimal(str(month_cap)))

    if table["base"] == "whole":
        base_share = Decimal(1)
    elif table["base"] == "discipline_component":
        base_share = Decimal(str(table["discipline_share_percent"])) / 100
    else:
        base_share = Decimal(1) / working_days if working_days else Decimal(0)
    percent_of_tpp = total * base_share
    amount = (tpp_amount * percent_of_tpp / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return MonthDeduction(
        table_code=table["code"],
        base=table["base"],
        percent_of_base=total,
        percent_of_tpp=percent_of_tpp,
        amount=min(amount, tpp_amount),
        days=tuple(days),
    )


def month_deductions_for(*, employee_amounts: dict[int, Decimal], month: dt.date, tables: Sequence[dict]):
    """Compute the deductions of one month for many employees from their stored results.

    `employee_amounts` maps employee id to the month's TPP amount. Reads the results in one
    query; the table is the one in force on the first day of the month. Returns {employee id:
    MonthDeduction}, or {} when no table is in force.
    """
    from sao.attendance.models import DailyResult

    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    table = table_for(tables, first)
    if table is None:
        return {}

    rows = DailyResult.objects.filter(employee_id__in=list(employee_amounts), date__range=(first, last)).only(
        "employee_id", "date", "status", "late_code", "early_code", "is_working_day"
    )
    by_employee: dict[int, list] = {employee_id: [] for employee_id in employee_amounts}
    for row in rows.iterator(chunk_size=20000):
        by_employee[row.employee_id].append(row)

    deductions = {}
    for employee_id, results in by_employee.items():
        working_days = sum(1 for result in results if result.is_working_day)
        deductions[employee_id] = month_deduction(
            table=table, results=results, tpp_amount=employee_amounts[employee_id], working_days=working_days
        )
    return deductions
