"""Attendance computation cases under the KANTOR and RS test profiles (pure engine, no database)."""

from __future__ import annotations

import datetime as dt

from sao.attendance.engine import AbsenceInput, Flag, OutageWindow, Status, compute_days

from .helpers import LATER, compute_kantor, local_hhmm, punches, rs_shifts, wita


def test_day_bucketing_uses_wita():
    # 07:25 WITA on Monday is 23:25 UTC on Sunday, and 07:20 on Friday 1 March is 29 February in UTC.
    results = compute_kantor(
        "2024-02-29",
        "2024-03-04",
        [
            "2024-03-04 07:25:00",
            "2024-03-04 16:05:00",
            "2024-03-01 07:20:00",
            "2024-03-01 16:40:00",
        ],
    )
    monday, friday, sunday = results["2024-03-04"], results["2024-03-01"], results["2024-03-03"]

    assert monday.check_in == dt.datetime(2024, 3, 3, 23, 25, tzinfo=dt.UTC)
    assert monday.check_out == dt.datetime(2024, 3, 4, 8, 5, tzinfo=dt.UTC)
    assert (monday.status, monday.late_minutes, monday.early_minutes) == (Status.HADIR, 0, 0)
    assert friday.check_in == dt.datetime(2024, 2, 29, 23, 20, tzinfo=dt.UTC)
    assert (friday.status, friday.late_minutes, friday.early_minutes) == (Status.HADIR, 0, 0)
    assert friday.work_date.month == 3
    assert sunday.status == Status.LIBUR
    assert sunday.punches == ()
    assert results["2024-02-29"].status == Status.TK


def test_server_zone_does_not_move_punches():
    # Instants are aware, so the server time zone plays no part: 07:29 and 16:02 WITA on Tuesday.
    results = compute_kantor("2024-03-19", "2024-03-19", ["2024-03-19 07:29:00", "2024-03-19 16:02:00"])
    day = results["2024-03-19"]

    assert day.check_in == dt.datetime(2024, 3, 18, 23, 29, tzinfo=dt.UTC)
    assert day.check_out == dt.datetime(2024, 3, 19, 8, 2, tzinfo=dt.UTC)
    assert (local_hhmm(day.check_in), local_hhmm(day.check_out)) == ("07:29", "16:02")
    assert (day.status, day.late_minutes, day.early_minutes) == (Status.HADIR, 0, 0)


def test_night_shift_then_sore():
    days = rs_shifts(("2024-03-04", "MALAM"), ("2024-03-05", "SORE"))
    monday, tuesday = compute_days(
        days,
        punches=punches(
            "2024-03-04 20:52:10",
            "2024-03-05 07:06:40",
            "2024-03-05 13:55:02",
            "2024-03-05 21:04:30",
        ),
        now=LATER,
    )

    assert (monday.work_date, monday.shift_code, monday.status) == (
        dt.date(2024, 3, 4),
        "MALAM",
        Status.HADIR,
    )
    assert monday.check_in == wita("2024-03-04 20:52:10")
    assert monday.check_out == wita("2024-03-05 07:06:40")
    assert (monday.late_minutes, monday.early_minutes, monday.worked_minutes) == (0, 0, 614)
    assert (tuesday.shift_code, tuesday.status) == ("SORE", Status.HADIR)
    assert (local_hhmm(tuesday.check_in), local_hhmm(tuesday.check_out)) == ("13:55", "21:04")
    assert (tuesday.late_minutes, tuesday.early_minutes) == (0, 0)
    assert len(tuesday.punches) == 2


def test_early_leave_after_on_time_arrival():
    before_close = wita("2024-03-20 21:59:00")
    after_close = wita("2024-03-20 22:00:01")
    texts = ["2024-03-20 07:25:10", "2024-03-20 12:00:30"]

    open_day = compute_kantor("2024-03-20", "2024-03-20", texts, now=before_close)["2024-03-20"]
    closed_day = compute_kantor("2024-03-20", "2024-03-20", texts, now=after_close)["2024-03-20"]

    assert open_day.status == Status.BELUM_FINAL
    assert (closed_day.status, closed_day.late_minutes, closed_day.early_minutes) == (Status.HADIR, 0, 240)
    assert closed_day.early_code == "PSW4"
    assert (open_day.late_minutes, open_day.early_minutes) == (0, 240)


