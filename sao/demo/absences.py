"""Absences of the demo: a week of perjalanan dinas, a cuti tahunan and a sick day, approved on
paper, and one dinas luar request waiting for the atasan of the demo UPT.

The approved ones are entered through `absence_request_create` as paper approvals imported by
the BKD admin, the path that stores a request approved at once and marks its days for
recomputation. The pending one is entered by the UPT's operator login, so the printed logins
can walk the chain: the UPT's atasan approves it, then the agency's Verifikator verifies it.
"""

from __future__ import annotations

import datetime as dt
import logging

from sao.absences.models import OPEN_STATUSES, AbsenceRequest, AbsenceType, Channel
from sao.absences.services import AbsenceError, absence_request_create
from sao.org.models import Employee, EmployeeKind, LegalStatus, Role, ScheduleProfile, UnitKind, User

logger = logging.getLogger(__name__)

ADMIN_USERNAME = "admin.bkd"
PENDING_REFERENCE = "DEMO/ST-001/UPT"


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def absence_plan(end: dt.date) -> list[tuple[str, dt.date, dt.date, str]]:
    """Return (type code, first day, last day, reference) of the demo absences, counted back from `end`."""
    monday = end - dt.timedelta(days=21)
    monday -= dt.timedelta(days=monday.weekday())
    friday = monday + dt.timedelta(days=4)
    leave = _weekday_on_or_before(end - dt.timedelta(days=10))
    sick = _weekday_on_or_before(end - dt.timedelta(days=3))
    travel_reference = f"094/{monday:%m}12/BPKAD-PD"
    return [
        ("PD", monday, friday, travel_reference),
        ("PD", monday, friday, travel_reference),
        ("PD", monday, friday, travel_reference),
        ("CT", leave, leave, ""),
        ("SAKIT", sick, sick, ""),
    ]


def demo_absences_create(*, end: dt.date, actor_label: str) -> int:
    """Store the planned absences that do not exist yet; return how many were created.

    The employees are active PNS of five-day agencies, chosen in NIP order so a re-run picks
    the same people. A request the rules reject (for example a leave balance that is too low)
    is logged and skipped.
    """
    actor = User.objects.filter(username=ADMIN_USERNAME).first()
    if actor is None:
        logger.warning("demo absences skipped: login %s not found", ADMIN_USERNAME)
        return 0
    candidates = list(
        Employee.objects.filter(kind=EmployeeKind.PNS, legal_status=LegalStatus.ACTIVE,
                                unit__kind=UnitKind.OPD, unit__schedule_profile=ScheduleProfile.FIVE_DAY)
        .order_by("nip")
    )
    plan = absence_plan(end)
    if len(candidates) < len(plan):
        logger.warning("demo absences skipped: only %s candidates", len(candidates))
        return 0

    step = len(candidates) // len(plan)
    types = {absence_type.code: absence_type for absence_type in AbsenceType.objects.all()}
    created = 0
    for index, (code, first, last, reference) in enumerate(plan):
        employee = candidates[index * step]
        if AbsenceRequest.objects.filter(employee=employee, absence_type__code=code,
                                         start_date=first).exists():
            continue
        try:
            absence_request_create(
                employee=employee, absence_type=types[code], start_date=first, end_date=last,
                actor=actor, actor_label=actor_label, channel=Channel.IMPORT, reference=reference,
                destination="Jakarta" if code == "PD" else "", approved_on_paper=True,
                note="Demo absence approved on paper.",
            )
        except AbsenceError as exc:
            logger.warning("demo absence %s for employee %s skipped: %s", code, employee.pk, exc)
            continue
        created += 1
    # Not counted: `created` is printed as the number of approved absences.
    demo_pending_request_create(end=end)
    return created


def _next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=7 - day.weekday())


def demo_pending_request_create(*, end: dt.date) -> AbsenceRequest | None:
    """Enter one dinas luar request waiting for the demo UPT's atasan, unless one is open already.

    The UPT operator login enters it for a subordinate of the `atasan.` login of the same unit,
    on the Monday and Tuesday after `end`. Returns the new request, or None when one is open,
    when the logins are missing, or when the rules reject it (logged).
    """
    operator = (
        User.objects.filter(username__startswith="operator.", role=Role.OPERATOR_UNIT, unit__isnull=False)
        .select_related("unit")
        .order_by("username")
        .first()
    )
    atasan = (
        User.objects.filter(
            username__startswith="atasan.", role=Role.SUPERVISOR, employee__unit=operator.unit
        ).first()
        if operator is not None
        else None
    )
    if atasan is None:
        logger.warning("demo pending request skipped: no UPT has both an operator and an atasan login")
        return None

    employee = (
        Employee.objects.filter(supervisor_id=atasan.employee_id, unit=operator.unit, nip__isnull=False,
                                legal_status=LegalStatus.ACTIVE)
        .order_by("nip")
        .first()
    )
    if employee is None:
        logger.warning("demo pending request skipped: %s has no active subordinate", atasan.username)
        return None
    if AbsenceRequest.objects.filter(reference=PENDING_REFERENCE, status__in=OPEN_STATUSES).exists():
        return None

    start = _next_monday(end)
    try:
        return absence_request_create(
            employee=employee, absence_type=AbsenceType.objects.get(code="DL"), start_date=start,
            end_date=start + dt.timedelta(days=1), actor=operator, reference=PENDING_REFERENCE,
            destination="Kantor Gubernur, Samarinda", note="Demo request waiting for the atasan.",
        )
    except AbsenceError as exc:
        logger.warning("demo pending request for employee %s skipped: %s", employee.pk, exc)
        return None
