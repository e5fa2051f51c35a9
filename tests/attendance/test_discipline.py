"""PP 94/2021 thresholds at every boundary, consecutive runs, and the PPPK mapping."""

from __future__ import annotations

import datetime as dt

from sao.attendance.discipline import discipline_flag, level_for_days

START = dt.date(2026, 1, 5)  # a Monday


def working_days(count: int) -> list[dt.date]:
    """Return `count` Monday-to-Friday dates from START."""
    days, day = [], START
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def scattered_tk(count: int) -> list[tuple[dt.date, str]]:
    """TK on every other working day, so no run is longer than one day."""
    days = working_days(count * 2)
    return [(day, "TK" if index % 2 == 0 else "HADIR") for index, day in enumerate(days)]


def test_thresholds_at_every_boundary():
    table = [
        (2, "", ""),
        (3, "RINGAN", "TEGURAN_LISAN"),
        (6, "RINGAN", "TEGURAN_TERTULIS"),
        (7, "RINGAN", "PERNYATAAN_TIDAK_PUAS"),
        (10, "RINGAN", "PERNYATAAN_TIDAK_PUAS"),
        (11, "SEDANG", "POTONG_TUKIN_25_6_BULAN"),
        (13, "SEDANG", "POTONG_TUKIN_25_6_BULAN"),
        (14, "SEDANG", "POTONG_TUKIN_25_9_BULAN"),
        (16, "SEDANG", "POTONG_TUKIN_25_9_BULAN"),
        (17, "SEDANG", "POTONG_TUKIN_25_12_BULAN"),
        (20, "SEDANG", "POTONG_TUKIN_25_12_BULAN"),
        (21, "BERAT", "TURUN_JABATAN_12_BULAN"),
        (24, "BERAT", "TURUN_JABATAN_12_BULAN"),
        (25, "BERAT", "BEBAS_JABATAN_12_BULAN"),
        (27, "BERAT", "BEBAS_JABATAN_12_BULAN"),
        (28, "BERAT", "PDH_TAPS"),
    ]
    for tk_days, level, sanction in table:
        flag = discipline_flag(days=scattered_tk(tk_days))
        assert (flag.tk_days, flag.level, flag.sanction) == (tk_days, level, sanction), tk_days
        assert level_for_days(tk_days) == (level, sanction)
    assert level_for_days(4) == ("RINGAN", "TEGURAN_TERTULIS")


def test_nine_and_ten_consecutive_days():
    nine = [(day, "TK") for day in working_days(9)]
    ten = [(day, "TK") for day in working_days(10)]

    assert discipline_flag(days=nine).sanction == "PERNYATAAN_TIDAK_PUAS"
    assert discipline_flag(days=nine).by_consecutive_run is False
    flag = discipline_flag(days=ten)
    assert (flag.level, flag.sanction, flag.by_consecutive_run, flag.longest_run) == (
        "BERAT",
        "PDH_TAPS",
        True,
        10,
    )
    assert flag.run_start == START


def test_weekends_and_holidays_do_not_break_a_run():
    days = [(day, "TK") for day in working_days(10)]
    holiday = days[4][0] + dt.timedelta(days=3)  # the Monday after the first Friday
    days = [(day, "LIBUR" if day == holiday else status) for day, status in days]

    flag = discipline_flag(days=days)

    assert flag.longest_run == 9
    assert flag.tk_days == 9


def test_present_day_breaks_run():
    days = [(day, "TK") for day in working_days(10)]
    days[5] = (days[5][0], "HADIR")
    assert discipline_flag(days=days).longest_run == 5


def test_pppk_mapped_to_their_sanctions():
    assert discipline_flag(days=scattered_tk(3), employee_kind="PPPK").sanction == "PPPK_TEGURAN_LISAN"
    assert discipline_flag(days=scattered_tk(11), employee_kind="PPPK").sanction == "PPPK_HUKDIS_SEDANG"
    ten = [(day, "TK") for day in working_days(10)]
    assert discipline_flag(days=ten, employee_kind="PPPK").sanction == "PPPK_PHPK"


def test_non_asn_gets_counts_without_level():
    ten = [(day, "TK") for day in working_days(10)]

    scattered = discipline_flag(days=scattered_tk(3), employee_kind="NON_ASN")
    run = discipline_flag(days=ten, employee_kind="NON_ASN")
    none = discipline_flag(days=[(day, "HADIR") for day in working_days(5)], employee_kind="NON_ASN")

    assert (scattered.tk_days, scattered.level, scattered.sanction) == (3, "", "CONTRACT_RULES")
    assert scattered.listed
    assert (run.tk_days, run.longest_run, run.level, run.sanction) == (10, 10, "", "CONTRACT_RULES")
    assert run.by_consecutive_run is False
    assert (none.tk_days, none.listed) == (0, False)
    assert discipline_flag(days=scattered_tk(3), employee_kind="CPNS").sanction == "TEGURAN_LISAN"
