"""Imports of the device registry and of the PIN map from CSV or XLSX files.

Both check every row first and write nothing when any row is rejected, so a corrected file
can simply be imported again. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils.translation import gettext as _

from sao.devices.models import Device, DeviceStatus, PinMapping
from sao.devices.services import DeviceError, device_register, pin_mapping_create
from sao.org.importing.common import RowError, cell_text, read_sheet
from sao.org.models import Employee, Unit

DEVICE_COLUMNS = ["serial", "unit_code", "model", "time_zone", "commissioned_on"]
PIN_MAP_COLUMNS = ["device_serial", "unit_code", "pin", "nip", "valid_from"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    attached_punches: int = 0
    errors: list[RowError] = field(default_factory=list)


def _parse_date(value: object) -> dt.date:
    """Read a date cell: an XLSX date or the text YYYY-MM-DD; raises ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(cell_text(value))


def _pin_text(value: object) -> str:
    # A spreadsheet may turn PIN 12 into the number 12.0; PINs are text, so undo that.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cell_text(value)


@dataclass
class _DeviceRow:
    line: int
    serial: str
    unit: Unit
    model: str
    time_zone: str
    commissioned_on: dt.date | None


def devices_import(*, data: bytes, filename: str, actor=None,
                   actor_label: str = "") -> ImportResult:
    """Register devices from `serial,unit_code,model,time_zone,commissioned_on` rows.

    A serial already waiting as pending is accepted into the unit and its uploads replayed.
    """
    sheet = read_sheet(data, filename=filename, required=DEVICE_COLUMNS)
    units = {unit.code.upper(): unit for unit in Unit.objects.all()}
    result = ImportResult()
    rows: list[_DeviceRow] = []
    seen: dict[str, int] = {}

    for line, record in sheet.rows:
        serial = cell_text(record.get("serial"))
        unit_code = cell_text(record.get("unit_code")).upper()
        model = cell_text(record.get("model"))
        time_zone = cell_text(record.get("time_zone"))
        commissioned_raw = record.get("commissioned_on")

        if not serial:
            result.errors.append(RowError(line, "serial", "", _("The serial number is empty."),
                                          "serial_missing"))
            continue
        if serial in seen:
            result.errors.append(RowError(
                line, "serial", serial,
                _("Serial %(serial)s is already on line %(first)s; list each device once.")
                % {"serial": serial, "first": seen[serial]}, "serial_duplicate"))
            continue
        seen[serial] = line
        unit = units.get(unit_code)
        if unit is None:
            result.errors.append(RowError(
                line, "unit_code", unit_code,
                _("Unit %(code)s does not exist; import the unit tree first or fix the code.")
                % {"code": unit_code or "-"}, "unit_unknown"))
            continue
        if time_zone:
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                result.errors.append(RowError(
                    line, "time_zone", time_zone,
                    _("Time zone %(zone)s is unknown; use an IANA name such as Asia/Makassar.")
                    % {"zone": time_zone}, "time_zone_unknown"))
                continue
        commissioned_on = None
        if cell_text(commissioned_raw):
            try:
                commissioned_on = _parse_date(commissioned_raw)
            except ValueError:
                result.errors.append(RowError(
                    line, "commissioned_on", cell_text(commissioned_raw),
                    _("The date %(value)s is invalid; write it as YYYY-MM-DD.")
                    % {"value": cell_text(commissioned_raw)}, "date_invalid"))
                continue
        rows.append(_DeviceRow(line, serial, unit, model, time_zone, commissioned_on))

    if result.errors:
        return result

    for row in rows:
        existing = Device.objects.filter(serial=row.serial).first()
        if existing is not None and existing.status != DeviceStatus.PENDING and (
            existing.unit_id == row.unit.pk
            and existing.model == (row.model or existing.model)
            and existing.time_zone == (row.time_zone or existing.time_zone)
            and existing.commissioned_on == (row.commissioned_on or existing.commissioned_on)
        ):
            result.unchanged += 1
            continue
        _device, created = device_register(
            serial=row.serial, unit=row.unit, model=row.model, time_zone=row.time_zone,
            commissioned_on=row.commissioned_on, actor=actor, actor_label=actor_label,
        )
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


