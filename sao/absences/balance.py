"""Cuti tahunan balances: the yearly entitlement, carry-over, days used and days reserved.

PP 11/2017 for PNS: 12 working days a year after one year of service. Unused days carry over:
with the previous year wholly unused the total is at most 18 days, with two or more consecutive
years unused at most 24, and a partly used year carries at most 6 days. The limits live in
LeaveRule rows so BKD can change them (PPPK has carry-over switched off). Cuti bersama is a
holiday in the employee's schedule, so it never reduces the balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from sao.absences.models import AbsenceRequest, LeaveRule, RequestStatus
from sao.absences.workdays import working_days
from sao.org.identifiers import parse_nip
from sao.org.models import Employee


@dataclass(frozen=True)
class LeaveBalance:
    year: int
    entitlement: int  # this year's days, 0 before one year of service
    carried: int  # days carried from earlier years
    used: int  # approved cuti tahunan days in the year
    reserved: int  # days of requests still waiting for a decision
    forfeited: bool = False  # cuti besar taken this year

    @property
    def total(self) -> int:
        return self.entitlement + self.carried

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used - self.reserved)


def service_start(employee: Employee) -> dt.date | None:
    """Return the start of service read from the NIP (TMT CPNS month, or the PPPK appointment year).

    NOTE: a NI PPPK contains only the appointment year, so PPPK service is counted from 1 January
    of that year. A contract start date from SIASN would be exact.
    """
    if not employee.nip:
        return None
    try:
        info = parse_nip(employee.nip)
    except ValidationError:
        return None
    return dt.date(info.appointed_year, info.appointed_month or 1, 1)


def years_of_service(employee: Employee, on: dt.date) -> int:
    """Return the full years of service on a date, 0 when the start is unknown."""
    start = service_start(employee)
    if start is None or start > on:
        return 0
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return years


def _leave_rule(employee: Employee) -> LeaveRule:
    kind = "PPPK" if employee.kind.startswith("PPPK") else employee.kind
    rule = LeaveRule.objects.filter(employee_kind=kind).first()
    return rule or LeaveRule(employee_kind=kind, carry_over=False)


def _days_in_year(request: AbsenceRequest, year: int) -> int:
    if request.start_date.year == year and request.end_date.year == year:
        return request.working_days
    start = max(request.start_date, dt.date(year, 1, 1))
    end = min(request.end_date, dt.date(year, 12, 31))
    if start > end:
        return 0
    return len(working_days(employee=request.employee, start=start, end=end))


def _usage(employee: Employee, years: range, *, exclude_id: int | None) -> dict[int, dict]:
    """Return per year the approved and reserved cuti tahunan days and whether cuti besar was taken."""
    usage = {year: {"used": 0, "reserved": 0, "cuti_besar": False} for year in years}
    requests = (
        AbsenceRequest.objects.filter(
            employee=employee,
            start_date__lte=dt.date(years.stop - 1, 12, 31),
            end_date__gte=dt.date(years.start, 1, 1),
            status__in=[
                RequestStatus.APPROVED,
                RequestStatus.WAITING_SUPERVISOR,
                RequestStatus.WAITING_VERIFIER,
            ],
        )
        .filter(Q(absence_type__uses_annual_balance=True) | Q(absence_type__code="CBS"))
        .select_related("absence_type", "employee__unit")
        .exclude(pk=exclude_id)
    )
    for request in requests:
        for year in years:
            if request.absence_type.code == "CBS":
                if (
                    request.status == RequestStatus.APPROVED
                    and request.start_date.year <= year <= request.end_date.year
                ):
                    usage[year]["cuti_besar"] = True
                continue
            key = "used" if request.status == RequestStatus.APPROVED else "reserved"
            usage[year][key] += _days_in_year(request, year)
    return usage


def _entitled(employee: Employee, year: int) -> bool:
    return years_of_service(employee, dt.date(year, 12, 31)) >= 1


def leave_balance(*, employee: Employee, year: int, exclude_id: int | None = None) -> LeaveBalance:
    """Compute the cuti tahunan balance of a year, optionally leaving one request out."""
    rule = _leave_rule(employee)
    usage = _usage(employee, range(year - 2, year + 1), exclude_id=exclude_id)

    entitlement = rule.annual_days if _entitled(employee, year) else 0
    carried = 0
    if rule.carry_over and entitlement:
        previous, before = year - 1, year - 2
        unused_previous = (
            max(0, rule.annual_days - usage[previous]["used"]) if _entitled(employee, previous) else 0
        )
        whole_previous = unused_previous == rule.annual_days and not usage[previous]["cuti_besar"]
        whole_before = (
            _entitled(employee, before) and usage[before]["used"] == 0 and not usage[before]["cuti_besar"]
        )
        if whole_previous and whole_before:
            carried = rule.max_after_two_years - entitlement
        elif whole_previous:
            carried = rule.max_after_one_year - entitlement
        else:
            carried = min(unused_previous, rule.partly_used_cap)

    # NOTE: cuti besar is taken here to forfeit the whole year's cuti tahunan. The rule's wording
    # "mengurangi hak cuti tahunan" (reduces the right) also allows a day-for-day reduction.
    forfeited = usage[year]["cuti_besar"]
    if forfeited:
        entitlement, carried = 0, 0

    return LeaveBalance(
        year=year,
        entitlement=entitlement,
        carried=max(0, carried),
        used=usage[year]["used"],
        reserved=usage[year]["reserved"],
        forfeited=forfeited,
    )
