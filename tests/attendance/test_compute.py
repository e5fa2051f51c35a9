"""Recompute against the real database: punches ingested through the devices app, the dirty
queue, bulk upserts, stale shifts, closed months and the `sao compute` command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sao.attendance.compute import recompute, recompute_dirty
from sao.attendance.dirty import mark_punches_dirty
from sao.attendance.models import DailyResult, DirtyDay
from sao.calendars.models import RosterEntry
from sao.calendars.services import policy_import, roster_apply
from tests.conftest import make_unit, shared_fixture

from .helpers import PROFILES, WITA, local_hhmm, new_employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def kantor(db):
    """Store the KANTOR test profile as the policy in force."""
    return policy_import(
        document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test"
    )


@pytest.fixture
def office(db):
    province = make_unit("PROV", "province")
    return make_unit("OPD-X", "opd", province, name="Dinas X")


@pytest.fixture
def ward(office):
    return make_unit("RS-WARD", "rsud", office, name="Ruang Melati", schedule_profile="shift")


def ingest(*, unit, employee, pin: str, lines: list[str], serial: str = "CQZ0000000001"):
    """Store ATTLOG lines (PIN, time, state, ...) through the devices app, mapped to `employee`."""
    from sao.devices.models import Device, PinMapping
    from sao.devices.records import PunchRecord
    from sao.devices.services import punches_ingest, raw_upload_store

    device, _created = Device.objects.get_or_create(
        serial=serial, defaults={"unit": unit, "status": "active", "time_zone": "Asia/Makassar"}
    )
    PinMapping.objects.get_or_create(
        device=device, pin=pin, employee=employee, defaults={"valid_from": dt.date(2020, 1, 1)}
    )
    body = "\n".join(lines).encode()
    upload = raw_upload_store(body=body, source="file", serial=serial, device=device, filename="test.attlog")
    records = []
    for number, line in enumerate(lines, start=1):
        columns = line.split("\t")
        records.append(
            PunchRecord(
                pin=columns[0],
                local_time=dt.datetime.fromisoformat(columns[1]),
                state=int(columns[2]),
                verify=int(columns[3]),
                line=number,
                raw=line,
            )
        )
    return punches_ingest(upload=upload, device=device, records=records)


def fixture_lines(name: str) -> list[str]:
    return [line for line in shared_fixture(f"cases/{name}").read_text().splitlines() if line.strip()]


def results_by_date(employee) -> dict[str, DailyResult]:
    return {
        f"{row.date.isoformat()}{'/' + row.shift_code if row.shift_code else ''}": row
        for row in DailyResult.objects.filter(employee=employee)
    }


def test_mark_punches_dirty_uses_unit_zone(office, ward, django_capture_on_commit_callbacks):
    clerk = new_employee(office, "Clerk")
    nurse = new_employee(ward, "Nurse")
    early_morning = dt.datetime(2024, 3, 4, 23, 6, tzinfo=dt.UTC)  # 07:06 WITA on Tue 5 March

    with django_capture_on_commit_callbacks():
        marked = mark_punches_dirty(
            punches=[
                (clerk.pk, early_morning),
                (nurse.pk, early_morning),
                (clerk.pk, early_morning),
                (None, early_morning),
            ]
        )

    assert marked == 3
    assert set(DirtyDay.objects.values_list("employee_id", "date")) == {
        (clerk.pk, dt.date(2024, 3, 5)),
        (nurse.pk, dt.date(2024, 3, 5)),
        (nurse.pk, dt.date(2024, 3, 4)),
    }


def test_ingested_punches_recompute_from_queue(kantor, office, django_capture_on_commit_callbacks):
    employee = new_employee(office, "Pegawai 1001")

    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(
            unit=office, employee=employee, pin="1001", lines=fixture_lines("BC-29_missing_punch.attlog")
        )
    assert result.accepted == 4
    assert DirtyDay.objects.filter(employee=employee).count() == 3

    stats = recompute_dirty(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    rows = results_by_date(employee)

    assert stats.results == 3
    assert DirtyDay.objects.count() == 0
    assert (rows["2024-03-25"].status, rows["2024-03-25"].late_minutes, rows["2024-03-25"].early_code) == (
        "TIDAK_LENGKAP",
        1,
        "PSW4",
    )
    assert (rows["2024-03-26"].status, rows["2024-03-26"].late_minutes, rows["2024-03-26"].early_minutes) == (
        "HADIR",
        0,
        0,
    )
    assert (rows["2024-03-27"].status, local_hhmm(rows["2024-03-27"].check_out)) == ("TIDAK_LENGKAP", "16:05")
    assert rows["2024-03-26"].rule_version.startswith(f"v{kantor.number}:KANTOR@")


def test_night_shift_roster_end_to_end(office, ward, django_capture_on_commit_callbacks):
    policy_import(document=(PROFILES / "rs.yaml").read_text(), legal_basis="test", actor_label="test")
    nurse = new_employee(ward, "Ns. Komang Astuti")
    with django_capture_on_commit_callbacks(execute=True):
        roster_apply(
            entries=[(nurse.pk, dt.date(2024, 3, 4), ["MALAM"]), (nurse.pk, dt.date(2024, 3, 5), ["SORE"])],
            actor_label="test",
        )
        ingest(unit=ward, employee=nurse, pin="3001", lines=fixture_lines("BC-25_night_then_sore.attlog"))

    recompute(start=dt.date(2024, 3, 3), end=dt.date(2024, 3, 6), now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    rows = results_by_date(nurse)

    assert rows["2024-03-04/MALAM"].status == "HADIR"
    assert (
        local_hhmm(rows["2024-03-04/MALAM"].check_in),
        local_hhmm(rows["2024-03-04/MALAM"].check_out),
    ) == ("20:52", "07:06")
    assert rows["2024-03-04/MALAM"].worked_minutes == 614
    assert rows["2024-03-05/SORE"].status == "HADIR"
    assert (local_hhmm(rows["2024-03-05/SORE"].check_in), local_hhmm(rows["2024-03-05/SORE"].check_out)) == (
        "13:55",
        "21:04",
    )
    assert rows["2024-03-03"].status == "LIBUR"
    assert rows["2024-03-06"].status == "LIBUR"


def test_roster_change_removes_stale_shift(office, ward):
    policy_import(document=(PROFILES / "rs.yaml").read_text(), legal_basis="test", actor_label="test")
    nurse = new_employee(ward, "Nurse")
    day = dt.date(2024, 3, 4)
    roster_apply(entries=[(nurse.pk, day, ["PAGI"])], actor_label="test")
    recompute(start=day, end=day)
    assert list(DailyResult.objects.filter(employee=nurse).values_list("shift_code", flat=True)) == ["PAGI"]

    roster_apply(entries=[(nurse.pk, day, ["MALAM"])], actor_label="test")
    recompute(start=day, end=day)

    assert list(DailyResult.objects.filter(employee=nurse).values_list("shift_code", "status")) == [
        ("MALAM", "TK")
    ]


def test_queries_do_not_grow_with_employees(kantor, office):
    def count_queries():
        # Bulk inserts are split into batches by the database's parameter limit, so they are
        # counted apart from the reads.
        with CaptureQueriesContext(connection) as context:
            recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
        sql = [query["sql"] for query in context.captured_queries]
        inserts = sum(1 for text in sql if text.startswith("INSERT"))
        return len(sql) - inserts, inserts

    new_employee(office, "One")
    few_reads, _few_inserts = count_queries()
    for number in range(8):
        new_employee(office, f"Many {number}")
    many_reads, many_inserts = count_queries()

    assert DailyResult.objects.count() == 9 * 31
    assert many_reads == few_reads
    assert many_inserts < 9


def test_compute_command_month(kantor, office):
    employee = new_employee(office, "Pegawai 1014")
    from sao.calendars.services import holiday_override_save

    holiday_override_save(
        date=dt.date(2024, 3, 11), name="Nyepi", category="LN", legal_basis="test", actor_label="test"
    )
    holiday_override_save(
        date=dt.date(2024, 3, 29),
        name="Wafat Isa Almasih",
        category="LN",
        legal_basis="test",
        actor_label="test",
    )
    lines = [
        f"1014\t2024-03-0{day} {time}\t0\t1\t0\t0" for day in (4, 5, 6) for time in ("07:25:00", "16:05:00")
    ]
    ingest(unit=office, employee=employee, pin="1014", lines=lines)
    output = StringIO()

    call_command("compute", "--from", "2024-03-01", "--to", "2024-03-31", "--unit", "OPD-X", stdout=output)
    statuses = list(DailyResult.objects.filter(employee=employee).values_list("status", flat=True))

    # The command writes in the active language, Indonesian by default.
    assert "31 hasil untuk 1 pegawai dihitung" in output.getvalue()
    assert "31 ditulis, 0 tidak berubah" in output.getvalue()
    assert len(statuses) == 31
    assert (statuses.count("HADIR"), statuses.count("TK"), statuses.count("LIBUR")) == (3, 16, 12)
    assert DailyResult.objects.filter(employee=employee, is_working_day=True).count() == 19


def test_inactive_legal_status_has_no_results(kantor, office):
    from sao.org.models import LegalStatusPeriod

    employee = new_employee(office, "On study leave")
    LegalStatusPeriod.objects.filter(employee=employee).update(valid_to=dt.date(2024, 3, 14))
    LegalStatusPeriod.objects.create(employee=employee, status="03", valid_from=dt.date(2024, 3, 15))

    recompute(start=dt.date(2024, 3, 11), end=dt.date(2024, 3, 22))

    dates = set(DailyResult.objects.filter(employee=employee).values_list("date", flat=True))
    assert dates == {dt.date(2024, 3, day) for day in range(11, 15)}


@pytest.mark.parametrize("server_zone", ["Asia/Jakarta", "UTC"])
def test_wall_time_stored_as_utc_instant(kantor, office, settings, server_zone):
    settings.TIME_ZONE = server_zone
    employee = new_employee(office, "Pegawai 1001")
    ingest(
        unit=office,
        employee=employee,
        pin="1001",
        lines=["1001\t2024-03-19 07:29:00\t0\t1\t0\t0", "1001\t2024-03-19 16:02:00\t1\t1\t0\t0"],
    )

    recompute(start=dt.date(2024, 3, 19), end=dt.date(2024, 3, 19))
    row = DailyResult.objects.get(employee=employee)

    assert row.check_in == dt.datetime(2024, 3, 18, 23, 29, tzinfo=dt.UTC)
    assert row.check_in.astimezone(WITA).strftime("%H:%M") == "07:29"
    assert (row.status, row.late_minutes, row.early_minutes) == ("HADIR", 0, 0)


def test_employee_schedule_overrides_unit(kantor, office, django_capture_on_commit_callbacks):
    from sao.calendars.services import employee_schedule_assign

    nurse_in_office = new_employee(office, "Rostered clerk")
    with django_capture_on_commit_callbacks(execute=True):
        employee_schedule_assign(
            employee=nurse_in_office, profile_code="RS", valid_from=dt.date(2024, 3, 4), actor_label="test"
        )
        roster_apply(entries=[(nurse_in_office.pk, dt.date(2024, 3, 5), ["PAGI"])], actor_label="test")

    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 5))
    rows = results_by_date(nurse_in_office)

    assert rows["2024-03-01"].status == "TK"  # Friday under the unit's KANTOR profile
    assert rows["2024-03-04"].status == "LIBUR"  # no roster entry: a day off
    assert rows["2024-03-05/PAGI"].status == "TK"
    assert "2024-03-05" not in rows


def test_compute_command_queued(kantor, office, django_capture_on_commit_callbacks):
    employee = new_employee(office, "Queued")
    with django_capture_on_commit_callbacks(execute=True):
        ingest(unit=office, employee=employee, pin="77", lines=["77\t2024-03-19 07:29:00\t0\t1\t0\t0"])
    output = StringIO()

    call_command("compute", "--queued", stdout=output)

    assert "1 hasil untuk 1 pegawai dihitung" in output.getvalue()
    assert DailyResult.objects.get(employee=employee).status == "TIDAK_LENGKAP"
    assert not DirtyDay.objects.exists()


def test_huey_task_drains_queue(kantor, office):
    from sao.attendance.dirty import mark_days_dirty
    from sao.attendance.tasks import recompute_dirty_task

    employee = new_employee(office, "Task")
    mark_days_dirty(days=[(employee.pk, dt.date(2024, 3, 18))])

    recompute_dirty_task.call_local()

    assert DailyResult.objects.get(employee=employee).status == "TK"
    assert not DirtyDay.objects.exists()


def test_tpp_deductions_from_stored_results(office):
    from decimal import Decimal

    from sao.attendance.tpp import month_deductions_for
    from sao.calendars.services import active_policy

    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    employee = new_employee(office, "TPP")
    ingest(
        unit=office,
        employee=employee,
        pin="88",
        lines=["88\t2024-03-04 08:05:00\t0\t1\t0\t0", "88\t2024-03-04 16:00:00\t1\t1\t0\t0"],
    )
    recompute(start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 5))
    from sao.calendars.policy import parse_policy
    from sao.calendars.services import SEED_POLICY

    tables = parse_policy(SEED_POLICY.read_text()).tpp_tables

    deduction = month_deductions_for(
        employee_amounts={employee.pk: Decimal(1_000_000)}, month=dt.date(2024, 3, 1), tables=tables
    )[employee.pk]

    assert [item.codes for item in deduction.days] == [("TL2",), ("TK",)]
    assert deduction.percent_of_base == Decimal("2.5")
    assert deduction.amount == Decimal(10_000)
    assert active_policy().tpp_tables == ()


# serialized_rollback restores the policy seeded by the migrations after the table flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_workers_match_serial(monkeypatch):
    from sao.attendance import compute

    if connection.vendor != "postgresql":
        pytest.skip("worker processes run on PostgreSQL only; SQLite computes the chunks in turn")
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    unit = make_unit("OPD-P", "opd")
    employees = [new_employee(unit, f"Parallel {number}") for number in range(5)]
    monkeypatch.setattr(compute, "CHUNK_SIZE", 2)

    parallel = recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31), workers=2)
    rows = sorted(DailyResult.objects.values_list("employee_id", "date", "status"))
    serial = recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31), workers=1)

    assert parallel.results == serial.results == 5 * 31
    assert parallel.by_status == serial.by_status
    assert rows == sorted(DailyResult.objects.values_list("employee_id", "date", "status"))
    assert {employee_id for employee_id, _day, _status in rows} == {employee.pk for employee in employees}


def test_upsert_updates_changed_rows_only(kantor, office):
    employee = new_employee(office, "Upsert")
    other = new_employee(office, "Untouched")
    recompute(start=dt.date(2024, 3, 19), end=dt.date(2024, 3, 19))
    before = dict(DailyResult.objects.values_list("employee_id", "computed_at"))

    ingest(unit=office, employee=employee, pin="55", lines=["55\t2024-03-19 07:40:00\t0\t1\t0\t0"])
    recompute(start=dt.date(2024, 3, 19), end=dt.date(2024, 3, 19))
    changed = DailyResult.objects.get(employee=employee)
    untouched = DailyResult.objects.get(employee=other)

    assert (changed.status, changed.late_minutes, changed.late_code) == ("TIDAK_LENGKAP", 10, "TL1")
    assert changed.computed_at > before[employee.pk]
    assert (untouched.status, untouched.computed_at) == ("TK", before[other.pk])


def test_mark_dirty_previous_date_for_rostered_clerk(kantor, office, django_capture_on_commit_callbacks):
    clerk = new_employee(office, "Rostered clerk")
    RosterEntry.objects.create(employee=clerk, date=dt.date(2024, 3, 4), shift_code="MALAM")
    morning = dt.datetime(2024, 3, 4, 23, 6, tzinfo=dt.UTC)  # 07:06 WITA on Tue 5 March

    with django_capture_on_commit_callbacks():
        mark_punches_dirty(punches=[(clerk.pk, morning)])

    assert set(DirtyDay.objects.values_list("date", flat=True)) == {dt.date(2024, 3, 4), dt.date(2024, 3, 5)}


def test_approved_absence_decides_stored_day(kantor, office):
    from sao.absences.models import AbsenceRequest, AbsenceType

    employee = new_employee(office, "On leave")
    leave_type = AbsenceType.objects.create(
        code="TCUTI", name="Test leave", category="CUTI", counts_as_present=False, tpp_rule="none"
    )
    AbsenceRequest.objects.create(
        code="T0001",
        employee=employee,
        absence_type=leave_type,
        start_date=dt.date(2024, 3, 14),
        end_date=dt.date(2024, 3, 15),
        status="approved",
    )
    AbsenceRequest.objects.create(
        code="T0002",
        employee=employee,
        absence_type=leave_type,
        start_date=dt.date(2024, 3, 18),
        end_date=dt.date(2024, 3, 18),
        status="rejected",
    )
    ingest(
        unit=office,
        employee=employee,
        pin="66",
        lines=["66\t2024-03-14 07:35:00\t0\t1\t0\t0", "66\t2024-03-14 16:00:00\t1\t1\t0\t0"],
    )

    recompute(start=dt.date(2024, 3, 14), end=dt.date(2024, 3, 18))
    rows = results_by_date(employee)

    assert (rows["2024-03-14"].status, rows["2024-03-14"].late_minutes) == ("TCUTI", None)
    assert "PUNCH_ON_LEAVE" in rows["2024-03-14"].flags
    assert rows["2024-03-15"].status == "TCUTI"
    assert rows["2024-03-16"].status == "LIBUR"
    assert rows["2024-03-18"].status == "TK"
