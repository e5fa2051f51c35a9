"""Properties of the engine over generated punches (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sao.attendance.engine import PunchInput, Status, compute_days

from .helpers import LATER, WITA, kantor_days, rs_shifts

WEEK_START = dt.datetime(2024, 3, 3, 0, 0, tzinfo=WITA)  # Sunday
OFFICE_DAYS = kantor_days(dt.date(2024, 3, 3), dt.date(2024, 3, 10))
SHIFT_DAYS = rs_shifts(
    ("2024-03-04", "MALAM"),
    ("2024-03-05", "PAGI"),
    ("2024-03-05", "MALAM"),
    ("2024-03-06", "SORE"),
    ("2024-03-07", "PAGI"),
    ("2024-03-07", "SORE"),
)

punch_strategy = st.builds(
    PunchInput,
    instant=st.integers(min_value=0, max_value=8 * 24 * 3600 - 1).map(
        lambda seconds: WEEK_START + dt.timedelta(seconds=seconds)
    ),
    state=st.sampled_from([0, 1, 2, 255]),
    suspect=st.sampled_from([False, False, False, True]),
)
punch_lists = st.lists(punch_strategy, max_size=25)
schedules = st.sampled_from([OFFICE_DAYS, SHIFT_DAYS])


def summary(results):
    return [
        (
            result.work_date,
            result.shift_code,
            result.status,
            result.check_in,
            result.check_out,
            result.late_minutes,
            result.early_minutes,
            result.late_code,
            result.early_code,
            result.flags,
        )
        for result in results
    ]


@settings(max_examples=150, deadline=None)
@given(days=schedules, punches=punch_lists, data=st.data())
def test_order_and_duplicates_do_not_matter(days, punches, data):
    shuffled = data.draw(st.permutations(punches))
    duplicated = shuffled + data.draw(
        st.lists(st.sampled_from(punches), max_size=5) if punches else st.just([])
    )

    expected = summary(compute_days(days, punches=punches, now=LATER))
    assert summary(compute_days(days, punches=shuffled, now=LATER)) == expected
    assert summary(compute_days(days, punches=duplicated, now=LATER)) == expected


@settings(max_examples=150, deadline=None)
@given(days=schedules, punches=punch_lists, fraction=st.floats(min_value=0.01, max_value=0.99))
def test_punch_between_in_and_out_changes_nothing(days, punches, fraction):
    before = compute_days(days, punches=punches, now=LATER)
    for result in before:
        if result.status != Status.HADIR or result.check_in is None or result.check_out is None:
            continue
        middle = result.check_in + (result.check_out - result.check_in) * fraction
        if middle in (result.check_in, result.check_out):
            continue
        after = compute_days(days, punches=[*punches, PunchInput(instant=middle)], now=LATER)
        changed = [
            item
            for item in after
            if (item.work_date, item.shift_code) == (result.work_date, result.shift_code)
        ]
        assert summary(changed) == summary([result])


@settings(max_examples=200, deadline=None)
@given(days=schedules, punches=punch_lists)
def test_late_and_early_never_negative(days, punches):
    for result in compute_days(days, punches=punches, now=LATER):
        assert result.late_minutes is None or result.late_minutes >= 0
        assert result.early_minutes is None or result.early_minutes >= 0
        assert result.worked_minutes is None or result.worked_minutes >= 0


@settings(max_examples=100, deadline=None)
@given(days=schedules, punches=punch_lists)
def test_one_result_per_scheduled_shift(days, punches):
    results = compute_days(days, punches=punches, now=LATER)
    keys = [(result.work_date, result.shift_code) for result in results]

    assert keys == [(day.work_date, day.shift_code) for day in days]
    assert len(set(keys)) == len(keys)
    used = [punch.instant for result in results for punch in result.punches]
    assert len(used) == len(set(used))  # a punch belongs to at most one day
