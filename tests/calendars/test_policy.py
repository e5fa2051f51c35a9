"""The policy document: the Kaltim seed, its schedule history, validation, import and export."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sao.attendance.engine import DayMode
from sao.audit.models import AuditEntry
from sao.calendars.holidays import holidays_between
from sao.calendars.models import PolicyVersion
from sao.calendars.policy import PolicyError, parse_policy
from sao.calendars.services import SEED_POLICY, active_policy, policy_import

WITA = "Asia/Makassar"


@pytest.fixture(scope="module")
def kaltim():
    return parse_policy(SEED_POLICY.read_text(encoding="utf-8"))


def hours(policy, profile_code: str, day: str) -> tuple[str, str] | None:
    schedule = policy.office_day(policy.profiles[profile_code], dt.date.fromisoformat(day), WITA)
    if not schedule.is_working:
        return None
    local = [
        moment.astimezone(schedule.start.tzinfo).strftime("%H:%M")
        for moment in (schedule.start, schedule.end)
    ]
    return local[0], local[1]


def test_kaltim_history_by_date(kaltim):
    cases = [
        ("KANTOR-5", "2023-05-08", ("08:00", "16:30")),  # Monday, SE 2022
        ("KANTOR-5", "2023-05-12", ("08:00", "12:00")),  # Friday, SE 2022
        ("KANTOR-5", "2025-06-02", ("07:30", "16:00")),  # Monday, SE 2025
        ("KANTOR-5", "2025-06-06", ("07:30", "11:00")),  # Friday, SE 2025
        ("KANTOR-5", "2025-06-07", None),  # Saturday
        ("KANTOR-6", "2025-06-06", ("07:30", "11:30")),
        ("KANTOR-6", "2025-06-07", ("07:30", "11:00")),
        ("KANTOR-6", "2023-05-13", ("07:30", "11:00")),
        ("KANTOR-6", "2026-02-20", ("07:30", "11:30")),  # front-line units keep Friday hours
    ]
    for profile, day, expected in cases:
        assert hours(kaltim, profile, day) == expected, (profile, day)


def test_friday_wfa_windows_from_13_february_2026(kaltim):
    before = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 2, 6), WITA)
    after = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 2, 13), WITA)

    assert before.mode == DayMode.CHECK_IN_OUT
    assert after.mode == DayMode.WINDOWS
    assert [(first.strftime("%H:%M"), last.strftime("%H:%M")) for first, last in after.windows] == [
        ("06:30", "07:30"),
        ("11:00", "13:00"),
    ]
    assert after.window_end.strftime("%H:%M") == "13:00"
    assert "100.3.4/739" in after.legal_basis


def test_ramadan_2026_overrides_office_hours(kaltim):
    thursday = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 2, 19), WITA)
    friday = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 2, 20), WITA)
    after = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 3, 23), WITA)

    assert (thursday.start.strftime("%H:%M"), thursday.end.strftime("%H:%M")) == ("08:00", "15:30")
    assert "RAMADAN-2026" in thursday.rule_version
    assert [(first.strftime("%H:%M"), last.strftime("%H:%M")) for first, last in friday.windows] == [
        ("07:00", "08:00"),
        ("11:00", "13:00"),
    ]
    assert hours(kaltim, "KANTOR-5", "2026-02-18") == ("07:30", "16:00")
    assert (after.start.strftime("%H:%M"), after.end.strftime("%H:%M")) == ("07:30", "16:00")


def test_ramadan_2026_has_19_working_days(kaltim):
    holidays = holidays_between(kaltim, dt.date(2026, 2, 19), dt.date(2026, 3, 20))
    working = [
        day
        for day in (dt.date(2026, 2, 19) + dt.timedelta(days=offset) for offset in range(30))
        if kaltim.office_day(kaltim.profiles["KANTOR-5"], day, WITA).is_working
        and day not in holidays
        and "RAMADAN-2026" in kaltim.office_day(kaltim.profiles["KANTOR-5"], day, WITA).rule_version
    ]
    assert len(working) == 19
    assert working[-1] == dt.date(2026, 3, 17)


def test_ramadan_2025_six_day_hours(kaltim):
    assert hours(kaltim, "KANTOR-6", "2025-03-07") == ("08:00", "11:25")
    assert hours(kaltim, "KANTOR-6", "2025-03-08") == ("08:00", "13:25")
    assert hours(kaltim, "KANTOR-5", "2025-03-07") == ("08:00", "11:00")


def test_working_days_2026_per_month(kaltim):
    expected = [20, 18, 17, 21, 16, 20, 23, 19, 22, 22, 21, 21]
    holidays = holidays_between(kaltim, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    counts = [0] * 12
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        if day.weekday() < 5 and day not in holidays:
            counts[day.month - 1] += 1
        day += dt.timedelta(days=1)
    assert counts == expected
    assert sum(counts) == 240


def test_holidays_include_cuti_bersama(kaltim):
    holidays = holidays_between(kaltim, dt.date(2026, 3, 16), dt.date(2026, 3, 24))
    assert holidays[dt.date(2026, 3, 18)].category == "CB"
    assert holidays[dt.date(2026, 3, 19)].category == "LN"
    assert set(holidays) == {dt.date(2026, 3, day) for day in (18, 19, 20, 21, 22, 23, 24)}


def test_invalid_document_names_every_key():
    text = """
format: 1
rules: {late_edges: [1, 31, 61], pairing: middle}
profiles:
  KANTOR:
    versions:
      - valid_from: 2025-02-30
        days:
          mon: {start: "16:00", end: "07:30"}
          fri: {mode: windows, windows: [["06:30", "07:30"]]}
