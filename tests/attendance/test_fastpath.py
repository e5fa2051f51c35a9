"""The fast path for office days gives the engine's values on generated punches (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sao.attendance.engine import HolidayInput, PunchInput, RuleSettings, compute_days
from sao.attendance.fastpath import (
    day_plan,
    evaluate_office_days,
    from_micros,
    plan_set,
    plans_qualify,
    to_micros,
)
from sao.calendars.policy import parse_policy
from sao.calendars.services import SEED_POLICY

from .helpers import WITA, kantor_days

# Monday 6 April to Sunday 12 April 2026 under the Kaltim policy: Friday is a WFA day with two
# presence windows. Computed with one day either side, as the recompute does.
KALTIM = parse_policy(SEED_POLICY.read_text(encoding="utf-8"))
KALTIM_DAYS = [
    KALTIM.office_day(
        KALTIM.profiles["KANTOR-5"], dt.date(2026, 4, 5) + dt.timedelta(days=offset), "Asia/Makassar"
    )
    for offset in range(9)
]
# Saturday 2 to Monday 11 March 2024 under the KANTOR test profile (check-in and check-out only).
KANTOR_DAYS = kantor_days(dt.date(2024, 3, 2), dt.date(2024, 3, 11))

rules_strategy = st.builds(
    RuleSettings,
    truncate_seconds=st.booleans(),
    pairing=st.sampled_from(["first_last", "first_first"]),
    absent_below_minutes=st.sampled_from([None, 240]),
    half_day_below_minutes=st.sampled_from([None, 420]),
)


@st.composite
def scenarios(draw):
    """Draw schedules with varied rules and tolerances, punches, holidays and an evaluation time."""
    days = draw(st.sampled_from([KALTIM_DAYS, KANTOR_DAYS]))
    rules = draw(rules_strategy)
    late_tolerance = draw(st.sampled_from([0, 5, 15]))
    early_tolerance = draw(st.sampled_from([0, 10]))
    days = [
        dataclasses.replace(
            day, rules=rules, late_tolerance_minutes=late_tolerance, early_tolerance_minutes=early_tolerance
        )
        for day in days
    ]

    begin = dt.datetime.combine(days[0].work_date, dt.time(0), WITA) - dt.timedelta(hours=12)
    span = len(days) * 24 * 3600 + 24 * 3600
    # Most punches land near the usual office hours, so that late, early and window edges are hit.
    near_hours = st.builds(
        lambda offset, hour, second, micro: (
            dt.datetime.combine(days[offset].work_date, dt.time(hour), WITA)
            + dt.timedelta(seconds=second, microseconds=micro)
        ),
        st.integers(0, len(days) - 1),
        st.sampled_from([4, 6, 7, 10, 11, 12, 15, 16, 21, 22]),
        st.integers(-1800, 5400),
        st.sampled_from([0, 0, 0, 1, 500_000, 999_999]),
    )
    anywhere = st.integers(0, span).map(lambda seconds: begin + dt.timedelta(seconds=seconds))
    # Within a minute and a half of a boundary: start, end, midpoint, window and WFA window edges.
    boundaries = [
        moment
        for day in days
        if day.is_working
        for moment in (
            day.start,
            day.end,
            day.midpoint,
            day.window_start,
            day.window_end,
            *(edge for window in day.windows for edge in window),
        )
    ]
    near_boundary = st.builds(
        lambda moment, second, micro: moment + dt.timedelta(seconds=second, microseconds=micro),
        st.sampled_from(boundaries),
        st.integers(-90, 90),
        st.sampled_from([0, 0, 1, 999_999]),
    )
    instants = draw(st.lists(st.one_of(near_hours, near_boundary, near_boundary, anywhere), max_size=30))
    punches = [
        PunchInput(instant=instant, state=draw(st.sampled_from([0, 1, 255])), punch_id=number)
        for number, instant in enumerate(instants, start=1)
    ]
    if punches:
        # The same instant delivered twice, by another state or device.
        repeats = draw(st.lists(st.sampled_from(punches), max_size=3))
        punches += [
            PunchInput(instant=item.instant, state=draw(st.sampled_from([0, 1])), punch_id=100 + number)
            for number, item in enumerate(repeats)
        ]

    holiday_dates = draw(st.sets(st.sampled_from([day.work_date for day in days]), max_size=3))
    holidays = [HolidayInput(date=day, name=f"Libur {day.isoformat()}") for day in sorted(holiday_dates)]
    now = draw(st.one_of(st.just(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)), anywhere))
    return days, punches, holidays, now


def engine_values(result) -> tuple:
    return (
        result.work_date,
        result.status,
        result.is_working_day,
        result.check_in,
        result.check_out,
        result.late_minutes,
        result.early_minutes,
        result.late_code,
        result.early_code,
        result.worked_minutes,
        tuple(result.flags),
        result.holiday_name,
    )


def fast_values(result) -> tuple:
    plan, status, is_working_day, check_in, check_out, *numbers_and_codes, flags, holiday_name = result
    return (
        plan.work_date,
        status,
        is_working_day,
        from_micros(check_in) if check_in is not None else None,
        from_micros(check_out) if check_out is not None else None,
        *numbers_and_codes,
        flags,
        holiday_name,
    )


@settings(max_examples=600, deadline=None)
@given(scenario=scenarios())
def test_fast_path_matches_engine(scenario):
    days, punches, holidays, now = scenario
    first, last = days[1].work_date, days[-2].work_date
    by_date = {holiday.date: holiday for holiday in holidays}
    plans = [day_plan(day, by_date.get(day.work_date)) for day in days]
    instants = [to_micros(punch.instant) for punch in punches]

    expected = [
        engine_values(result)
        for result in compute_days(days, punches=punches, holidays=holidays, now=now)
        if first <= result.work_date <= last
    ]
    plans_for_fast_path = plan_set(plans)
    fast = evaluate_office_days(plans_for_fast_path, instants, now=to_micros(now), first=first, last=last)

    assert plans_for_fast_path is not None
    assert [fast_values(result) for result in fast] == expected


def test_plans_with_shift_do_not_qualify():
    from .helpers import rs_shifts

    night = rs_shifts(("2024-03-04", "MALAM"))[0]
    plans = [day_plan(day, None) for day in KANTOR_DAYS[:2]] + [day_plan(night, None)]

    assert not plans_qualify(plans)


def test_overlapping_windows_do_not_qualify():
    monday = KANTOR_DAYS[2]
    stretched = dataclasses.replace(monday, window_end=monday.window_end + dt.timedelta(hours=12))
    plans = [day_plan(stretched, None), day_plan(KANTOR_DAYS[3], None)]

    assert not plans_qualify(plans)


def test_micros_round_trip_exactly():
    instant = dt.datetime(2026, 4, 15, 7, 29, 59, 999_999, tzinfo=WITA)

    assert to_micros(instant) == 1776209399999999
    assert from_micros(1776209399999999) == instant


def _both_paths(days, texts, now):
    """Compute `days` with the engine and with the fast path, and return both value tuples by ISO date."""
    punches = [PunchInput(instant=dt.datetime.fromisoformat(text).replace(tzinfo=WITA), punch_id=number)
               for number, text in enumerate(texts, start=1)]
    engine = {result.work_date.isoformat(): engine_values(result)
              for result in compute_days(days, punches=punches, now=now)}
    plans = plan_set([day_plan(day, None) for day in days])
    fast = {result[0].work_date.isoformat(): fast_values(result)
            for result in evaluate_office_days(plans, [to_micros(punch.instant) for punch in punches],
                                               now=to_micros(now), first=days[0].work_date,
                                               last=days[-1].work_date)}
    return engine, fast


def test_open_day_no_early_leave():
    """A check-in at 07:31 seen at 08:16: the check-out may still come, so no PSW code yet."""
    days = KANTOR_DAYS[3:6]  # Tuesday 5 to Thursday 7 March 2024
    texts = ["2024-03-05 07:31:00"]
    seen_at = dt.datetime(2024, 3, 5, 8, 16, tzinfo=WITA)

    engine_open, fast_open = _both_paths(days, texts, seen_at)
    engine_closed, fast_closed = _both_paths(days, texts, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))

    # (status, late minutes, early minutes, late code, early code, flags)
    assert [engine_open["2024-03-05"][index] for index in (1, 5, 6, 7, 8, 10)] == [
        "BELUM_FINAL", 1, None, "TL1", "", ()]
    assert fast_open == engine_open
    assert [engine_closed["2024-03-05"][index] for index in (1, 5, 6, 7, 8, 10)] == [
        "TIDAK_LENGKAP", 1, None, "TL1", "PSW4", ("MISSING_CHECK_OUT",)]
    assert fast_closed == engine_closed


def test_open_wfa_day_no_early_leave():
    """A WFA Friday with the first window punched, seen before the last window closes."""
    friday = next(day for day in KALTIM_DAYS if day.work_date == dt.date(2026, 4, 10))
    days = [friday]
    first_window_start = friday.windows[0][0].astimezone(WITA).replace(tzinfo=None)
    texts = [(first_window_start + dt.timedelta(minutes=5)).isoformat(sep=" ")]
    seen_at = friday.windows[0][1] + dt.timedelta(minutes=1)

    engine_open, fast_open = _both_paths(days, texts, seen_at)
    engine_closed, fast_closed = _both_paths(days, texts, friday.window_end + dt.timedelta(seconds=1))

    assert [engine_open["2026-04-10"][index] for index in (1, 6, 8, 10)] == ["BELUM_FINAL", None, "", ()]
    assert fast_open == engine_open
    assert [engine_closed["2026-04-10"][index] for index in (1, 6, 8, 10)] == [
        "TIDAK_LENGKAP", None, "PSW4", ("MISSING_CHECK_OUT",)]
    assert fast_closed == engine_closed
