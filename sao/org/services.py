"""Writes to the organisation master: employees, transfers (mutasi), legal status, accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sao.audit.services import audit_record, changed_fields
from sao.org.models import (
    Employee,
    EmployeeTpp,
    LegalStatus,
    LegalStatusPeriod,
    Unit,
    UnitAssignment,
)

# Employee fields an import or a form may set directly; unit and legal status go through
# their dated histories below.
MASTER_FIELDS = (
    "nip", "nik", "front_title", "name", "back_title", "kind", "sex", "birth_date",
    "grade_scheme", "grade_code", "echelon", "position_kind", "position", "supervisor_id",
    "phone", "email",
)


class MasterDataError(Exception):
    """A change to the master data breaks a rule; `code` is stable, the message is translated."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def employee_snapshot(employee: Employee) -> dict[str, Any]:
    values = {name: getattr(employee, name) for name in MASTER_FIELDS}
    values["unit_id"] = employee.unit_id
    values["legal_status"] = employee.legal_status
    return values


def employee_transfer(
    *, employee: Employee, unit: Unit, valid_from: dt.date, decree: str = "", actor=None,
    actor_label: str = "", reason: str = "",
) -> UnitAssignment:
    """Move an employee to another unit from a date, closing the assignment that covers it.

    A transfer in mid-month splits the employee's days: those before `valid_from` stay
    with the old unit, the rest go to the new one.
    """
    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        assignments = list(employee.assignments.order_by("valid_from"))
        later = [item for item in assignments if item.valid_from > valid_from]
        if later:
            raise MasterDataError(
                _("A later assignment starts on %(date)s; transfers must be entered in date order.")
                % {"date": later[0].valid_from.isoformat()},
                code="transfer_out_of_order",
            )

        current = next((item for item in assignments if item.covers(valid_from)), None)
        if current is not None and current.unit_id == unit.pk:
            return current
        if current is not None and current.valid_from == valid_from:
            old_unit_id = current.unit_id
            current.unit = unit
            current.decree = decree
            current.save(update_fields=["unit", "decree"])
            assignment = current
        else:
            if current is not None:
                current.valid_to = valid_from - dt.timedelta(days=1)
                current.save(update_fields=["valid_to"])
            old_unit_id = current.unit_id if current else None
            assignment = UnitAssignment.objects.create(
                employee=employee, unit=unit, valid_from=valid_from, decree=decree
            )

        if valid_from <= dt.date.today():
            employee.unit = unit
            employee.save(update_fields=["unit", "updated_at"])
        audit_record(
            actor=actor, actor_label=actor_label, action="employee.transfer", obj=employee,
            old={"unit_id": old_unit_id},
            new={"unit_id": unit.pk, "valid_from": valid_from, "decree": decree},
            reason=reason,
        )
    return assignment


def employee_set_legal_status(
    *, employee: Employee, status: str, valid_from: dt.date, decree: str = "", actor=None,
    actor_label: str = "", reason: str = "",
) -> LegalStatusPeriod:
    """Record a legal status (kedudukan hukum) from its TMT, closing the previous period."""
    if status not in LegalStatus.values:
        raise MasterDataError(
            _("Legal status %(status)s is unknown.") % {"status": status}, code="status_unknown"
        )

    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        periods = list(employee.legal_statuses.order_by("valid_from"))
        if any(item.valid_from > valid_from for item in periods):
            raise MasterDataError(
                _("A later legal status is already recorded; enter changes in date order."),
                code="status_out_of_order",
            )
        current = periods[-1] if periods else None
        if current is not None and current.status == status:
            return current
        if current is not None and current.valid_from == valid_from:
            current.status = status
            current.decree = decree
            current.save(update_fields=["status", "decree"])
            period = current
        else:
            if current is not None:
                current.valid_to = valid_from - dt.timedelta(days=1)
                current.save(update_fields=["valid_to"])
            period = LegalStatusPeriod.objects.create(
                employee=employee, status=status, valid_from=valid_from, decree=decree
            )

        old_status = employee.legal_status
        if valid_from <= dt.date.today():
            employee.legal_status = status
            employee.save(update_fields=["legal_status", "updated_at"])
        audit_record(
            actor=actor, actor_label=actor_label, action="employee.legal_status", obj=employee,
            old={"legal_status": old_status},
            new={"legal_status": status, "valid_from": valid_from, "decree": decree},
            reason=reason,
        )
    return period


