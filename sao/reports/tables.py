"""The reports as ReportTable objects, shared by the screens, the downloads and `sao report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sao.core import labels
from sao.org.models import Unit
from sao.reports import selectors
from sao.reports.exports import Coded, ReportTable, Rupiah
from sao.reports.rates import DENOMINATOR_TEXT, RATE_CODES, RATE_FORMULAS, RATE_LABELS, rates_from

DAILY_CSV_COLUMNS = [
    "unit_code",
    "nip",
    "pin",
    "name",
    "date",
    "shift",
    "status",
    "check_in",
    "check_out",
    "late_minutes",
    "early_minutes",
    "tl",
    "psw",
    "flags",
]


def _local_time(instant: dt.datetime | None, zone: str) -> str:
    if instant is None:
        return ""
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def rate_notes() -> list[str]:
    notes = [f"{RATE_LABELS[code]} = {RATE_FORMULAS[code]}" for code in RATE_CODES]
    notes.append(str(DENOMINATOR_TEXT))
    return notes


def _coded(kind: str, code: str) -> Coded:
    return Coded(code=code, label=labels.code_label(kind, code))


def daily_row(result) -> list:
    """Return one row of the daily list: codes for CSV, with their labels for people."""
    zone = result.unit.time_zone
    flags = result.flags or []
    return [
        result.unit.code,
        result.employee.nip or result.employee.nik or "",
        getattr(result, "pin", None) or "",
        result.employee.full_name,
        result.date,
        result.shift_code,
        _coded("status", result.status),
        _local_time(result.check_in, zone),
        _local_time(result.check_out, zone),
        result.late_minutes,
        result.early_minutes,
        _coded("late_early", result.late_code),
        _coded("late_early", result.early_code),
        Coded(code=" ".join(flags), label=labels.flags_label(flags)),
    ]


def results_table(*, results, slug: str, title: str, subtitle: str, unit: Unit) -> ReportTable:
    """Build a list of daily results in the daily CSV's columns (the daily list, TL/PSW, TK, absences).

    `results` is a queryset of selectors.daily_results; the rows are read in chunks when written.
    """
    return ReportTable(
        slug=slug,
        title=title,
        subtitle=subtitle,
        header=[
            _("Unit"),
            _("NIP"),
            _("PIN"),
            _("Name"),
            _("Date"),
            _("Shift"),
            _("Status"),
            _("Check-in"),
            _("Check-out"),
            _("Minutes late"),
            _("Minutes early"),
            _("TL"),
            _("PSW"),
            _("Flags"),
        ],
        csv_header=DAILY_CSV_COLUMNS,
        rows=(daily_row(result) for result in results.iterator(chunk_size=5000)),
        unit=unit,
        landscape=True,
        count_rows=results.count,
        results=results,
    )


def daily_table(*, user, unit: Unit, day: dt.date, end: dt.date | None = None) -> ReportTable:
    """Build the daily presence list: every employee-day of the unit and its sub-units."""
    period = day.isoformat() if end in (None, day) else f"{day.isoformat()} – {end.isoformat()}"
    return results_table(
        results=selectors.daily_results(user=user, unit=unit, start=day, end=end),
        slug=f"daily-{unit.code}-{day.isoformat()}",
        title=_("Daily presence list"),
        subtitle=_("%(unit)s, %(period)s") % {"unit": unit.name, "period": period},
        unit=unit,
    )


def recap_table(*, user, unit: Unit, month: dt.date) -> ReportTable:
    """Build the monthly recap: one row per employee, one column per day of the month, then totals."""
    first, last = selectors.month_bounds(month)
    employees = selectors.recap_employees(user=user, unit=unit, first=first, last=last)
    rows = selectors.recap_rows(user=user, unit=unit, month=first, employees=employees)
    day_numbers = [str(offset + 1) for offset in range((last - first).days + 1)]
    totals_header = [
        _("Scheduled"),
        _("Present"),
        _("TL"),
        _("PSW"),
        _("TK"),
        _("Official duty"),
        pgettext("absence", "Leave"),
        _("No result"),
    ]

    def cells():
        for row in rows:
            yield [row.employee.nip or "", row.employee.full_name, *row.cells()] + [
                row.totals[key] for key in selectors.RECAP_TOTALS
            ]

    return ReportTable(
        slug=f"recap-{unit.code}-{first:%Y-%m}",
        title=_("Monthly attendance recap"),
        subtitle=_("%(unit)s, %(month)s") % {"unit": unit.name, "month": first.strftime("%Y-%m")},
        header=[_("NIP"), _("Name"), *day_numbers, *totals_header],
        csv_header=["nip", "name", *[f"d{number}" for number in day_numbers], *selectors.RECAP_TOTALS],
        rows=cells(),
        notes=[
            _(
                "A day shows '-' when no result exists for it: a day off before the TMT, under "
                "CLTN or tugas belajar, or not computed yet."
            ),
            labels.recap_legend(),
        ],
        unit=unit,
        landscape=True,
    )


def rates_rows(
    report: selectors.RatesReport, kinds: tuple[str, ...], level: str, target: Decimal | None
) -> list[list]:
    rows = []
    for item in report.ranking(kinds, target=target):
        rows.append(
            [
                level,
                item.rank,
                item.unit.code,
                item.unit.name,
                item.counts.scheduled,
                item.counts.present,
                item.counts.on_duty,
                item.counts.unexcused,
                item.counts.compliant,
                *[item.rates.get(code) for code in RATE_CODES],
                item.gap,
            ]
        )
    return rows


def rates_table(
    *,
    user,
    start: dt.date,
    end: dt.date,
    rate: str = "physical",
    under: Unit | None = None,
    target: Decimal | None = None,
) -> ReportTable:
    """Build the rates per OPD and per UPT, ranked by `rate`, after a first row with the scope's total."""
    report = selectors.rates_report(user=user, start=start, end=end, period="year", rate=rate, under=under)
    overall = report.overall()
    overall_rates = rates_from(overall)
    scope_name = under.name if under is not None else _("Province of Kalimantan Timur")
    rows = [
        [
            _("Total"),
            None,
            under.code if under is not None else "",
            scope_name,
            overall.scheduled,
            overall.present,
            overall.on_duty,
            overall.unexcused,
            overall.compliant,
            *[overall_rates.get(code) for code in RATE_CODES],
            None,
        ]
    ]
    rows += rates_rows(report, selectors.AGENCY_KINDS, "OPD", target)
    rows += rates_rows(report, selectors.UPT_KINDS, "UPT", target)
    return ReportTable(
        slug=f"rates-{start.isoformat()}-{end.isoformat()}",
        title=_("Attendance rates by OPD and UPT"),
        subtitle=_("%(scope)s, %(start)s – %(end)s, ranked by %(rate)s")
        % {
            "scope": scope_name,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "rate": RATE_LABELS[rate],
        },
        header=[
            _("Level"),
            _("Rank"),
            _("Code"),
            _("Unit"),
            _("Scheduled person-days"),
            _("Present"),
            _("Official duty"),
            _("TK"),
            _("Present without TL/PSW"),
            *[str(RATE_LABELS[code]) + " (%)" for code in RATE_CODES],
            _("Gap to target"),
        ],
        csv_header=[
            "level",
            "rank",
            "unit_code",
            "unit_name",
            "scheduled",
            "present",
            "on_duty",
            "tk",
            "compliant",
            *[f"{code}_percent" for code in RATE_CODES],
            "gap_to_target",
        ],
        rows=rows,
        notes=rate_notes(),
        unit=under,
        landscape=True,
    )


