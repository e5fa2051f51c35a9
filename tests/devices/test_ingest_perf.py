"""Statements and transactions of one push POST, and exact counts of the punch insert.

The statement lists pin the cost of a 50-line ATTLOG POST: one commit for the raw upload and
everything its parse writes, the parse inside a savepoint, and no statement outside the
transaction. `sao bench ingest` measures the speed itself. The tests run on the database
DATABASE_URL selects, SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sao.attendance.models import DirtyDay
from sao.devices.models import Device, Punch, RawUpload
from sao.devices.records import PunchRecord
from sao.devices.services import (
    PUNCH_INSERT_BATCH,
    pin_mapping_create,
    punches_ingest,
    raw_upload_store,
)
from tests.devices.push_support import active_device, device_client, freeze_now, post_body

SERIAL = "PERF0000000001"
PUSH_PATH = f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=12345"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def attlog_body(lines: int, *, pins: int = 10) -> bytes:
    """Return an ATTLOG body of distinct punches on 4 March 2024, `pins` PINs from 1000 up."""
    return "".join(
        f"{1000 + number % pins}\t2024-03-04 07:{number // 60:02d}:{number % 60:02d}\t0\t1\t0\t0\n"
        for number in range(lines)
    ).encode()


SAVEPOINT_CONTROL = {"SAVEPOINT", "RELEASE"}
TABLE_AFTER_KEYWORD = re.compile(
    r'(?:FROM|INTO|UPDATE|EXISTS|COPY)\s+"([a-z_]+)"', re.IGNORECASE)


def statement_label(sql: str) -> str:
    """Reduce a logged statement to its first keyword and the first table it reads or writes."""
    sql = re.sub(r"^\d+ times: ", "", sql)
    keyword = sql.split(None, 1)[0].upper()
    if keyword in TRANSACTION_CONTROL | SAVEPOINT_CONTROL:
        return keyword
    table = TABLE_AFTER_KEYWORD.search(sql)
    return f"{keyword} {table.group(1) if table else '?'}"


def post_captured(body: bytes):
    with CaptureQueriesContext(connection) as captured:
        response = post_body(device_client(), PUSH_PATH, body)
    return response, [statement_label(query["sql"]) for query in captured.captured_queries]


def statements_outside_transactions(labels: list[str]) -> list[str]:
    """Return the statements that ran in autocommit mode, each its own commit."""
    outside = []
    open_transaction = False
    for label in labels:
        if label == "BEGIN":
            open_transaction = True
        elif label in ("COMMIT", "ROLLBACK"):
            open_transaction = False
        elif not open_transaction:
            outside.append(label)
    return outside


RECEIVE_STATEMENTS = [
    "BEGIN", "SELECT devices_device", "UPDATE devices_device", "INSERT devices_rawupload",
]
PUNCH_INSERT_STATEMENTS = {
    "sqlite": ["INSERT devices_punch"],
    "postgresql": ["CREATE sao_punch_stage", "COPY sao_punch_stage", "WITH sao_punch_stage"],
}


@pytest.mark.django_db(transaction=True)
def test_push_post_statements_pinned(cast):
    active_device(SERIAL, cast.unit_a)

    response, labels = post_captured(attlog_body(50))

    assert response.content == b"OK: 50"
    assert labels == [
        *RECEIVE_STATEMENTS,
        "SAVEPOINT", "SELECT devices_pinmapping",
        *PUNCH_INSERT_STATEMENTS[connection.vendor],
        "UPDATE devices_device", "UPDATE devices_rawupload", "RELEASE", "COMMIT",
    ]
    assert Punch.objects.filter(device__serial=SERIAL).count() == 50


@pytest.mark.django_db(transaction=True)
def test_push_post_one_commit_with_mapped_pins(cast, monkeypatch):
    device = active_device(SERIAL, cast.unit_a)
    for pin, employee in (("1000", cast.staff_a1), ("1001", cast.staff_a2)):
        pin_mapping_create(employee=employee, pin=pin, valid_from=dt.date(2024, 1, 1),
                           device=device, actor=cast.admin_bkd)
    # Record the recompute request instead of writing it to the project's Huey queue.
    recompute_requests = []
    monkeypatch.setattr("sao.attendance.dirty.enqueue_recompute",
                        lambda: recompute_requests.append(connection.in_atomic_block))

    response, labels = post_captured(attlog_body(50))

    assert response.content == b"OK: 50"
    assert labels.count("BEGIN") == 1
    assert labels.count("COMMIT") == 1
    assert statements_outside_transactions(labels) == []
    assert recompute_requests == [False]  # once, after the commit
    assert set(DirtyDay.objects.values_list("employee_id", "date")) >= {
        (cast.staff_a1.pk, dt.date(2024, 3, 4)), (cast.staff_a2.pk, dt.date(2024, 3, 4))}
    if connection.vendor == "postgresql":
        assert parse_transaction_ids(device) == 1


def parse_transaction_ids(device: Device) -> int:
    """Count the PostgreSQL transaction ids (xmin) of the rows the parse step wrote last."""
    upload = RawUpload.objects.get(device=device)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT id) FROM ("
            " SELECT xmin::text AS id FROM devices_punch WHERE upload_id = %(upload)s"
            " UNION ALL SELECT xmin::text FROM devices_rawupload WHERE id = %(upload)s"
            " UNION ALL SELECT xmin::text FROM devices_device WHERE id = %(device)s"
            " UNION ALL SELECT xmin::text FROM attendance_dirtyday"
            ") AS writes",
            {"upload": upload.pk, "device": device.pk},
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_parse_failure_keeps_body_not_punches(cast, monkeypatch):
    """A database error after the punch insert rolls back to the savepoint and commits the rest.

    The failing statement is real SQL, so on PostgreSQL it aborts the transaction, which only
    the savepoint rollback recovers. Body, contact and stamp commit. Punches, the device's
    last punch time and the dirty days do not.
    """
    device = active_device(SERIAL, cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="1000", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)
    DirtyDay.objects.all().delete()

    def failing_mark(punches):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM sao_table_that_does_not_exist")

    monkeypatch.setattr("sao.devices.services._mark_dirty", failing_mark)
    body = attlog_body(5)
    with CaptureQueriesContext(connection) as captured:
        response = post_body(device_client(), PUSH_PATH, body)

    labels = [statement_label(query["sql"]) for query in captured.captured_queries]
    assert response.status_code == 200
    assert response.content == b"OK"
    assert labels.count("COMMIT") == 1
    upload = RawUpload.objects.get(device=device)
    assert bytes(upload.body) == body
    assert "sao_table_that_does_not_exist" in upload.parse_error
    assert upload.parsed_at is None
    assert upload.accepted_count == 0
    assert Punch.objects.filter(device=device).count() == 0
    assert DirtyDay.objects.count() == 0
    device.refresh_from_db()
    assert device.attlog_stamp == "12345"
    assert device.last_contact_at is not None
    assert device.last_punch_at is None


@pytest.mark.django_db(transaction=True)
def test_parse_bug_keeps_body(cast, monkeypatch):
    """An unexpected exception in the parse keeps the body for a replay, and the reply is OK."""
    device = active_device(SERIAL, cast.unit_a)

    def broken_ingest(**kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("sao.devices.services.punches_ingest", broken_ingest)
    body = attlog_body(3)
    response = post_body(device_client(), PUSH_PATH, body)

    assert response.status_code == 200
    assert response.content == b"OK"
    upload = RawUpload.objects.get(device=device)
    assert bytes(upload.body) == body
    assert upload.parse_error == "parser bug"
    assert Punch.objects.filter(device=device).count() == 0


def record(pin: str, minute: int, *, state: int = 0, verify: int = 1, line: int = 0):
    return PunchRecord(pin=pin, local_time=dt.datetime(2024, 3, 4, 7, minute), state=state,
                       verify=verify, line=line)


@pytest.fixture
def ingest_device(cast, monkeypatch):
    freeze_now(monkeypatch, dt.datetime(2024, 3, 5, tzinfo=dt.UTC))
    return active_device(SERIAL, cast.unit_a)


def new_upload(device: Device) -> RawUpload:
    return raw_upload_store(body=b"test", source="file", device=device)


@pytest.mark.django_db
def test_ingest_counts_duplicates_in_batch(ingest_device):
    records = [record("1000", 1, verify=1, line=1), record("1000", 1, verify=15, line=2),
               record("1000", 1, state=1, line=3), record("1001", 2, line=4)]

    result = punches_ingest(upload=new_upload(ingest_device), device=ingest_device,
                            records=records)

    assert (result.accepted, result.duplicates) == (3, 1)
    # Of two lines with the same key, the first one is stored.
    assert Punch.objects.get(pin="1000", state=0).verify == 1


@pytest.mark.django_db
def test_ingest_counts_partial_resend(ingest_device):
    first = [record("1000", minute, line=minute) for minute in range(10)]
    punches_ingest(upload=new_upload(ingest_device), device=ingest_device, records=first)
    resend = [record("1000", minute, line=minute) for minute in range(5, 15)]

    upload = new_upload(ingest_device)
    result = punches_ingest(upload=upload, device=ingest_device, records=resend)

    assert (result.accepted, result.duplicates) == (5, 5)
    upload.refresh_from_db()
    assert (upload.accepted_count, upload.duplicate_count) == (5, 5)
    assert Punch.objects.filter(device=ingest_device).count() == 15


@pytest.mark.django_db
def test_ingest_counts_across_insert_batches(ingest_device):
    # Lines 2,001 to 2,500 repeat lines 1 to 500, which the first insert batch stored.
    size = PUNCH_INSERT_BATCH * 2 + 500
    records = [record(str(1000 + number % 100), number // 100 % 20, line=number + 1)
               for number in range(size)]

    first = punches_ingest(upload=new_upload(ingest_device), device=ingest_device,
                           records=records)
    second = punches_ingest(upload=new_upload(ingest_device), device=ingest_device,
                            records=records)

    assert (first.accepted, first.duplicates) == (2000, 500)
    assert (second.accepted, second.duplicates) == (0, size)


@pytest.mark.django_db
def test_ingest_twice_in_one_transaction(ingest_device):
    """The PostgreSQL staging table is emptied by each insert, not only on commit."""
    upload = new_upload(ingest_device)

    with transaction.atomic():
        first = punches_ingest(upload=upload, device=ingest_device,
                               records=[record("1000", 1), record("1000", 2)])
        second = punches_ingest(upload=upload, device=ingest_device,
                                records=[record("1000", 2), record("1000", 3)])

    assert (first.accepted, first.duplicates) == (2, 0)
    assert (second.accepted, second.duplicates) == (1, 1)
    assert Punch.objects.filter(device=ingest_device).count() == 3


@pytest.mark.django_db
def test_ingest_marks_days_of_new_punches(cast, ingest_device):
    pin_mapping_create(employee=cast.staff_a1, pin="1000", valid_from=dt.date(2024, 1, 1),
                       device=ingest_device, actor=cast.admin_bkd)
    stored = PunchRecord(pin="1000", local_time=dt.datetime(2024, 3, 1, 13, 0), state=0, verify=1)
    punches_ingest(upload=new_upload(ingest_device), device=ingest_device, records=[stored])
    DirtyDay.objects.all().delete()
    new = PunchRecord(pin="1000", local_time=dt.datetime(2024, 3, 4, 13, 0), state=1, verify=1)

    result = punches_ingest(upload=new_upload(ingest_device), device=ingest_device,
                            records=[stored, new, record("1001", 5)])

    assert (result.accepted, result.duplicates, result.unknown_pins) == (2, 1, 1)
    # The day of the re-sent punch of 1 March is not marked again.
    assert set(DirtyDay.objects.values_list("employee_id", "date")) == {
        (cast.staff_a1.pk, dt.date(2024, 3, 4))}