shifts:
  MALAM: {start: "25:00", end: "07:00"}
unit_profiles:
  by_schedule_profile: {5day: KANTOR, 6day: KANTOR, shift: NOPE}
tpp_tables:
  - {code: T, valid_from: 2020-01-01, base: salary, rates: {TL1: 200}}
"""
    with pytest.raises(PolicyError) as error:
        parse_policy(text)
    keys = [message.split(":")[0] for message in error.value.errors]

    assert "rules.late_edges" in keys
    assert "rules.pairing" in keys
    assert "profiles.KANTOR.versions[0].valid_from" in keys
    assert "profiles.KANTOR.versions[0].days.mon" in keys
    assert "profiles.KANTOR.versions[0].days.fri.windows" in keys
    assert "shifts.MALAM.start" in keys
    assert "unit_profiles.by_schedule_profile.shift" in keys
    assert "tpp_tables[0].base" in keys
    assert "tpp_tables[0].rates.TL1" in keys


def test_not_yaml_is_reported():
    from django.utils import translation

    with translation.override("en"), pytest.raises(PolicyError) as error:
        parse_policy("profiles: [unclosed")
    assert "not valid YAML" in error.value.errors[0]


@pytest.mark.django_db
def test_seed_is_version_one():
    assert PolicyVersion.objects.get(number=1).document == SEED_POLICY.read_text(encoding="utf-8")
    assert active_policy().profiles["KANTOR-5"].name == "Five-day office"


@pytest.mark.django_db
def test_import_export_round_trip(tmp_path: Path):
    source = Path(__file__).resolve().parent.parent / "attendance" / "profiles" / "kantor.yaml"
    output = StringIO()

    call_command("policy", "import", str(source), "--legal-basis", "SE test 1/2026", stdout=output)
    exported = tmp_path / "out.yaml"
    call_command("policy", "export", str(exported), stdout=output)

    assert exported.read_text() == source.read_text()
    assert active_policy().version == 2
    entry = AuditEntry.objects.get(action="policy.import")
    assert entry.reason == "SE test 1/2026"
    assert entry.old_value["version"] == 1


@pytest.mark.django_db
def test_import_rejects_invalid_file_and_keeps_policy(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nprofiles: {}\nunit_profiles: {by_schedule_profile: {}}\n")

    with pytest.raises(CommandError) as error:
        call_command("policy", "import", str(bad), "--legal-basis", "x")

    assert "unit_profiles.by_schedule_profile" in str(error.value)
    assert PolicyVersion.objects.count() == 1


@pytest.mark.django_db
def test_import_needs_legal_basis():
    with pytest.raises(PolicyError):
        policy_import(document=SEED_POLICY.read_text(), legal_basis="  ", actor_label="test")
    assert PolicyVersion.objects.count() == 1


def test_friday_wfa_day_needs_a_punch_in_each_window(kaltim):
    from sao.attendance.engine import PunchInput, compute_days

    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    friday = kaltim.office_day(kaltim.profiles["KANTOR-5"], dt.date(2026, 4, 10), WITA)

    def at(*times):
        return [
            PunchInput(
                instant=dt.datetime.fromisoformat(f"2026-04-10 {time}").replace(tzinfo=friday.start.tzinfo)
            )
            for time in times
        ]

    (both,) = compute_days([friday], punches=at("07:10:00", "11:30:00"), now=later)
    (morning,) = compute_days([friday], punches=at("07:10:00"), now=later)
    (late,) = compute_days([friday], punches=at("08:30:00", "11:30:00"), now=later)
    (none,) = compute_days([friday], punches=[], now=later)

    assert (both.status, both.late_code, both.early_code) == ("HADIR", "", "")
    assert (morning.status, morning.early_code) == ("TIDAK_LENGKAP", "PSW4")
    assert (late.status, late.late_code) == ("TIDAK_LENGKAP", "TL4")
    assert none.status == "TK"


@pytest.mark.django_db
def test_import_with_recompute_from(tmp_path: Path):
    from sao.attendance.models import DailyResult
    from tests.attendance.helpers import new_employee
    from tests.conftest import make_unit

    unit = make_unit("OPD-R", "opd")
    employee = new_employee(unit, "Recomputed")
    source = Path(__file__).resolve().parent.parent / "attendance" / "profiles" / "kantor.yaml"
    output = StringIO()
    start = dt.date.today() - dt.timedelta(days=6)

    call_command(
        "policy",
        "import",
        str(source),
        "--legal-basis",
        "SE 2/2026",
        "--recompute-from",
        start.isoformat(),
        stdout=output,
    )

    assert "Menghitung ulang 7 hasil untuk 1 pegawai" in output.getvalue()
    assert DailyResult.objects.filter(employee=employee).count() == 7
    assert set(DailyResult.objects.values_list("rule_version", flat=True)) <= {"v2:KANTOR@2020-01-01"}


@pytest.mark.django_db
def test_active_policy_follows_document_not_number():
    first = (Path(__file__).resolve().parent.parent / "attendance" / "profiles" / "kantor.yaml").read_text()
    second = first.replace("name: KANTOR test profile", "name: Another profile")
    PolicyVersion.objects.create(number=7, document=first, legal_basis="x")
    assert active_policy().name == "KANTOR test profile"

    PolicyVersion.objects.filter(number=7).update(document=second)

    assert active_policy().name == "Another profile"