def test_missing_punches_never_pair_across_days(shared_attlog):
    texts = shared_attlog("BC-29_missing_punch.attlog")
    results = compute_kantor("2024-03-25", "2024-03-27", texts)
    monday, tuesday, wednesday = results["2024-03-25"], results["2024-03-26"], results["2024-03-27"]

    assert (monday.status, local_hhmm(monday.check_in), monday.check_out) == (
        Status.TIDAK_LENGKAP,
        "07:31",
        None,
    )
    assert (monday.late_minutes, monday.early_minutes) == (1, None)
    assert (monday.late_code, monday.early_code) == ("TL1", "PSW4")
    assert (tuesday.status, tuesday.late_minutes, tuesday.early_minutes) == (Status.HADIR, 0, 0)
    assert (wednesday.status, wednesday.check_in, local_hhmm(wednesday.check_out)) == (
        Status.TIDAK_LENGKAP,
        None,
        "16:05",
    )
    assert (wednesday.late_minutes, wednesday.early_minutes) == (None, 0)
    assert wednesday.late_code == "TL4"
    assert all(len(result.punches) <= 2 for result in results.values())
    assert monday.worked_minutes is None


def test_friday_has_its_own_end_time():
    results = compute_kantor(
        "2024-03-15",
        "2024-03-22",
        [
            "2024-03-21 07:30:40",
            "2024-03-21 16:05:00",
            "2024-03-22 07:30:40",
            "2024-03-22 16:05:00",
            "2024-03-15 07:28:00",
            "2024-03-15 16:30:00",
        ],
    )

    assert (results["2024-03-21"].late_minutes, results["2024-03-21"].early_minutes) == (0, 0)
    assert (results["2024-03-22"].late_minutes, results["2024-03-22"].early_minutes) == (0, 25)
    assert results["2024-03-22"].early_code == "PSW1"
    assert (results["2024-03-15"].late_minutes, results["2024-03-15"].early_minutes) == (0, 0)


def test_second_level_boundaries():
    cases = [
        (["2024-03-18 07:30:59", "2024-03-18 15:59:59"], 0, 1, 509),
        (["2024-03-18 07:31:00", "2024-03-18 16:00:00"], 1, 0, 509),
        (["2024-03-18 07:29:59", "2024-03-18 16:00:59"], 0, 0, 511),
    ]
    for texts, late, early, worked in cases:
        day = compute_kantor("2024-03-18", "2024-03-18", texts)["2024-03-18"]
        assert (day.late_minutes, day.early_minutes, day.worked_minutes) == (late, early, worked), texts


def test_worked_thresholds_most_severe_first():
    from dataclasses import replace

    from .helpers import kantor_days

    def status_for(out_time, absent, half_day):
        day = kantor_days(dt.date(2024, 3, 19), dt.date(2024, 3, 19))[0]
        day = replace(
            day, rules=replace(day.rules, absent_below_minutes=absent, half_day_below_minutes=half_day)
        )
        (result,) = compute_days(
            [day], punches=punches("2024-03-19 07:30:00", f"2024-03-19 {out_time}:00"), now=LATER
        )
        return result.status, result.worked_minutes, result.early_minutes

    assert status_for("09:12", 240, 450) == (Status.TK, 102, 408)
    assert status_for("12:30", 240, 450) == (Status.SETENGAH_HARI, 300, 210)
    assert status_for("15:00", 240, 450) == (Status.HADIR, 450, 60)
    assert status_for("09:30", 240, None)[0] == Status.TK
    assert status_for("09:30", None, 240)[0] == Status.SETENGAH_HARI


def test_holidays_and_weekends_are_not_tk():
    leave = AbsenceInput(code="CUTI", start_date=dt.date(2024, 3, 7), end_date=dt.date(2024, 3, 12))
    results = compute_kantor(
        "2024-03-07", "2024-03-12", holidays=["2024-03-11", "2024-03-29"], absences=[leave]
    )

    statuses = [results[f"2024-03-{day:02d}"].status for day in range(7, 13)]
    assert statuses == ["CUTI", "CUTI", Status.LIBUR, Status.LIBUR, Status.LIBUR, "CUTI"]
    charged = sum(1 for result in results.values() if result.status == "CUTI")
    assert charged == 3
    assert not any(result.status == Status.TK for result in results.values())