@dataclass
class _PinRow:
    line: int
    device: Device | None
    unit: Unit | None
    pin: str
    employee: Employee
    valid_from: dt.date


def pin_map_import(*, data: bytes, filename: str, actor=None,
                   actor_label: str = "") -> ImportResult:
    """Map PINs from `device_serial,unit_code,pin,nip,valid_from` rows (one of the first two set).

    A unit row maps the PIN on every device of that unit and of its sub-units. Punches
    already stored for the PIN get their employee without a new upload.
    """
    sheet = read_sheet(data, filename=filename, required=PIN_MAP_COLUMNS)
    result = ImportResult()
    rows: list[_PinRow] = []
    seen: dict[tuple, int] = {}

    for line, record in sheet.rows:
        serial = cell_text(record.get("device_serial"))
        unit_code = cell_text(record.get("unit_code")).upper()
        pin = _pin_text(record.get("pin"))
        nip = cell_text(record.get("nip"))
        valid_raw = record.get("valid_from")

        if bool(serial) == bool(unit_code):
            result.errors.append(RowError(
                line, "device_serial", serial or unit_code,
                _("Fill exactly one of device_serial and unit_code."), "target_ambiguous"))
            continue
        device = unit = None
        if serial:
            device = Device.objects.filter(serial=serial).first()
            if device is None:
                result.errors.append(RowError(
                    line, "device_serial", serial,
                    _("Device %(serial)s is not registered; import the devices first.")
                    % {"serial": serial}, "device_unknown"))
                continue
        else:
            unit = Unit.objects.filter(code__iexact=unit_code).first()
            if unit is None:
                result.errors.append(RowError(
                    line, "unit_code", unit_code,
                    _("Unit %(code)s does not exist.") % {"code": unit_code}, "unit_unknown"))
                continue
        if not pin:
            result.errors.append(RowError(line, "pin", "", _("The PIN is empty."), "pin_missing"))
            continue
        employee = Employee.objects.filter(nip=nip).first() if nip else None
        if employee is None:
            result.errors.append(RowError(
                line, "nip", nip,
                _("No employee has NIP %(nip)s; import the employee first or fix the NIP.")
                % {"nip": nip or "-"}, "employee_unknown"))
            continue
        try:
            valid_from = _parse_date(valid_raw)
        except ValueError:
            result.errors.append(RowError(
                line, "valid_from", cell_text(valid_raw),
                _("The date %(value)s is invalid; write it as YYYY-MM-DD.")
                % {"value": cell_text(valid_raw) or "-"}, "date_invalid"))
            continue
        key = (serial, unit_code, pin, valid_from)
        if key in seen:
            result.errors.append(RowError(
                line, "pin", pin,
                _("PIN %(pin)s from %(date)s is already on line %(first)s.")
                % {"pin": pin, "date": valid_from, "first": seen[key]}, "pin_duplicate"))
            continue
        seen[key] = line
        rows.append(_PinRow(line, device, unit, pin, employee, valid_from))

    if result.errors:
        return result

    with transaction.atomic():
        for row in rows:
            existing = PinMapping.objects.filter(
                device=row.device, unit=row.unit, pin=row.pin, valid_from=row.valid_from
            ).first()
            if existing is not None:
                if existing.employee_id == row.employee.pk:
                    result.unchanged += 1
                    continue
                result.errors.append(RowError(
                    row.line, "nip", row.employee.nip or "",
                    _("PIN %(pin)s from %(date)s already belongs to another employee; end that "
                      "mapping first.") % {"pin": row.pin, "date": row.valid_from},
                    "pin_taken"))
                continue
            try:
                mapped = pin_mapping_create(employee=row.employee, pin=row.pin,
                                            valid_from=row.valid_from, device=row.device,
                                            unit=row.unit, actor=actor, actor_label=actor_label)
            except DeviceError as exc:
                result.errors.append(RowError(row.line, "pin", row.pin, str(exc), exc.code))
                continue
            result.created += 1
            result.attached_punches += mapped.attached
        if result.errors:
            transaction.set_rollback(True)
            result.created = result.attached_punches = 0
    return result
