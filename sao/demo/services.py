"""`demo_build`: the demo province with its units, about 3,000 employees and one login per role.

Running it again changes nothing: the plan comes from a fixed random seed, employees are
matched by NIP (or NIK for non-ASN), units by code and logins by username. An employee that
already exists is left as it is, so changes made while trying the demo survive a re-run.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.attendance.compute import ComputeStats, recompute
from sao.audit.services import audit_record
from sao.demo.absences import demo_absences_create
from sao.demo.devices import (
    DevicesResult,
    demo_devices_register,
    demo_punches_simulate,
    demo_rosters_apply,
    push_server,
)
from sao.demo.faults import demo_faults_create, demo_faults_plan
from sao.demo.logins import LoginRow, demo_logins_upsert
from sao.demo.staffing import EmployeeSpec, UnitInfo, staffing_plan
from sao.demo.units import UnitsFile, demo_units_import, units_file_resolve
from sao.devices.simulator.push import PushStats
from sao.org.importing.units import UnitImportResult, units_import
from sao.org.models import (
    Employee,
    EmployeeKind,
    LegalStatus,
    LegalStatusPeriod,
    Unit,
    UnitAssignment,
    UnitKind,
)
from sao.org.services import employee_set_legal_status, employee_transfer, employee_update

logger = logging.getLogger(__name__)

ACTOR_LABEL = "sao demo"
DEFAULT_EMPLOYEES = 3000
DEFAULT_SEED = 2026
WITA = ZoneInfo("Asia/Makassar")

# The agency and the UPT that the role logins are scoped to, when the tree has them.
LOGIN_AGENCY_CODE = "OPD-BAPENDA"
LOGIN_UPT_CODE = "UPT-BAPENDA-SAMARINDA"
# The login agency needs a kepala, a Kasubag Umum, a kepala bidang and staff under them.
LOGIN_AGENCY_MIN_HEADCOUNT = 16

BATCH_SIZE = 500


@dataclass
class DemoResult:
    """Outcome of one demo run: units imported, employees created or found, story events, logins."""

    units_file: UnitsFile
    units: UnitImportResult
    demo_units: UnitImportResult
    planned: int = 0
    created: int = 0
    existing: int = 0
    # Keys of planned employees skipped because their NIK belongs to another employee.
    conflicts: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    logins: list[LoginRow] = field(default_factory=list)
    devices: DevicesResult | None = None
    punch_start: dt.date | None = None
    punch_end: dt.date | None = None
    shifts: int = 0
    absences: int = 0
    push: PushStats | None = None
    compute: ComputeStats | None = None
    seconds: float = 0.0


def demo_build(
    *, units_option: str | None = None, employees: int = DEFAULT_EMPLOYEES, seed: int = DEFAULT_SEED,
    today: dt.date | None = None, punches: bool = True, days: int | None = None,
) -> DemoResult:
    """Build the demo province.

    1. Import the unit tree file, then the demo schools and sub-units.
    2. Plan `employees` people over the units and insert those not yet present, with their
       opening assignment and legal status, and one audit entry for the batch.
    3. Record a few legal-status changes (CLTN, tugas belajar) and mid-month transfers through
       the org services, so the history screens have content.
    4. Create or update one login per role.
    5. Unless `punches` is false, register devices and PINs, rosters and a few absences. Then
       push the punches of the two full months before this one and of this month up to
       yesterday (or of the last `days` days) through gunicorn, less those the demo's device
       faults removed, give those faults their tickets and backfill, and compute those days.
    """
    started = time.monotonic()
    today = today or timezone.now().astimezone(WITA).date()

    units_file = units_file_resolve(option=units_option)
    unit_result = units_import(data=units_file.path.read_bytes(), filename=units_file.path.name,
                               actor_label=ACTOR_LABEL)
    demo_unit_result = demo_units_import(actor_label=ACTOR_LABEL)
    result = DemoResult(units_file=units_file, units=unit_result, demo_units=demo_unit_result)

    units = {unit.code: unit for unit in Unit.objects.filter(is_active=True).select_related("parent")}
    agency_code, upt_code = _login_unit_codes(units)
    minimums = {agency_code: LOGIN_AGENCY_MIN_HEADCOUNT} if agency_code else {}
    infos = [_unit_info(unit) for unit in units.values()]
    specs = staffing_plan(infos, total=employees, rng=random.Random(seed), minimums=minimums)
    result.planned = len(specs)

    ids = _employees_write(specs=specs, units=units, result=result)
    _story_write(specs=specs, ids=ids, units=units, today=today, agency_code=agency_code,
                 result=result)
    result.logins = demo_logins_upsert(
        specs=specs, ids=ids, agency=units.get(agency_code or ""), upt=units.get(upt_code or ""),
    )

    if punches:
        _attendance_write(result=result, today=today, days=days, seed=seed)

    result.seconds = time.monotonic() - started
    logger.info("demo built in %.1f s: %s employees planned, %s created, %s existing, %s conflicts",
                result.seconds, result.planned, result.created, result.existing,
                len(result.conflicts))
    return result


def punch_range(today: dt.date, days: int | None = None) -> tuple[dt.date, dt.date]:
    """Return the first and last day of demo punches: up to yesterday, from two months back."""
    end = today - dt.timedelta(days=1)
    if days is not None:
        return end - dt.timedelta(days=days - 1), end
    first_of_month = today.replace(day=1)
    start = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    start = (start - dt.timedelta(days=1)).replace(day=1)
    return start, end


def _attendance_write(*, result: DemoResult, today: dt.date, days: int | None, seed: int) -> None:
    start, end = punch_range(today, days)
    result.punch_start, result.punch_end = start, end
    # Devices were commissioned a week before the first day of the full range, whatever `days`
    # is, so a later full run finds every punch covered by the PIN mappings.
    commissioned_on = min(start, punch_range(today)[0]) - dt.timedelta(days=7)
    result.devices = demo_devices_register(commissioned_on=commissioned_on,
                                           actor_label=ACTOR_LABEL)
    result.absences = demo_absences_create(end=end, actor_label=ACTOR_LABEL)
    # Rosters are published ahead, here to the end of next month, so the live devices' punches
    # of today and the coming days meet a rostered shift.
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    roster_end = (next_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    result.shifts = demo_rosters_apply(sites=result.devices.sites, start=start, end=roster_end,
                                       actor_label=ACTOR_LABEL)
    fault_plan = demo_faults_plan(sites=result.devices.sites, start=start, end=end)
    with push_server() as url:
        result.push = demo_punches_simulate(base_url=url, sites=result.devices.sites, start=start,
                                            end=end, seed=seed, withhold=fault_plan.withholds)
    if result.push.errors:
        logger.warning("demo push had %s errors, first: %s", result.push.errors,
                       result.push.error_samples[:1])
    result.events.extend(demo_faults_create(plan=fault_plan).events)
    result.compute = recompute(start=start, end=end)
    # The rate reports read past days from per-unit counts, refreshed here rather than by the
    # periodic job, so the demo's dashboard and rankings are filled at once.
    from sao.reports.services import unit_day_counts_refresh

    unit_day_counts_refresh(start=start, end=end)


def _unit_info(unit: Unit) -> UnitInfo:
    return UnitInfo(
        code=unit.code, parent_code=unit.parent.code if unit.parent_id else None, kind=unit.kind,
        name=unit.name, city=unit.city, employee_estimate=unit.employee_estimate,
    )


def _login_unit_codes(units: dict[str, Unit]) -> tuple[str | None, str | None]:
    """Choose the agency and the UPT for the role logins: Bapenda and Samsat Samarinda if present.

    Otherwise the agency is the first OPD directly under the province, and the UPT is the
    first UPT of the tree. A tree without them gets no unit-scoped logins.
    """
    agency = LOGIN_AGENCY_CODE if LOGIN_AGENCY_CODE in units else None
    if agency is None:
        agencies = sorted(
            code for code, unit in units.items()
            if unit.kind == UnitKind.OPD and unit.parent_id and unit.parent.kind == UnitKind.PROVINCE
        )
        agency = agencies[0] if agencies else None

    upt = LOGIN_UPT_CODE if LOGIN_UPT_CODE in units else None
    if upt is None:
        upts = sorted(code for code, unit in units.items() if unit.kind == UnitKind.UPT)
        upt = upts[0] if upts else None
    return agency, upt


def _employees_write(*, specs: list[EmployeeSpec], units: dict[str, Unit],
                     result: DemoResult) -> dict[str, int]:
    """Insert the planned employees not yet present; return the id of every planned key found.

    The rows are the ones `employee_create` writes (employee, opening assignment, opening
    legal status), inserted in bulk, with one audit entry for the whole batch.
    """
    nips = [spec.identity.nip for spec in specs if spec.identity.nip]
    niks = [spec.identity.nik for spec in specs]
    ids: dict[str, int] = {}
    taken_niks: set[str] = set()
    for chunk in _chunks(nips):
        ids.update(Employee.objects.filter(nip__in=chunk).values_list("nip", "id"))
    for chunk in _chunks(niks):
        for nik, nip, pk in Employee.objects.filter(nik__in=chunk).values_list("nik", "nip", "id"):
            taken_niks.add(nik)
            if nip is None:
                ids[nik] = pk

    new_specs = []
    for spec in specs:
        if spec.key in ids:
            result.existing += 1
        elif spec.identity.nik in taken_niks:
            result.conflicts.append(spec.key)
        else:
            new_specs.append(spec)
    if not new_specs:
        return ids

    with transaction.atomic():
        rows = [_employee_row(spec, units) for spec in new_specs]
        Employee.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        for spec, row in zip(new_specs, rows, strict=True):
            ids[spec.key] = row.pk

        for spec, row in zip(new_specs, rows, strict=True):
            row.supervisor_id = ids.get(spec.supervisor_key) if spec.supervisor_key else None
        Employee.objects.bulk_update(rows, ["supervisor_id"], batch_size=BATCH_SIZE)

        UnitAssignment.objects.bulk_create(
            [UnitAssignment(employee=row, unit=row.unit, valid_from=spec.valid_from)
             for spec, row in zip(new_specs, rows, strict=True)],
            batch_size=BATCH_SIZE,
        )
        LegalStatusPeriod.objects.bulk_create(
            [LegalStatusPeriod(employee=row, status=LegalStatus.ACTIVE, valid_from=spec.valid_from)
             for spec, row in zip(new_specs, rows, strict=True)],
            batch_size=BATCH_SIZE,
        )
        result.created = len(rows)
        province = next((unit for unit in units.values() if unit.parent_id is None), None)
        audit_record(
            actor=None, actor_label=ACTOR_LABEL, action="demo.employees_create",
            obj=province or rows[0],
            new={"created": len(rows), "kinds": _kind_counts(new_specs)},
            reason="Synthetic employees of the demo province.",
        )
    return ids


def _employee_row(spec: EmployeeSpec, units: dict[str, Unit]) -> Employee:
    identity = spec.identity
    return Employee(
        nip=identity.nip, nik=identity.nik, front_title=spec.front_title, name=identity.name,
        back_title=spec.back_title, kind=spec.kind, sex=identity.sex, birth_date=identity.birth_date,
        grade_scheme=spec.grade_scheme, grade_code=spec.grade_code, echelon=spec.echelon,
        position_kind=spec.position_kind, position=spec.position, unit=units[spec.unit_code],
        legal_status=LegalStatus.ACTIVE,
    )


def _kind_counts(specs: list[EmployeeSpec]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec.kind] = counts.get(spec.kind, 0) + 1
    return counts


def _chunks(values: list[str], size: int = BATCH_SIZE):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _story_write(*, specs: list[EmployeeSpec], ids: dict[str, int], units: dict[str, Unit],
                 today: dt.date, agency_code: str | None, result: DemoResult) -> None:
    """Give a few PNS staff a CLTN, a tugas belajar or a mid-month transfer (mutasi).

    The people are chosen from the plan, so a re-run picks the same ones and skips those who
    already have the status or the unit. Only changes made by this run are added to `events`.
    """
    candidates = [
        spec for spec in specs
        if spec.role == "staff" and spec.kind == EmployeeKind.PNS and spec.key in ids
        and units[spec.unit_code].kind == UnitKind.OPD and spec.unit_code != agency_code
    ]
    if len(candidates) < 6:
        logger.warning("demo story skipped: only %s PNS staff outside the login agency",
                       len(candidates))
        return

    step = len(candidates) // 6
    chosen = [candidates[index * step] for index in range(6)]
    first_of_month = today.replace(day=1)
    previous_month = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    mid_previous_month = previous_month.replace(day=16)

    statuses = [
        (chosen[0], LegalStatus.CLTN, previous_month, "800.1.6.3/0141/BKD"),
        (chosen[1], LegalStatus.CLTN, first_of_month, "800.1.6.3/0187/BKD"),
        (chosen[2], LegalStatus.STUDY, previous_month, "800.1.13/0212/BKD"),
        (chosen[3], LegalStatus.STUDY, first_of_month, "800.1.13/0236/BKD"),
    ]
    for spec, status, valid_from, decree in statuses:
        employee = Employee.objects.get(pk=ids[spec.key])
        if employee.legal_status == status:
            continue
        employee_set_legal_status(employee=employee, status=status, valid_from=valid_from,
                                  decree=decree, actor_label=ACTOR_LABEL,
                                  reason="Demo legal status change.")
        result.events.append(_("%(key)s: %(status)s from %(date)s")
                             % {"key": spec.key, "status": status.label, "date": valid_from.isoformat()})

    heads = {spec.unit_code: spec.key for spec in specs if spec.role == "head"}
    targets = [code for code in sorted(heads) if units[code].kind == UnitKind.OPD]
    for number, spec in enumerate(chosen[4:6]):
        target_code = _transfer_target(targets, spec.unit_code, offset=number * 7 + 3)
        employee = Employee.objects.get(pk=ids[spec.key])
        if employee.unit_id == units[target_code].pk:
            continue
        employee_transfer(employee=employee, unit=units[target_code], valid_from=mid_previous_month,
                          decree=f"821.2/{310 + number:04d}/BKD-MUT", actor_label=ACTOR_LABEL,
                          reason="Demo transfer (mutasi) in mid-month.")
        employee_update(employee=employee, values={"supervisor_id": ids.get(heads[target_code])},
                        actor_label=ACTOR_LABEL, reason="New supervisor after the transfer.")
        result.events.append(
            _("%(key)s: transferred from %(old)s to %(new)s from %(date)s")
            % {"key": spec.key, "old": spec.unit_code, "new": target_code,
               "date": mid_previous_month.isoformat()}
        )


def _transfer_target(targets: list[str], current: str, *, offset: int) -> str:
    index = (targets.index(current) if current in targets else 0) + offset
    target = targets[index % len(targets)]
    if target == current:
        target = targets[(index + 1) % len(targets)]
    return target
