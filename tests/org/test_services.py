import datetime as dt

import pytest
from django.db import transaction

from sao.audit.models import AuditEntry
from sao.audit.services import audit_record
from sao.org.services import (
    MasterDataError,
    employee_set_legal_status,
    employee_transfer,
    employee_update,
    unit_on,
)


def test_transfer_audited_with_old_and_new_unit(cast):
    employee_transfer(employee=cast.other_a, unit=cast.unit_b, valid_from=dt.date(2026, 3, 16),
                      decree="821.2/45/BKD", actor=cast.operator_bkd, reason="mutasi")

    entry = AuditEntry.objects.get(action="employee.transfer")
    assert entry.actor == cast.operator_bkd
    assert entry.old_value == {"unit_id": cast.unit_a.pk}
    assert entry.new_value == {"unit_id": cast.unit_b.pk, "valid_from": "2026-03-16",
                               "decree": "821.2/45/BKD"}
    assert entry.reason == "mutasi"


def test_unit_on_date_follows_history(cast):
    employee_transfer(employee=cast.other_a, unit=cast.unit_b, valid_from=dt.date(2026, 3, 16))
    employee = type(cast.other_a).objects.prefetch_related("assignments").get(pk=cast.other_a.pk)

    assert unit_on(employee=employee, day=dt.date(2026, 3, 15)) == cast.unit_a.pk
    assert unit_on(employee=employee, day=dt.date(2026, 3, 16)) == cast.unit_b.pk
    assert unit_on(employee=employee, day=dt.date(2019, 12, 31)) is None


def test_transfer_before_a_later_one_rejected(cast):
    employee_transfer(employee=cast.other_a, unit=cast.unit_b, valid_from=dt.date(2026, 3, 16))

    with pytest.raises(MasterDataError) as caught:
        employee_transfer(employee=cast.other_a, unit=cast.agency_a,
                          valid_from=dt.date(2026, 2, 1))

    assert caught.value.code == "transfer_out_of_order"


def test_transfer_to_same_unit_is_noop(cast):
    before = AuditEntry.objects.count()

    employee_transfer(employee=cast.other_a, unit=cast.unit_a, valid_from=dt.date(2026, 3, 16))

    assert cast.other_a.assignments.count() == 1
    assert AuditEntry.objects.count() == before


def test_legal_status_period_closes_previous(cast):
    employee_set_legal_status(employee=cast.other_a, status="03", valid_from=dt.date(2026, 8, 1),
                              decree="800/TB/2026")

    periods = list(cast.other_a.legal_statuses.order_by("valid_from"))
    cast.other_a.refresh_from_db()
    assert [(p.status, p.valid_to) for p in periods] == [
        ("01", dt.date(2026, 7, 31)), ("03", None)
    ]
    assert cast.other_a.legal_status == "03"


def test_future_legal_status_keeps_current(cast):
    employee_set_legal_status(employee=cast.other_a, status="99",
                              valid_from=dt.date.today() + dt.timedelta(days=30))

    cast.other_a.refresh_from_db()
    assert cast.other_a.legal_status == "01"


def test_unknown_legal_status_rejected(cast):
    with pytest.raises(MasterDataError) as caught:
        employee_set_legal_status(employee=cast.other_a, status="XX",
                                  valid_from=dt.date(2026, 1, 1))

    assert caught.value.code == "status_unknown"


def test_update_records_only_changed_fields(cast):
    changed = employee_update(employee=cast.other_a,
                              values={"name": "Lain A", "position": "Pranata Komputer"},
                              actor=cast.operator_a)

    entry = AuditEntry.objects.filter(action="employee.update").get()
    assert changed
    assert entry.old_value == {"position": ""}
    assert entry.new_value == {"position": "Pranata Komputer"}


def test_update_without_change_writes_nothing(cast):
    before = AuditEntry.objects.count()

    changed = employee_update(employee=cast.other_a, values={"name": "Lain A"})

    assert not changed
    assert AuditEntry.objects.count() == before


def test_audit_outside_transaction_refused(cast):
    # pytest-django wraps every test in a transaction, so pretend to be outside one.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            audit_record(actor=None, action="x", obj=cast.other_a)
    finally:
        connection.in_atomic_block = saved
