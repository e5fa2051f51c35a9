"""Import of the unit tree from CSV: code,parent_code,kind,name,short_name,city,schedule_profile,..."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from sao.audit.services import audit_record
from sao.org.importing.common import RowError, cell_text, read_sheet
from sao.org.models import ScheduleProfile, Unit, UnitKind

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ["code", "parent_code", "kind", "name"]

# Cities outside WITA. The Kaltim liaison office in Jakarta keeps WIB (local practice).
CITY_TIME_ZONES = {"jakarta": "Asia/Jakarta"}


@dataclass
class UnitImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _UnitRow:
    line: int
    values: dict


def _parse_rows(data: bytes, filename: str) -> tuple[list[_UnitRow], list[RowError]]:
    sheet = read_sheet(data, filename=filename, required=REQUIRED_COLUMNS)
    kinds = set(UnitKind.values)
    profiles = set(ScheduleProfile.values)
    seen: dict[str, int] = {}
    parsed: list[_UnitRow] = []
    errors: list[RowError] = []

    for line, record in sheet.rows:
        code = cell_text(record.get("code")).upper()
        parent = cell_text(record.get("parent_code")).upper()
        kind = cell_text(record.get("kind")).lower()
        name = cell_text(record.get("name"))
        city_raw = cell_text(record.get("city"))
        profile_raw = cell_text(record.get("schedule_profile")).lower()
        estimate_raw = cell_text(record.get("employee_estimate"))

        if not code:
            errors.append(RowError(line, "code", "", _("The unit code is empty."), "code_missing"))
            continue
        if code in seen:
            errors.append(RowError(
                line, "code", code,
                _("Code %(code)s is already used on line %(first)s; every unit needs its own code.")
                % {"code": code, "first": seen[code]},
                "code_duplicate",
            ))
            continue
        seen[code] = line
        if kind not in kinds:
            errors.append(RowError(
                line, "kind", kind,
                _("Kind %(kind)s is unknown; use one of %(choices)s.")
                % {"kind": kind, "choices": ", ".join(sorted(kinds))},
                "kind_unknown",
            ))
            continue
        if not name:
            errors.append(RowError(line, "name", "", _("The unit name is empty."), "name_missing"))
            continue

        profile = profile_raw.rstrip("?") or ScheduleProfile.FIVE_DAY
        if profile not in profiles:
            errors.append(RowError(
                line, "schedule_profile", profile_raw,
                _("Schedule profile %(value)s is unknown; use 5day, 6day or shift.")
                % {"value": profile_raw},
                "profile_unknown",
            ))
            continue
        estimate = None
        if estimate_raw:
            if not estimate_raw.isdigit():
                errors.append(RowError(
                    line, "employee_estimate", estimate_raw,
                    _("Employee estimate %(value)s is not a whole number.") % {"value": estimate_raw},
                    "estimate_invalid",
                ))
                continue
            estimate = int(estimate_raw)

        city = city_raw.rstrip("?").strip()
        parsed.append(_UnitRow(line, {
            "code": code,
            "parent_code": parent,
            "kind": kind,
            "name": name,
            "short_name": cell_text(record.get("short_name")),
            "city": city,
            "time_zone": cell_text(record.get("time_zone"))
            or CITY_TIME_ZONES.get(city.lower(), "Asia/Makassar"),
            "schedule_profile": profile,
            "details_unverified": city_raw.endswith("?") or profile_raw.endswith("?"),
            "employee_estimate": estimate,
            "source": cell_text(record.get("source")),
        }))
    return parsed, errors


def _order_parents_first(
    rows: list[_UnitRow], existing_codes: set[str]
) -> tuple[list[_UnitRow], list[RowError]]:
    """Sort rows so every parent comes before its children; reject unknown parents and cycles."""
    by_code = {row.values["code"]: row for row in rows}
    ordered: list[_UnitRow] = []
    placed: set[str] = set()
    errors: list[RowError] = []
    rejected: set[str] = set()

    def place(row: _UnitRow, trail: tuple[str, ...]) -> bool:
        code = row.values["code"]
        if code in placed:
            return True
        if code in rejected:
            return False
        parent = row.values["parent_code"]
        if parent:
            if parent in trail:
                errors.append(RowError(
                    row.line, "parent_code", parent,
                    _("Parent %(parent)s makes a loop in the tree; a unit cannot be its own "
                      "ancestor.") % {"parent": parent},
                    "parent_cycle",
                ))
                rejected.add(code)
                return False
            if parent in by_code:
                if not place(by_code[parent], (*trail, code)) and parent not in existing_codes:
                    errors.append(RowError(
                        row.line, "parent_code", parent,
                        _("Parent %(parent)s was rejected, so this unit cannot be placed under it.")
                        % {"parent": parent},
                        "parent_rejected",
                    ))
                    rejected.add(code)
                    return False
            elif parent not in existing_codes:
                errors.append(RowError(
                    row.line, "parent_code", parent,
                    _("Parent code %(parent)s is not in the file nor in SAO; add that unit first "
                      "or correct the code.") % {"parent": parent},
                    "parent_unknown",
                ))
                rejected.add(code)
                return False
        ordered.append(row)
        placed.add(code)
        return True

    for row in rows:
        place(row, ())
    return ordered, errors


def units_import(*, data: bytes, filename: str, actor=None, actor_label: str = "") -> UnitImportResult:
    """Create or update units from a CSV/XLSX file; rejected rows are listed with their line."""
    rows, errors = _parse_rows(data, filename)
    existing = {unit.code: unit for unit in Unit.objects.all()}
    ordered, tree_errors = _order_parents_first(rows, set(existing))
    errors.extend(tree_errors)
    errors.sort(key=lambda error: error.line)
    result = UnitImportResult(errors=errors)

    with transaction.atomic():
        for row in ordered:
            values = dict(row.values)
            parent_code = values.pop("parent_code")
            parent = existing.get(parent_code) if parent_code else None
            unit = existing.get(values["code"])
            if unit is None:
                unit = Unit(parent=parent, **values)
                unit.compute_path()
                unit.save()
                existing[unit.code] = unit
                audit_record(actor=actor, actor_label=actor_label, action="unit.create",
                             obj=unit, new=row.values)
                result.created += 1
                continue

            old = {name: getattr(unit, name) for name in values}
            old["parent_code"] = unit.parent.code if unit.parent_id else ""
            if old == row.values:
                result.unchanged += 1
                continue
            for name, value in values.items():
                setattr(unit, name, value)
            unit.parent = parent
            unit.compute_path()
            unit.save()
            audit_record(actor=actor, actor_label=actor_label, action="unit.update",
                         obj=unit, old=old, new=row.values)
            result.updated += 1

        _refresh_paths()

    logger.info("units imported from %s: %s created, %s updated, %s unchanged, %s rejected",
                filename, result.created, result.updated, result.unchanged, len(result.errors))
    return result


def _refresh_paths() -> None:
    """Recompute every materialised path after parents moved; the tree has at most a few thousand units."""
    units = {unit.pk: unit for unit in Unit.objects.all()}
    changed = []

    def path_of(unit: Unit) -> str:
        if unit.parent_id is None:
            return f"/{unit.code}/"
        return f"{path_of(units[unit.parent_id])}{unit.code}/"

    for unit in units.values():
        path = path_of(unit)
        if unit.path != path:
            unit.path = path
            unit.depth = path.count("/") - 2
            changed.append(unit)
    Unit.objects.bulk_update(changed, ["path", "depth"])
