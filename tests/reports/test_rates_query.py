"""Rates over the real results of the `week` province: denominators, roll-ups and the query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from sao.attendance.models import DailyResult
from sao.reports import selectors, tables
from sao.reports.rates import Counts, rates_from
from sao.reports.services import unit_day_counts_refresh

from .conftest import WEEK_END, WEEK_START

pytestmark = pytest.mark.django_db


def test_denominator_leaves_out_cltn_study_holiday_tmt(week):
    counts = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month")

    june = counts[WEEK_START.replace(day=1)]
    # punctual 4 + on_cltn 2 (before the CLTN TMT) + studying 0 + newcomer 1 (from the TMT).
    assert june[week.unit_a.pk] == Counts(scheduled=7, present=4, on_duty=0, unexcused=3, compliant=3)
    assert june[week.unit_b.pk] == Counts(scheduled=4, present=4, on_duty=0, unexcused=0, compliant=4)


def test_unit_a_rates_hand_computed(week):
    report = selectors.rates_report(user=week.admin, start=WEEK_START, end=WEEK_END)

    rates = rates_from(report.counts_for(report.units[week.agency_a.pk]))

    assert rates.physical == Decimal("57.14")  # 4 / 7
    assert rates.unexcused == Decimal("42.86")  # 3 / 7
    assert rates.not_unexcused == Decimal("57.14")
    assert rates.compliance == Decimal("75.00")  # 3 / 4


def test_official_duty_counts_with_duty(week):
    # The absences app does not feed the engine yet, so a DL day is written here directly.
    DailyResult.objects.filter(employee=week.punctual, date="2026-06-05").update(
        status="DL", absence_code="DL"
    )
    unit_day_counts_refresh(start=WEEK_START, end=WEEK_END)

    report = selectors.rates_report(user=week.admin, start=WEEK_START, end=WEEK_END)
    rates = rates_from(report.counts_for(report.units[week.agency_a.pk]))

    assert rates.physical == Decimal("57.14")  # 4 / 7
    assert rates.with_duty == Decimal("71.43")  # (4 + 1) / 7
    assert rates.unexcused == Decimal("28.57")  # 2 / 7


def test_per_day_period_splits_days(week):
    counts = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="day")

    assert sorted(day.day for day in counts) == [1, 2, 4, 5]
    assert counts[WEEK_START][week.unit_a.pk] == Counts(scheduled=2, present=1, unexcused=1, compliant=1)


def test_per_year_period(week):
    counts = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="year")

    assert list(counts) == [WEEK_START.replace(month=1, day=1)]


def test_rate_counts_one_query_per_source(week, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month")
    with django_assert_num_queries(1):
        selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month", live=True)
    # A range that reaches today reads the past from the summary and today from the results.
    with django_assert_num_queries(2):
        selectors.rate_counts(
            user=week.admin, start=WEEK_START, end=WEEK_END, period="month", today=dt.date(2026, 6, 4)
        )


def test_summary_lags_until_refresh(week):
    DailyResult.objects.filter(employee=week.punctual, date="2026-06-05").update(status="HADIR")
    june = WEEK_START.replace(day=1)

    summary = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month")
    live = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month", live=True)
    assert summary[june][week.unit_a.pk].present == 4
    assert live[june][week.unit_a.pk].present == 5

    unit_day_counts_refresh(start=WEEK_START, end=WEEK_END)
    refreshed = selectors.rate_counts(user=week.admin, start=WEEK_START, end=WEEK_END, period="month")
    assert refreshed == live


def test_today_read_live(week):
    # With "today" on Thursday, Thursday and Friday come from the results, the rest from the summary.
    DailyResult.objects.filter(employee=week.punctual, date="2026-06-05").update(status="HADIR")

    counts = selectors.rate_counts(
        user=week.admin, start=WEEK_START, end=WEEK_END, period="month", today=dt.date(2026, 6, 4)
    )

    assert counts[WEEK_START.replace(day=1)][week.unit_a.pk] == Counts(
        scheduled=7, present=5, on_duty=0, unexcused=2, compliant=4
    )


def test_province_total_and_ranking(week):
    table = tables.rates_table(user=week.admin, start=WEEK_START, end=WEEK_END, target=Decimal(97))

    rows = list(table.rows)
    total_row, first_opd, second_opd = rows[0], rows[1], rows[2]
    assert total_row[4:9] == [11, 8, 0, 3, 7]
    assert total_row[9] == Decimal("72.73")  # 8 / 11
    assert first_opd[:3] == ["OPD", 1, "OPD-B"]
    assert first_opd[9] == Decimal("100.00")
    assert second_opd[:3] == ["OPD", 2, "OPD-A"]
    assert second_opd[-1] == Decimal("-39.86")  # 57.14 - 97
    upt_codes = [row[2] for row in rows if row[0] == "UPT"]
    assert upt_codes == ["UPT-B", "UPT-A"]


def test_rates_report_prints_formulas(week):
    with translation.override("en"):
        table = tables.rates_table(user=week.admin, start=WEEK_START, end=WEEK_END)
        notes = " ".join(str(note) for note in table.notes)

    assert "scheduled person-days" in notes.lower()
    assert "CLTN" in notes


def test_operator_rates_limited_to_scope(week):
    counts = selectors.rate_counts(user=week.operator_b, start=WEEK_START, end=WEEK_END, period="month")

    assert set(counts[WEEK_START.replace(day=1)]) == {week.unit_b.pk}
