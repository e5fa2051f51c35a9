"""Cuti tahunan balances: carry-over at each boundary, cuti bersama, holidays, PPPK, eligibility.

Dates are in 2026 (Keppres 42/2025 cuti bersama: 18, 20, 23, 24 Mar, 15 and 28 May) on the
seeded Kaltim five-day schedule.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sao.absences.balance import leave_balance, years_of_service
from sao.absences.models import AbsenceType, LeaveRule
from sao.absences.services import AbsenceError, absence_request_create
from sao.absences.workdays import working_days
from tests.conftest import make_employee, make_unit, make_user

from .conftest import approved_on_record

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def unit(db):
    province = make_unit("PROV", "province")
    return make_unit("OPD-K", "opd", province, name="Dinas K")


@pytest.fixture
def pns(unit):
    # NIP with TMT CPNS January 2005.
    return make_employee(unit, "Pegawai Lama", nip="198001012005011001")


@pytest.fixture
def operator(unit):
    return make_user("opk", "operator_unit", unit=unit)


def cuti(employee, start, end, actor):
    return absence_request_create(
        employee=employee,
        absence_type=AbsenceType.objects.get(code="CT"),
        start_date=start,
        end_date=end,
        actor=actor,
    )


@pytest.mark.parametrize(
    ("used_2024", "used_2025", "expected_total"),
    [
        (0, 0, 24),  # two whole years unused: at most 24 including this year
        (1, 0, 18),  # one whole year unused: at most 18
        (0, 1, 18),  # partly used year: 11 unused, capped at 6
        (0, 6, 18),  # 6 unused: all carried
        (0, 7, 17),  # 5 unused
        (0, 11, 13),  # 1 unused
        (0, 12, 12),  # nothing left to carry
    ],
)
def test_carry_over_boundaries(pns, used_2024, used_2025, expected_total):
    if used_2024:
        approved_on_record(pns, "CT", D(2024, 3, 4), D(2024, 3, 4), used_2024)
    if used_2025:
        approved_on_record(pns, "CT", D(2025, 7, 1), D(2025, 7, 20), used_2025)

    balance = leave_balance(employee=pns, year=2026)

    assert balance.entitlement == 12
    assert balance.total == expected_total
    assert balance.remaining == expected_total


def test_pppk_has_no_carry_over(unit):
    pppk = make_employee(unit, "Pegawai PPPK", nip="199001012019211001", kind="PPPK")

    assert leave_balance(employee=pppk, year=2026).total == 12


def test_pppk_carry_over_when_configured(unit):
    pppk = make_employee(unit, "Pegawai PPPK", nip="199001012019211001", kind="PPPK")
    LeaveRule.objects.filter(employee_kind="PPPK").update(carry_over=True)

    assert leave_balance(employee=pppk, year=2026).total == 24


def test_first_year_gets_nothing(unit, operator):
    newcomer = make_employee(unit, "Pegawai Baru", nip="199501012025061001")

    assert years_of_service(newcomer, D(2026, 3, 2)) == 0
    assert leave_balance(employee=newcomer, year=2025).total == 0
    # Entitled in 2026 (one year of service by June), nothing carried from 2025.
    assert leave_balance(employee=newcomer, year=2026).total == 12
    with pytest.raises(AbsenceError) as error:
        cuti(newcomer, D(2026, 3, 2), D(2026, 3, 3), operator)
    assert error.value.code == "service_too_short"
    assert "Pegawai Baru" in error.value.message
    assert "2026-03-02" in error.value.message


def test_cuti_besar_needs_five_years(unit, operator):
    recent = make_employee(unit, "Pegawai Empat Tahun", nip="199001012022011001")

    with pytest.raises(AbsenceError) as error:
        absence_request_create(
            employee=recent,
            absence_type=AbsenceType.objects.get(code="CBS"),
            start_date=D(2026, 6, 1),
            end_date=D(2026, 6, 30),
            actor=operator,
        )
    assert error.value.code == "service_too_short"


def test_cuti_besar_forfeits_the_year(pns):
    approved_on_record(pns, "CBS", D(2026, 2, 2), D(2026, 3, 31), 40)

    balance = leave_balance(employee=pns, year=2026)

    assert balance.forfeited
    assert balance.remaining == 0


def test_cuti_bersama_is_not_a_working_day(pns):
    # 18 Mar CB, 19 Mar Nyepi, 20 Mar CB, 21-22 weekend, 23-24 Mar CB: nothing to count.
    assert working_days(employee=pns, start=D(2026, 3, 18), end=D(2026, 3, 24)) == []
    # The week after: 25-27 Mar are working days.
    assert working_days(employee=pns, start=D(2026, 3, 25), end=D(2026, 3, 29)) == [
        D(2026, 3, 25),
        D(2026, 3, 26),
        D(2026, 3, 27),
    ]


def test_request_only_on_cuti_bersama_rejected(pns, operator):
    with pytest.raises(AbsenceError) as error:
        cuti(pns, D(2026, 3, 18), D(2026, 3, 24), operator)

    assert error.value.code == "no_working_day"
    assert leave_balance(employee=pns, year=2026).remaining == 24


def test_request_over_weekend_and_holiday(pns, operator):
    # Wed 13 May work, Thu 14 Kenaikan (LN), Fri 15 CB, 16-17 weekend, Mon 18 work.
    request = cuti(pns, D(2026, 5, 13), D(2026, 5, 18), operator)

    assert request.working_days == 2
    balance = leave_balance(employee=pns, year=2026)
    assert balance.reserved == 2
    assert balance.used == 0
    assert balance.remaining == 22


def test_balance_exceeded_message(pns, operator):
    approved_on_record(pns, "CT", D(2025, 7, 1), D(2025, 7, 20), 12)
    first = cuti(pns, D(2026, 6, 1), D(2026, 6, 12), operator)  # 1 Jun is Hari Lahir Pancasila
    assert first.working_days == 9

    with pytest.raises(AbsenceError) as error:
        cuti(pns, D(2026, 7, 1), D(2026, 7, 6), operator)  # Wed..Mon: 4 working days

    assert error.value.code == "balance_exceeded"
    assert " 4 " in error.value.message  # the days requested
    assert " 3 " in error.value.message  # the days that remain


def test_request_across_new_year(pns, operator):
    # Mon 28 Dec 2026 .. Fri 8 Jan 2027; 1 Jan is a holiday, 5 Jan Isra Mikraj 1448 H.
    request = cuti(pns, D(2026, 12, 28), D(2027, 1, 8), operator)

    assert request.working_days == len(working_days(employee=pns, start=D(2026, 12, 28), end=D(2027, 1, 8)))
    assert leave_balance(employee=pns, year=2026).reserved == 4  # 28-31 Dec
    assert leave_balance(employee=pns, year=2027).reserved == request.working_days - 4