def test_punches_on_leave_and_weekend():
    leave = AbsenceInput(code="CUTI", start_date=dt.date(2024, 3, 14), end_date=dt.date(2024, 3, 14))
    results = compute_kantor(
        "2024-03-14",
        "2024-03-16",
        [
            "2024-03-14 07:35:00",
            "2024-03-14 16:00:00",
            "2024-03-16 08:10:00",
            "2024-03-16 12:02:00",
        ],
        absences=[leave],
    )
    thursday, saturday = results["2024-03-14"], results["2024-03-16"]

    assert thursday.status == "CUTI"
    assert Flag.PUNCH_ON_LEAVE in thursday.flags
    assert len(thursday.punches) == 2
    assert (thursday.late_minutes, thursday.late_code) == (None, "")
    assert saturday.status == Status.LIBUR
    assert Flag.WORK_ON_HOLIDAY in saturday.flags
    assert saturday.worked_minutes == 232
    assert (saturday.late_minutes, saturday.early_minutes) == (None, None)


def test_monthly_recap_lists_every_day():
    texts = [f"2024-03-0{day} {time}" for day in (4, 5, 6) for time in ("07:25:00", "16:05:00")]
    results = compute_kantor("2024-03-01", "2024-03-31", texts, holidays=["2024-03-11", "2024-03-29"])

    statuses = [result.status for result in results.values()]
    assert len(results) == 31
    assert statuses.count(Status.HADIR) == 3
    assert statuses.count(Status.TK) == 16
    assert statuses.count(Status.LIBUR) == 12
    assert statuses.count("CUTI") == 0
    assert statuses.count("DL") == 0
    assert sum(1 for result in results.values() if result.is_working_day) == 19


def test_only_suspect_punches_need_verification():
    results = compute_kantor("2024-03-18", "2024-03-18")
    days = results["2024-03-18"]
    assert days.status == Status.TK

    from .helpers import kantor_days

    day = kantor_days(dt.date(2024, 3, 18), dt.date(2024, 3, 18))
    (result,) = compute_days(
        day, punches=punches("2024-03-18 09:00:00", "2024-03-18 16:00:00", suspect=True), now=LATER
    )
    assert result.status == Status.PERLU_VERIFIKASI
    assert Flag.SUSPECT_PUNCH in result.flags


def test_device_outage_turns_tk_into_verification():
    from .helpers import kantor_days

    day = kantor_days(dt.date(2024, 3, 18), dt.date(2024, 3, 18))
    outage = OutageWindow(start=wita("2024-03-18 06:00:00"), end=wita("2024-03-18 12:00:00"))
    (result,) = compute_days(day, outages=[outage], now=LATER)

    assert result.status == Status.PERLU_VERIFIKASI
    assert Flag.DEVICE_OUTAGE in result.flags


def test_punch_outside_window_is_flagged():
    results = compute_kantor(
        "2024-03-18", "2024-03-18", ["2024-03-18 03:00:00", "2024-03-18 07:30:00", "2024-03-18 16:00:00"]
    )
    day = results["2024-03-18"]

    assert day.status == Status.HADIR
    assert Flag.PUNCH_OUTSIDE_WINDOW in day.flags
    assert local_hhmm(day.check_in) == "07:30"


def test_rostered_shift_works_on_holiday():
    from dataclasses import replace

    from sao.attendance.engine import HolidayInput

    shift = rs_shifts(("2024-03-11", "PAGI"))[0]
    holiday = [HolidayInput(date=dt.date(2024, 3, 11), name="Nyepi")]
    texts = punches("2024-03-11 06:55:00", "2024-03-11 14:02:00")

    (worked,) = compute_days([shift], punches=texts, holidays=holiday, now=LATER)
    (off,) = compute_days(
        [replace(shift, works_on_holiday=False)], punches=texts, holidays=holiday, now=LATER
    )

    assert (worked.status, worked.late_minutes, worked.early_minutes) == (Status.HADIR, 0, 0)
    assert worked.is_working_day is True
    assert off.status == Status.LIBUR
    assert Flag.WORK_ON_HOLIDAY in off.flags