def employee_create(
    *, values: dict[str, Any], unit: Unit, valid_from: dt.date, legal_status: str = LegalStatus.ACTIVE,
    actor=None, actor_label: str = "",
) -> Employee:
    """Create an employee with an opening assignment and legal status from `valid_from`."""
    with transaction.atomic():
        employee = Employee.objects.create(unit=unit, legal_status=legal_status, **values)
        UnitAssignment.objects.create(employee=employee, unit=unit, valid_from=valid_from)
        LegalStatusPeriod.objects.create(employee=employee, status=legal_status, valid_from=valid_from)
        audit_record(actor=actor, actor_label=actor_label, action="employee.create", obj=employee,
                     new=employee_snapshot(employee))
    return employee


def employee_update(
    *, employee: Employee, values: dict[str, Any], actor=None, actor_label: str = "",
    reason: str = "",
) -> bool:
    """Change master fields of an employee; return whether anything changed."""
    unknown = set(values) - set(MASTER_FIELDS)
    if unknown:
        raise ValueError(f"employee_update cannot set {sorted(unknown)}")

    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        old, new = changed_fields(employee_snapshot(employee), values)
        if not new:
            return False
        for name, value in new.items():
            setattr(employee, name, value)
        employee.save()
        audit_record(actor=actor, actor_label=actor_label, action="employee.update", obj=employee,
                     old=old, new=new, reason=reason)
    return True


def unit_on(*, employee: Employee, day: dt.date) -> int | None:
    """Return the id of the unit an employee belonged to on a day, from the dated assignments."""
    for assignment in employee.assignments.all():
        if assignment.covers(day):
            return assignment.unit_id
    return None


def tpp_amount_on(*, employee: Employee, day: dt.date) -> Decimal | None:
    """Return the monthly TPP amount of an employee in force on `day`, or None without one."""
    row = employee.tpp_amounts.filter(valid_from__lte=day).order_by("-valid_from").first()
    return row.amount if row is not None else None


def tpp_amounts_on(*, employee_ids: list[int], day: dt.date) -> dict[int, Decimal]:
    """Return {employee id: monthly TPP amount in force on `day`} for the employees that have one."""
    found: dict[int, Decimal] = {}
    rows = (
        EmployeeTpp.objects.filter(employee_id__in=employee_ids, valid_from__lte=day)
        .order_by("employee_id", "-valid_from")
        .values_list("employee_id", "amount")
    )
    for employee_id, amount in rows:
        found.setdefault(employee_id, amount)
    return found


def employee_tpp_set(
    *, employee: Employee, amount: Decimal, valid_from: dt.date, actor=None, actor_label: str = "",
    reason: str = "",
) -> EmployeeTpp:
    """Set an employee's monthly TPP amount from `valid_from` on, and audit the change.

    A row with the same start date is overwritten. Otherwise a new row starts, and the earlier
    row stays in force until the day before. Amounts are whole rupiah.
    """
    if amount < 0 or amount != amount.to_integral_value():
        raise MasterDataError(
            _("TPP amount %(amount)s is invalid; write a whole number of rupiah, 0 or more.")
            % {"amount": amount},
            code="tpp_amount_invalid",
        )

    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        old_amount = tpp_amount_on(employee=employee, day=valid_from)
        row, _created = EmployeeTpp.objects.update_or_create(
            employee=employee, valid_from=valid_from, defaults={"amount": amount}
        )
        if old_amount != amount:
            audit_record(
                actor=actor, actor_label=actor_label, action="employee.tpp_amount", obj=employee,
                old={"tpp_amount": old_amount},
                new={"tpp_amount": amount, "valid_from": valid_from},
                reason=reason,
            )
    return row


def employee_tpp_delete(*, row: EmployeeTpp, actor=None, actor_label: str = "", reason: str = "") -> None:
    """Delete one dated TPP amount of an employee, and audit it."""
    with transaction.atomic():
        audit_record(
            actor=actor, actor_label=actor_label, action="employee.tpp_amount_delete", obj=row.employee,
            old={"tpp_amount": row.amount, "valid_from": row.valid_from}, reason=reason,
        )
        row.delete()
