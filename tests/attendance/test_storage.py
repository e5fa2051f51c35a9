"""Writing DailyResult rows: values through the binary COPY, and the table without foreign-key
constraints (rows of deleted employees, units protected by their results)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import ProtectedError

from sao.attendance.models import DailyResult
from sao.attendance.storage import COLUMNS, write_results
from sao.org.models import Employee
from tests.conftest import make_unit

from .helpers import new_employee

pytestmark = pytest.mark.django_db

COMPUTED_AT = dt.datetime(2026, 4, 30, 18, 0, 0, 123456, tzinfo=dt.UTC)


def result_row(employee_id: int, unit_id: int, day: dt.date, **values) -> tuple:
    """Return a row in storage.COLUMNS order with plain office-day values, overridden by `values`."""
    row = {
        "employee_id": employee_id,
        "date": day,
        "shift_code": "",
        "unit_id": unit_id,
        "status": "HADIR",
        "is_working_day": True,
        "check_in": dt.datetime(2026, 4, 1, 23, 25, tzinfo=dt.UTC),
        "check_out": dt.datetime(2026, 4, 2, 8, 5, 30, tzinfo=dt.UTC),
        "late_minutes": 0,
        "early_minutes": 0,
        "late_code": "",
        "early_code": "",
        "worked_minutes": 520,
        "flags": "[]",
        "absence_code": "",
        "holiday_name": "",
        "rule_version": "v1:KANTOR@2026-01-01",
        "values_hash": 1,
        "computed_at": COMPUTED_AT,
    }
    row.update(values)
    return tuple(row[column] for column in COLUMNS)


def test_write_stores_every_value():
    unit = make_unit("UPT-S", "upt")
    employee = new_employee(unit, "Pegawai Simpan")
    plain = result_row(employee.pk, unit.pk, dt.date(2026, 4, 2))
    # Text that a text-format COPY would have to escape, the extremes of the hash, missing values.
    unusual = result_row(
        employee.pk,
        unit.pk,
        dt.date(2026, 4, 3),
        shift_code="MALAM",
        status="TIDAK_LENGKAP",
        is_working_day=False,
        check_in=None,
        check_out=None,
        late_minutes=None,
        early_minutes=None,
        late_code="TL4",
        early_code="PSW1",
        worked_minutes=-15,
        flags='["MISSING_CHECK_OUT", "WORK_ON_HOLIDAY"]',
        absence_code="CUTI_TAHUNAN",
        holiday_name="Wafat Isa \\ Al-Masih\tlibur\nnasional é",
        values_hash=-(2**63),
    )

    write_results(new_rows=[plain, unusual], changed_rows=[], stale_pks=[])
    stored = {row.date: row for row in DailyResult.objects.filter(employee=employee)}

    for expected in (plain, unusual):
        row = stored[expected[COLUMNS.index("date")]]
        for column, value in zip(COLUMNS, expected, strict=True):
            if column == "flags":
                assert row.flags == json.loads(value), column
            else:
                assert getattr(row, column) == value, column


def test_write_updates_changed_rows():
    unit = make_unit("UPT-U", "upt")
    employee = new_employee(unit, "Pegawai Ubah")
    day = dt.date(2026, 4, 2)
    write_results(new_rows=[result_row(employee.pk, unit.pk, day)], changed_rows=[], stale_pks=[])

    changed = result_row(employee.pk, unit.pk, day, status="TK", check_in=None, flags='["X"]', values_hash=7)
    write_results(new_rows=[], changed_rows=[changed], stale_pks=[])
    row = DailyResult.objects.get(employee=employee, date=day)

    assert row.status == "TK"
    assert row.check_in is None
    assert row.flags == ["X"]
    assert row.values_hash == 7


def test_write_drops_rows_of_missing_employee():
    unit = make_unit("UPT-M", "upt")
    employee = new_employee(unit, "Pegawai Ada")
    missing_id = Employee.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    day = dt.date(2026, 4, 2)

    write_results(
        new_rows=[result_row(employee.pk, unit.pk, day), result_row(missing_id, unit.pk, day)],
        changed_rows=[result_row(missing_id, unit.pk, day + dt.timedelta(days=1))],
        stale_pks=[],
    )

    assert DailyResult.objects.filter(employee_id=employee.pk).count() == 1
    assert not DailyResult.objects.filter(employee_id=missing_id).exists()


def test_employee_delete_removes_results():
    unit = make_unit("UPT-D", "upt")
    employee = new_employee(unit, "Pegawai Hapus")
    other = new_employee(unit, "Pegawai Tetap")
    day = dt.date(2026, 4, 2)
    write_results(
        new_rows=[result_row(employee.pk, unit.pk, day), result_row(other.pk, unit.pk, day)],
        changed_rows=[],
        stale_pks=[],
    )

    employee.delete()

    assert not DailyResult.objects.filter(employee_id=employee.pk).exists()
    assert DailyResult.objects.filter(employee_id=other.pk).count() == 1


def test_unit_with_results_is_protected():
    unit = make_unit("UPT-P", "upt")
    former = make_unit("UPT-LAMA", "upt")
    employee = new_employee(unit, "Pegawai Pindah")
    write_results(
        new_rows=[result_row(employee.pk, former.pk, dt.date(2026, 4, 2))], changed_rows=[], stale_pks=[]
    )

    with pytest.raises(ProtectedError):
        former.delete()

    assert DailyResult.objects.filter(unit_id=former.pk).count() == 1


def _delete_waiting(timeout: float = 10.0) -> bool:
    """Return True once another session of the test database waits for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_stat_activity is read once per transaction unless its snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


# serialized_rollback restores the policy seeded by the migrations after the table flush.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of concurrent sessions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_employee_deleted_during_write():
    unit = make_unit("UPT-R", "upt")
    employee = new_employee(unit, "Pegawai Balapan")
    errors = []

    def delete_employee():
        try:
            Employee.objects.get(pk=employee.pk).delete()
        except Exception as error:  # reported by the assert below
            errors.append(error)
        finally:
            connections.close_all()

    deleting = threading.Thread(target=delete_employee)
    with transaction.atomic():
        write_results(
            new_rows=[result_row(employee.pk, unit.pk, dt.date(2026, 4, 2))], changed_rows=[], stale_pks=[]
        )
        deleting.start()
        # The deletion's cascade does not see the uncommitted row, and the employee's DELETE
        # waits for the lock that write_results took.
        waited = _delete_waiting()
    deleting.join(timeout=10)

    assert waited
    assert not deleting.is_alive()
    assert errors == []
    assert not Employee.objects.filter(pk=employee.pk).exists()
    assert not DailyResult.objects.filter(employee_id=employee.pk).exists()