EVENT_TITLES = {
    "tlpsw": _("Late arrivals (TL) and early leaves (PSW)"),
    "tk": _("Unexcused absences (TK)"),
    "absence": _("Absences"),
}


def events_table(*, user, unit: Unit, start: dt.date, end: dt.date, kind: str) -> ReportTable:
    """Build the TL/PSW, TK or absence list of a unit for start..end."""
    return results_table(
        results=selectors.events(user=user, unit=unit, start=start, end=end, kind=kind),
        slug=f"{kind}-{unit.code}-{start.isoformat()}-{end.isoformat()}",
        title=str(EVENT_TITLES[kind]),
        subtitle=_("%(unit)s, %(start)s – %(end)s")
        % {"unit": unit.name, "start": start.isoformat(), "end": end.isoformat()},
        unit=unit,
    )


def _tpp_employee_row(employee, deduction, amount: Decimal | None) -> list:
    tpp = Rupiah(int(amount)) if amount is not None else None
    if deduction is None:
        person = [employee.nip or "", employee.full_name, employee.unit.code]
        return [*person, "", "", None, None, tpp, None, 0, ""]

    codes = ", ".join(f"{day.work_date.day}:{'+'.join(day.codes)}" for day in deduction.days)
    return [
        employee.nip or "",
        employee.full_name,
        employee.unit.code,
        deduction.table_code,
        deduction.base,
        deduction.percent_of_base.quantize(Decimal("0.01")),
        deduction.percent_of_tpp.quantize(Decimal("0.01")),
        tpp,
        Rupiah(int(deduction.amount)) if amount is not None else None,
        len(deduction.days),
        codes,
    ]


