"""TPP deduction tables: rates per code, the base they apply to, and caps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from sao.attendance.tpp import month_deduction, table_for
from sao.calendars.policy import parse_policy
from sao.calendars.services import SEED_POLICY


def day(date: str, status: str = "HADIR", late: str = "", early: str = ""):
    return SimpleNamespace(
        work_date=dt.date.fromisoformat(date), status=status, late_code=late, early_code=early
    )


def example_table():
    policy = parse_policy(SEED_POLICY.read_text(encoding="utf-8"))
    return table_for(policy.tpp_tables, dt.date(2026, 3, 1))


def test_seed_table_is_labelled_example():
    table = example_table()
    assert table["example"] is True
    assert "EXAMPLE ONLY" in table["name"]
    assert table["base"] == "discipline_component"


def test_discipline_component_base():
    results = [
        day("2026-03-02", late="TL1"),
        day("2026-03-03", late="TL4", early="PSW2"),
        day("2026-03-04", "TK"),
        day("2026-03-05", "CUTI"),
        day("2026-03-06"),
    ]

    deduction = month_deduction(
        table=example_table(), results=results, tpp_amount=Decimal(5_000_000), working_days=17
    )

    # 0.5 + (1.5 + 1) + 1.5 = 4.5 % of the discipline component, which is 40 % of the TPP.
    assert deduction.percent_of_base == Decimal("4.5")
    assert deduction.percent_of_tpp == Decimal("1.8")
    assert deduction.amount == Decimal(90_000)
    assert [item.codes for item in deduction.days] == [("TL1",), ("TL4", "PSW2"), ("TK",)]


def test_caps_and_whole_base():
    table = {
        "code": "T",
        "valid_from": dt.date(2020, 1, 1),
        "base": "whole",
        "rates": {"TL4": 2, "PSW4": 2, "TK": 5},
        "day_cap_percent": 3,
        "month_cap_percent": 10,
    }
    results = [day("2026-03-02", late="TL4", early="PSW4"), day("2026-03-03", "TK"), day("2026-03-04", "TK")]

    deduction = month_deduction(table=table, results=results, tpp_amount=Decimal(1_000_000), working_days=20)

    assert [item.percent for item in deduction.days] == [Decimal(3), Decimal(3), Decimal(3)]
    assert deduction.percent_of_base == Decimal(9)
    assert deduction.amount == Decimal(90_000)

    capped = month_deduction(table=table, results=results * 2, tpp_amount=Decimal(1_000_000), working_days=20)
    assert capped.percent_of_base == Decimal(10)


def test_daily_base():
    table = {"code": "D", "valid_from": dt.date(2020, 1, 1), "base": "daily", "rates": {"TK": 100}}
    deduction = month_deduction(
        table=table, results=[day("2026-03-02", "TK")], tpp_amount=Decimal(2_000_000), working_days=20
    )
    assert deduction.amount == Decimal(100_000)


def test_table_in_force_by_date():
    tables = [
        {"code": "OLD", "valid_from": dt.date(2014, 1, 1)},
        {"code": "NEW", "valid_from": dt.date(2020, 7, 1)},
    ]
    assert table_for(tables, dt.date(2020, 6, 30))["code"] == "OLD"
    assert table_for(tables, dt.date(2020, 7, 1))["code"] == "NEW"
    assert table_for(tables, dt.date(2013, 12, 31)) is None
