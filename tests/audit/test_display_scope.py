"""The audit screen's before/after table, and the unit operator's view of device and PIN entries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction

from sao.audit.models import AuditEntry
from sao.audit.services import audit_record
from sao.devices.services import device_register, pin_mapping_create
from sao.org.services import employee_transfer, employee_update

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.audit.urls")]


def change_rows(html: str) -> list[tuple[str, str, str]]:
    """Return (field, before, after) of every change row on the page."""
    rows = re.findall(r'<tr data-testid="audit-change"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', html)
    return [tuple(cell.strip() for cell in row) for row in rows]


def test_update_shown_as_field_table(cast, client):
    employee_update(
        employee=cast.staff_a1, values={"phone": "081234567890"}, actor=cast.admin_bkd, reason="HP baru"
    )
    client.force_login(cast.admin_bkd)

    text = client.get("/audit/", {"actor": "admin"}).content.decode()

    assert ("nomor ponsel", "—", "081234567890") in change_rows(text)
    assert "{&#x27;" not in text
    assert "{'" not in text


def test_foreign_key_and_choice_named(cast, client):
    employee_transfer(
        employee=cast.staff_a1, unit=cast.unit_b, valid_from=dt.date(2026, 1, 1), actor=cast.admin_bkd
    )
    with transaction.atomic():
        audit_record(
            actor=cast.admin_bkd,
            action="employee.update",
            obj=cast.staff_a1,
            old={"kind": "PNS"},
            new={"kind": "PPPK"},
        )
    client.force_login(cast.admin_bkd)

    rows = change_rows(client.get("/audit/", {"actor": "admin"}).content.decode())

    unit_row = next(row for row in rows if row[2] == "UPT B")
    assert unit_row[1] == "UPT A"
    assert (
        "jenis pegawai",
        "PNS (pegawai negeri sipil)",
        "PPPK (pegawai pemerintah dengan perjanjian kerja)",
    ) in rows
    assert any(row[0] == "berlaku mulai" and row[2] == "2026-01-01" for row in rows)


def test_plain_value_entry_shown_as_one_row(cast, client):
    with transaction.atomic():
        entry = audit_record(actor=cast.admin_bkd, action="test.plain", obj=cast.unit_a)
    AuditEntry.objects.filter(pk=entry.pk).update(old_value="lama", new_value=["a", "b"])
    client.force_login(cast.admin_bkd)

    rows = change_rows(client.get("/audit/", {"actor": "admin"}).content.decode())

    assert ("nilai", "lama", "a, b") in rows


@pytest.fixture
def devices(cast):
    """A device in unit A with a PIN mapping, a unit-wide PIN of unit A, and a device in unit B."""
    device_a, _created = device_register(serial="AUDIT-A", unit=cast.unit_a, actor=cast.admin_bkd)
    device_b, _created = device_register(serial="AUDIT-B", unit=cast.unit_b, actor=cast.admin_bkd)
    on_device = pin_mapping_create(
        employee=cast.staff_a1,
        pin="11",
        valid_from=dt.date(2026, 1, 1),
        device=device_a,
        actor=cast.operator_a,
    ).mapping
    unit_wide = pin_mapping_create(
        employee=cast.staff_a2,
        pin="12",
        valid_from=dt.date(2026, 1, 1),
        unit=cast.unit_a,
        actor=cast.operator_a,
    ).mapping
    other = pin_mapping_create(
        employee=cast.person_b,
        pin="21",
        valid_from=dt.date(2026, 1, 1),
        device=device_b,
        actor=cast.operator_b,
    ).mapping
    return {
        "device_a": device_a,
        "device_b": device_b,
        "on_device": on_device,
        "unit_wide": unit_wide,
        "other": other,
    }


def keys(response) -> set[tuple[str, str]]:
    return {(entry.object_type, entry.object_id) for entry, _changes in response.context["rows"]}


def key(obj) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def test_operator_sees_own_device_and_pin_entries(cast, devices, client):
    client.force_login(cast.operator_a)

    found = keys(client.get("/audit/"))

    assert key(devices["device_a"]) in found
    assert key(devices["on_device"]) in found
    assert key(devices["unit_wide"]) in found
    assert key(devices["device_b"]) not in found
    assert key(devices["other"]) not in found


def test_leader_of_agency_sees_device_entries_below(cast, devices, client):
    client.force_login(cast.leader_a)

    found = keys(client.get("/audit/"))

    assert key(devices["device_a"]) in found
    assert key(devices["device_b"]) not in found


def test_employee_sees_no_device_entries(cast, devices, client):
    client.force_login(cast.employee_a)

    found = keys(client.get("/audit/"))

    assert key(devices["device_a"]) not in found
    assert key(devices["unit_wide"]) not in found


def test_bkd_unit_filter_includes_devices(cast, devices, client):
    client.force_login(cast.admin_bkd)

    found = keys(client.get("/audit/", {"unit": cast.unit_b.pk}))

    assert key(devices["device_b"]) in found
    assert key(devices["other"]) in found
    assert key(devices["device_a"]) not in found


def test_employee_filter_leaves_out_devices(cast, devices, client):
    client.force_login(cast.operator_a)

    found = keys(client.get("/audit/", {"employee": cast.staff_a1.nip}))

    assert key(devices["device_a"]) not in found
    assert key(cast.staff_a1) in found


def test_snapshot_update_shows_changed_fields_only(cast, client):
    with transaction.atomic():
        audit_record(
            actor=cast.admin_bkd,
            action="employee.update",
            obj=cast.staff_a1,
            old={"name": "Staf A Satu", "phone": "0811"},
            new={"name": "Staf A Satu", "phone": "0812"},
        )
    client.force_login(cast.admin_bkd)

    rows = change_rows(client.get("/audit/", {"actor": "admin"}).content.decode())

    assert ("nomor ponsel", "0811", "0812") in rows
    assert not any(row[1] == "Staf A Satu" for row in rows)