@dataclass
class _TppSum:
    tpp: int = 0
    deducted: int = 0
    people: int = 0

    def row(self, *, code: str, label: str, unit_code: str) -> list:
        """Return a total row. Its name column contains `code` ("unit_total" or "total") in CSV."""
        name = Coded(code=code, label=label)
        amounts = [Rupiah(self.tpp), Rupiah(self.deducted)]
        return ["", name, unit_code, "", "", None, None, *amounts, self.people, ""]


def tpp_rows(*, employees: list, deductions: dict, amounts: dict[int, Decimal]) -> list[list]:
    """Return one row per employee, a total row after each unit's employees, and the grand total.

    The employees come sorted by unit path, so each unit's rows are contiguous.
    """
    rows = []
    grand = _TppSum()
    for unit, members in groupby(employees, key=lambda employee: employee.unit):
        unit_sum = _TppSum()
        for employee in members:
            amount = amounts.get(employee.pk)
            deduction = deductions.get(employee.pk)
            rows.append(_tpp_employee_row(employee, deduction, amount))
            if amount is None:
                continue
            for total in (unit_sum, grand):
                total.tpp += int(amount)
                total.deducted += int(deduction.amount) if deduction is not None else 0
                total.people += 1
        label = _("Total of %(unit)s") % {"unit": unit.name}
        rows.append(unit_sum.row(code="unit_total", label=label, unit_code=unit.code))

    rows.append(grand.row(code="total", label=_("Total of the report"), unit_code=""))
    return rows


