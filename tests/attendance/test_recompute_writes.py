"""What a recompute reads and writes: unchanged rows, query counts, the fast path against the
engine, transfers inside the range, and the explanation rebuilt on the result screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sao.attendance import rows as attendance_rows
from sao.attendance.compute import explain_day, recompute
from sao.attendance.models import DailyResult, DirtyDay
from sao.calendars.services import policy_import
from sao.org.services import employee_transfer
from tests.conftest import make_unit

from .helpers import PROFILES, new_employee
from .test_compute import ingest

pytestmark = pytest.mark.django_db

MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
WRITES = ("INSERT", "UPDATE", "DELETE", "COPY")

# Punches of one employee in March 2024 (KANTOR profile, 07:30-16:00): on time, late with
# seconds, a missing check-out, a lone afternoon punch, a punch on a Sunday, a duplicate instant
# and one outside every window.
VARIED_LINES = [
    "{pin}\t2024-03-04 07:25:00\t0\t1\t0\t0",
    "{pin}\t2024-03-04 16:05:00\t1\t1\t0\t0",
    "{pin}\t2024-03-05 07:45:59\t0\t1\t0\t0",
    "{pin}\t2024-03-05 15:10:30\t1\t1\t0\t0",
    "{pin}\t2024-03-06 07:31:00\t0\t1\t0\t0",
    "{pin}\t2024-03-07 13:00:00\t1\t1\t0\t0",
    "{pin}\t2024-03-10 09:00:00\t0\t1\t0\t0",
    "{pin}\t2024-03-10 12:00:00\t1\t1\t0\t0",
    "{pin}\t2024-03-11 07:00:00\t0\t1\t0\t0",
    "{pin}\t2024-03-11 07:00:00\t2\t1\t0\t0",
    "{pin}\t2024-03-11 16:30:00\t1\t1\t0\t0",
    "{pin}\t2024-03-12 02:00:00\t0\t1\t0\t0",
]


@pytest.fixture
def kantor(db):
    return policy_import(
        document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test"
    )


@pytest.fixture
def office(db):
    province = make_unit("PROV", "province")
    return make_unit("OPD-X", "opd", province, name="Dinas X")


def stored_values() -> dict:
    """Return every stored result by key, with each column except the row id."""
    columns = [field.attname for field in DailyResult._meta.concrete_fields if field.attname != "id"]
    return {
        (row["employee_id"], row["date"], row["shift_code"]): row
        for row in DailyResult.objects.values(*columns)
    }


def write_statements(context) -> list[str]:
    """Return the captured writes; Django records an executemany as "N times: SQL"."""
    statements = [re.sub(r"^\d+ times: ", "", query["sql"].lstrip()) for query in context.captured_queries]
    return [sql for sql in statements if sql.upper().startswith(WRITES)]


def test_unchanged_recompute_writes_no_row(kantor, office):
    employee = new_employee(office, "Unchanged")
    ingest(unit=office, employee=employee, pin="11", lines=[line.format(pin="11") for line in VARIED_LINES])
    first = recompute(start=MARCH[0], end=MARCH[1], now=LATER)
    before = stored_values()

    with CaptureQueriesContext(connection) as context:
        second = recompute(start=MARCH[0], end=MARCH[1], now=LATER)

    assert (first.results, first.written) == (31, 31)
    assert (second.results, second.written, second.unchanged, second.deleted) == (31, 0, 31, 0)
    assert write_statements(context) == []
    assert stored_values() == before


def test_changed_day_is_the_only_row_written(kantor, office):
    employee = new_employee(office, "Changed")
    recompute(start=MARCH[0], end=MARCH[1], now=LATER)
    before = stored_values()

    ingest(unit=office, employee=employee, pin="12", lines=["12\t2024-03-19 07:40:00\t0\t1\t0\t0"])
    stats = recompute(start=MARCH[0], end=MARCH[1], now=LATER)
    after = stored_values()
    changed = [key for key in after if after[key] != before[key]]

    assert (stats.written, stats.unchanged) == (1, 30)
    assert changed == [(employee.pk, dt.date(2024, 3, 19), "")]
    assert (after[changed[0]]["status"], after[changed[0]]["late_minutes"]) == ("TIDAK_LENGKAP", 10)


def test_query_count_does_not_grow_with_employees(kantor, office):
    def queries_of_recompute() -> int:
        with CaptureQueriesContext(connection) as context:
            recompute(start=MARCH[0], end=MARCH[1], now=LATER)
        return len(context.captured_queries)

    new_employee(office, "One")
    one_first = queries_of_recompute()
    one_again = queries_of_recompute()
    for number in range(8):
        new_employee(office, f"Many {number}")
    nine_first = queries_of_recompute()
    nine_again = queries_of_recompute()

    # Three reads for the whole recompute: employees, holiday overrides and closed months. Eight
    # for the chunk: legal statuses, unit assignments, schedule assignments, rosters, punches,
    # absences, outages and stored results. Then the savepoint and its release around the write.
    assert one_again == nine_again == 14
    # The first run adds the read that locks the chunk's employees and the insert of the new rows,
    # one statement per batch.
    assert nine_first == one_first <= 17


def test_fast_path_rows_equal_engine_rows(kantor, office, monkeypatch):
    employees = [new_employee(office, f"Pegawai {number}") for number in range(3)]
    for number, employee in enumerate(employees):
        pin = str(20 + number)
        ingest(
            unit=office,
            employee=employee,
            pin=pin,
            lines=[line.format(pin=pin) for line in VARIED_LINES[number:]],
            serial=f"CQZ00000000{20 + number}",
        )
    fast = recompute(start=MARCH[0], end=MARCH[1], now=dt.datetime(2024, 3, 11, 9, 0, tzinfo=dt.UTC))
    by_fast_path = stored_values()

    # Without plans every employee goes through compute_days; equal hashes mean nothing is written.
    monkeypatch.setattr(attendance_rows, "_fast_plans", lambda schedule, context: None)
    engine = recompute(start=MARCH[0], end=MARCH[1], now=dt.datetime(2024, 3, 11, 9, 0, tzinfo=dt.UTC))

    assert fast.fast_results == 3 * 31
    assert engine.fast_results == 0
    assert (engine.written, engine.unchanged) == (0, 3 * 31)
    assert stored_values() == by_fast_path
    assert {row["status"] for row in by_fast_path.values()} >= {
        "HADIR",
        "TIDAK_LENGKAP",
        "LIBUR",
        "BELUM_FINAL",
    }


def test_transfer_splits_schedule_by_assignment(kantor, office):
    province = office.parent
    ward = make_unit("RS-WARD", "rsud", province, name="Ruang Melati", schedule_profile="shift")
    employee = new_employee(office, "Moved on the 15th")
    employee_transfer(employee=employee, unit=ward, valid_from=dt.date(2024, 3, 15), actor_label="test")
    employee.refresh_from_db()

    stats = recompute(start=MARCH[0], end=MARCH[1], unit=office, now=LATER)
    rows = {row.date: row for row in DailyResult.objects.filter(employee=employee)}

    assert employee.unit_id == ward.pk  # the current unit is the new one
    assert stats.employees == 1  # selected through the office it belonged to in March
    # Thursday 14 March: the office's KANTOR schedule, no punch, so TK in the office.
    assert (rows[dt.date(2024, 3, 14)].status, rows[dt.date(2024, 3, 14)].unit_id) == ("TK", office.pk)
    assert ":KANTOR@" in rows[dt.date(2024, 3, 14)].rule_version
    # Friday 15 March: the ward's rostered RS profile, no roster entry, so a day off in the ward.
    assert (rows[dt.date(2024, 3, 15)].status, rows[dt.date(2024, 3, 15)].unit_id) == ("LIBUR", ward.pk)
    assert rows[dt.date(2024, 3, 15)].rule_version.endswith(":RS:no-roster")
    assert {row.unit_id for day, row in rows.items() if day < dt.date(2024, 3, 15)} == {office.pk}
    assert {row.unit_id for day, row in rows.items() if day >= dt.date(2024, 3, 15)} == {ward.pk}


def test_explain_day_matches_stored_row(kantor, office):
    employee = new_employee(office, "Explained")
    ingest(unit=office, employee=employee, pin="31", lines=[line.format(pin="31") for line in VARIED_LINES])
    recompute(start=MARCH[0], end=MARCH[1], now=LATER)
    stored = DailyResult.objects.get(employee=employee, date=dt.date(2024, 3, 11))

    explained = explain_day(employee_id=employee.pk, day=stored.date, now=LATER)
    codes = [step.code for step in explained.result.explanation]

    assert explained.values_hash == stored.values_hash
    assert explained.result.status == stored.status == "HADIR"
    assert len(explained.result.punches) == 2  # the duplicate 07:00 instant counts once
    assert codes[0] == "schedule"
    assert "pairing" in codes
    assert codes[-1] == "status"


def test_result_screen_flags_outdated_result(kantor, cast, client):
    ingest(
        unit=cast.unit_a,
        employee=cast.staff_a2,
        pin="41",
        lines=["41\t2024-03-20 07:25:10\t0\t1\t0\t0", "41\t2024-03-20 16:00:30\t1\t1\t0\t0"],
    )
    recompute(start=MARCH[0], end=MARCH[1])
    result = DailyResult.objects.get(employee=cast.staff_a2, date=dt.date(2024, 3, 20))
    client.force_login(cast.employee_a)

    current = client.get(f"/attendance/results/{result.pk}/").content.decode()
    ingest(unit=cast.unit_a, employee=cast.staff_a2, pin="41", lines=["41\t2024-03-20 17:10:00\t1\t1\t0\t0"])
    DirtyDay.objects.all().delete()
    outdated = client.get(f"/attendance/results/{result.pk}/").content.decode()

    assert 'data-testid="outdated"' not in current
    assert "16:00:30" in current
    assert 'data-testid="outdated"' in outdated
    assert "17:10:00" in outdated  # the punches shown come from the new computation
    assert DirtyDay.objects.filter(employee=cast.staff_a2, date=dt.date(2024, 3, 20)).exists()


# serialized_rollback restores the policy seeded by the migrations after the table flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_chunks_written_by_background_writer(monkeypatch):
    from sao.attendance import compute as attendance_compute

    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    unit = make_unit("OPD-W", "opd")
    employees = [new_employee(unit, f"Writer {number}") for number in range(5)]
    ingest(unit=unit, employee=employees[4], pin="51", lines=["51\t2024-03-19 07:29:00\t0\t1\t0\t0"])
    monkeypatch.setattr(attendance_compute, "CHUNK_SIZE", 2)
    writers = []
    original = attendance_compute.BackgroundWriter

    def counted_writer():
        writer = original()
        writers.append(writer)
        return writer

    monkeypatch.setattr(attendance_compute, "BackgroundWriter", counted_writer)

    stats = recompute(start=MARCH[0], end=MARCH[1], now=LATER)
    rows = DailyResult.objects.filter(employee__in=employees)

    # Outside a transaction on PostgreSQL the three chunks go through the background writer.
    assert len(writers) == (1 if connection.vendor == "postgresql" else 0)
    assert (stats.results, stats.written) == (5 * 31, 5 * 31)
    assert rows.count() == 5 * 31
    assert rows.get(employee=employees[4], date=dt.date(2024, 3, 19)).status == "TIDAK_LENGKAP"