def tpp_table(*, user, unit: Unit, month: dt.date) -> ReportTable:
    """Build the TPP deduction per employee for a month, in percent and in rupiah, with unit totals.

    The TPP amount of each employee is the one in force on the first day of the month.
    """
    from sao.attendance.tpp import month_deductions_for, table_for
    from sao.calendars.services import active_policy
    from sao.org.services import tpp_amounts_on

    first, last = selectors.month_bounds(month)
    employees = selectors.recap_employees(user=user, unit=unit, first=first, last=last)
    amounts = tpp_amounts_on(employee_ids=[employee.pk for employee in employees], day=first)
    policy = active_policy()
    deductions = month_deductions_for(
        employee_amounts={employee.pk: amounts.get(employee.pk, Decimal(0)) for employee in employees},
        month=first,
        tables=policy.tpp_tables,
    )
    notes = [
        _(
            "Deduction (Rp) = monthly TPP amount × deduction in percent of TPP ÷ 100, rounded half up to "
            "whole rupiah, and never more than the TPP amount. The TPP amount is the one in force on "
            "the first day of the month."
        ),
        _(
            "An employee without a recorded TPP amount shows '-' in the rupiah columns and is left "
            "out of the totals; the total rows count the employees with an amount."
        ),
    ]
    if not policy.tpp_tables:
        notes.append(_("No TPP deduction table is in force in the policy."))
    table = table_for(policy.tpp_tables, first) if policy.tpp_tables else None
    if table and table.get("example"):
        notes.insert(0, _(
            "EXAMPLE TABLE: the deductions use table %(code)s, an example that is not Kaltim's rule. "
            "BKD replaces it with the table of the Pergub in the policy; until then these amounts "
            "must not be paid out or deducted."
        ) % {"code": table.get("code", "")})
    return ReportTable(
        slug=f"tpp-{unit.code}-{first:%Y-%m}",
        title=_("TPP deductions"),
        subtitle=_("%(unit)s, %(month)s") % {"unit": unit.name, "month": first.strftime("%Y-%m")},
        header=[
            _("NIP"),
            _("Name"),
            _("Unit"),
            _("Table"),
            _("Base"),
            _("Deduction (% of base)"),
            _("Deduction (% of TPP)"),
            _("Monthly TPP (Rp)"),
            _("Deduction (Rp)"),
            _("Days with a deduction"),
            _("Day: codes"),
        ],
        csv_header=[
            "nip",
            "name",
            "unit_code",
            "table",
            "base",
            "percent_of_base",
            "percent_of_tpp",
            "tpp_amount",
            "deduction_amount",
            "days",
            "codes",
        ],
        rows=tpp_rows(employees=employees, deductions=deductions, amounts=amounts),
        notes=notes,
        unit=unit,
        landscape=True,
    )


def discipline_table(*, user, unit: Unit, year: int) -> ReportTable:
    from sao.attendance.discipline import SANCTION_LABELS
    from sao.attendance.selectors import discipline_for_year

    rows = []
    for employee, flag in discipline_for_year(user=user, year=year):
        if not employee.unit.path.startswith(unit.path):
            continue
        rows.append(
            [
                employee.nip or "",
                employee.full_name,
                employee.unit.code,
                flag.tk_days,
                flag.longest_run,
                _coded("discipline_level", flag.level),
                Coded(code=flag.sanction, label=str(SANCTION_LABELS.get(flag.sanction, flag.sanction))),
            ]
        )
    return ReportTable(
        slug=f"discipline-{unit.code}-{year}",
        title=_("Discipline flags (PP 94/2021)"),
        subtitle=_("%(unit)s, %(year)s") % {"unit": unit.name, "year": year},
        header=[
            _("NIP"),
            _("Name"),
            _("Unit"),
            _("TK days"),
            _("Longest run of TK days"),
            _("Level"),
            _("Sanction"),
        ],
        csv_header=["nip", "name", "unit_code", "tk_days", "longest_run", "level", "sanction"],
        rows=rows,
        unit=unit,
    )


REPORTS = ("daily", "recap", "rates", "tpp", "tlpsw", "tk", "absence", "discipline")


def build_table(*, user, report: str, params: dict) -> ReportTable:
    """Build a report from stored parameters (ISO dates, unit code), as an export job does.

    Raises LookupError for an unknown report, and Http404 for a unit outside the user's scope.
    """
    unit = selectors.scoped_unit(user=user, code=params["unit"]) if params.get("unit") else None
    start = dt.date.fromisoformat(params["start"]) if params.get("start") else None
    end = dt.date.fromisoformat(params["end"]) if params.get("end") else start
    month = dt.date.fromisoformat(params["month"]) if params.get("month") else None
    if report == "daily":
        return daily_table(user=user, unit=unit, day=start, end=end)
    if report == "recap":
        return recap_table(user=user, unit=unit, month=month)
    if report == "tpp":
        return tpp_table(user=user, unit=unit, month=month)
    if report == "rates":
        return rates_table(user=user, start=start, end=end, rate=params.get("rate") or "physical", under=unit)
    if report in EVENT_TITLES:
        return events_table(user=user, unit=unit, start=start, end=end, kind=report)
    if report == "discipline":
        return discipline_table(user=user, unit=unit, year=int(params["year"]))
    raise LookupError(f"Unknown report {report!r}; use one of {', '.join(REPORTS)}.")
