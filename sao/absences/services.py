"""Writes of the absence chain: entry, decisions by the atasan and the Verifikator, escalation.

Every write runs in one transaction with its audit entry and its AbsenceStep row. Days are
marked for recomputation only when a request is finally approved or imported as approved on
paper. Notifications are sent after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.absences.balance import leave_balance, years_of_service
from sao.absences.models import (
    OPEN_STATUSES,
    AbsenceRequest,
    AbsenceStep,
    AbsenceType,
    ApprovalStep,
    Channel,
    Delegation,
    RequestStatus,
    StepAction,
    TravelGroup,
)
from sao.absences.workdays import working_days
from sao.attendance.dirty import enqueue_recompute, mark_days_dirty
from sao.attendance.models import MonthClose, MonthCloseStatus
from sao.audit.services import audit_record
from sao.notify import services as notify
from sao.org.models import Employee, Role, User
from sao.org.scope import scope_queryset

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I, which readers confuse in an SMS
CODE_LENGTH = 4
# A request waiting longer than this at one stage is escalated once.
ESCALATE_AFTER = dt.timedelta(days=3)
ENTRY_ROLES = frozenset({Role.ADMIN_BKD, Role.OPERATOR_BKD, Role.OPERATOR_UNIT})


class AbsenceError(Exception):
    """A request or decision that the rules do not allow, with a stable code for forms and tests."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _snapshot(request: AbsenceRequest) -> dict:
    return {
        "code": request.code,
        "employee": request.employee_id,
        "type": request.absence_type.code,
        "start_date": request.start_date,
        "end_date": request.end_date,
        "status": request.status,
        "working_days": request.working_days,
        "reference": request.reference,
        "note": request.note,
    }


def _local_today(employee: Employee, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(employee.unit.time_zone or "Asia/Makassar")).date()


def _month_closed(employee: Employee, day: dt.date) -> bool:
    """Tell whether the month of `day` is closed for the employee's unit or any unit above it."""
    path = employee.unit.path
    ancestor_paths = [path[: index + 1] for index, char in enumerate(path) if char == "/" and index > 0]
    return MonthClose.objects.filter(
        month=day.replace(day=1),
        status__in=[MonthCloseStatus.CLOSED, MonthCloseStatus.SIGNED],
        unit__path__in=ancestor_paths,
    ).exists()


def _all_dates(request: AbsenceRequest) -> list[tuple[int, dt.date]]:
    days = (request.end_date - request.start_date).days + 1
    return [(request.employee_id, request.start_date + dt.timedelta(days=offset)) for offset in range(days)]


def _check_entry_actor(*, actor: User | None, actor_employee: Employee | None, employee: Employee) -> None:
    if actor is not None and actor.is_authenticated:
        if actor.employee_id == employee.pk:
            return
        may_enter_for_others = actor.is_superuser or actor.role in ENTRY_ROLES
        if (
            may_enter_for_others
            and scope_queryset(user=actor, queryset=Employee.objects.filter(pk=employee.pk)).exists()
        ):
            return
        raise AbsenceError(
            _("You may enter absences only for yourself or for employees of your unit."), "not_allowed"
        )
    if actor_employee is not None and actor_employee.pk == employee.pk:
        return
    raise AbsenceError(_("The sender may enter absences only for themselves."), "not_allowed")


def _validate(
    *,
    employee: Employee,
    absence_type: AbsenceType,
    start_date: dt.date,
    end_date: dt.date,
    reference: str,
    evidence,
    has_doctor_note: bool,
    start_time,
    end_time,
    channel: str,
    exclude_id: int | None = None,
) -> list[dt.date]:
    """Check a request against the type's rules and return the working days it covers."""
    if end_date < start_date:
        raise AbsenceError(
            _("The end date %(end)s is before the start date %(start)s; swap them.")
            % {"end": end_date, "start": start_date},
            "dates_order",
        )
    is_pppk = employee.kind.startswith("PPPK")
    if (
        not absence_type.requestable
        or (is_pppk and not absence_type.for_pppk)
        or (not is_pppk and not absence_type.for_pns)
    ):
        raise AbsenceError(
            _("%(type)s is not available to a %(kind)s employee.")
            % {"type": absence_type.name, "kind": employee.get_kind_display()},
            "type_not_allowed",
        )
    if absence_type.needs_letter and not reference.strip():
        raise AbsenceError(
            _("%(type)s needs the number of the surat tugas or SPPD; enter it in the reference field.")
            % {"type": absence_type.name},
            "letter_missing",
        )
    if absence_type.needs_evidence and not evidence and channel != Channel.IMPORT:
        raise AbsenceError(
            _("%(type)s needs an evidence file (for example the doctor's note); attach the scan.")
            % {"type": absence_type.name},
            "evidence_missing",
        )
    if absence_type.by_hours:
        if start_time is None or end_time is None or end_time <= start_time:
            raise AbsenceError(
                _("An ijin for some hours needs a start and an end time, the end after the start."),
                "hours_missing",
            )
        if start_date != end_date:
            raise AbsenceError(_("An ijin for some hours covers one day only."), "hours_one_day")

    needed = absence_type.min_service_years
    if needed and years_of_service(employee, start_date) < needed:
        raise AbsenceError(
            _(
                "%(type)s needs at least %(years)s years of continuous service; on %(date)s "
                "%(name)s has %(served)s."
            )
            % {
                "type": absence_type.name,
                "years": needed,
                "date": start_date,
                "name": employee.full_name,
                "served": years_of_service(employee, start_date),
            },
            "service_too_short",
        )
    length = (end_date - start_date).days + 1
    if absence_type.max_days and length > absence_type.max_days:
        raise AbsenceError(
            _("%(type)s lasts at most %(max)s days; the request covers %(days)s.")
            % {"type": absence_type.name, "max": absence_type.max_days, "days": length},
            "too_long",
        )

    days = working_days(employee=employee, start=start_date, end=end_date)
    if not days:
        raise AbsenceError(
            _("%(start)s to %(end)s has no working day in the schedule of %(name)s.")
            % {"start": start_date, "end": end_date, "name": employee.full_name},
            "no_working_day",
        )

    overlap = (
        AbsenceRequest.objects.filter(
            employee=employee,
            start_date__lte=end_date,
            end_date__gte=start_date,
            status__in=[*OPEN_STATUSES, RequestStatus.APPROVED],
        )
        .exclude(pk=exclude_id)
        .first()
    )
    if overlap is not None:
        raise AbsenceError(
            _("%(name)s already has request %(code)s from %(start)s to %(end)s on these dates.")
            % {
                "name": employee.full_name,
                "code": overlap.code,
                "start": overlap.start_date,
                "end": overlap.end_date,
            },
            "overlap",
        )

    if absence_type.uses_annual_balance:
        for year in range(start_date.year, end_date.year + 1):
            in_year = [day for day in days if day.year == year]
            balance = leave_balance(employee=employee, year=year, exclude_id=exclude_id)
            if len(in_year) > balance.remaining:
                raise AbsenceError(
                    _(
                        "The request takes %(days)s working days of cuti tahunan in %(year)s but "
                        "only %(left)s remain."
                    )
                    % {"days": len(in_year), "year": year, "left": balance.remaining},
                    "balance_exceeded",
                )
    return days


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _index in range(CODE_LENGTH))


def _first_status(employee: Employee) -> str:
    return RequestStatus.WAITING_SUPERVISOR if employee.supervisor_id else RequestStatus.WAITING_VERIFIER


def absence_request_create(
    *,
    employee: Employee,
    absence_type: AbsenceType,
    start_date: dt.date,
    end_date: dt.date,
    actor: User | None = None,
    actor_employee: Employee | None = None,
    actor_label: str = "",
    channel: str = Channel.WEB,
    reference: str = "",
    destination: str = "",
    note: str = "",
    evidence=None,
    has_doctor_note: bool = False,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    group: TravelGroup | None = None,
    approved_on_paper: bool = False,
    now: dt.datetime | None = None,
) -> AbsenceRequest:
    """Enter a request and send it to the first approver, or store it approved (paper import).

    Raises AbsenceError when the actor may not enter it or the rules reject it.
    """
    now = now or timezone.now()
    _check_entry_actor(actor=actor, actor_employee=actor_employee, employee=employee)

    with transaction.atomic():
        # The employee row lock serialises requests of one employee, so the overlap and
        # balance checks cannot both pass for two requests entered at the same moment.
        Employee.objects.select_for_update().filter(pk=employee.pk).first()
        days = _validate(
            employee=employee,
            absence_type=absence_type,
            start_date=start_date,
            end_date=end_date,
            reference=reference,
            evidence=evidence,
            has_doctor_note=has_doctor_note,
            start_time=start_time,
            end_time=end_time,
            channel=channel,
        )
        request = _store_request(
            employee=employee,
            absence_type=absence_type,
            start_date=start_date,
            end_date=end_date,
            days=days,
            actor=actor,
            actor_employee=actor_employee,
            actor_label=actor_label,
            channel=channel,
            reference=reference,
            destination=destination,
            note=note,
            evidence=evidence,
            has_doctor_note=has_doctor_note,
            start_time=start_time,
            end_time=end_time,
            group=group,
            approved_on_paper=approved_on_paper,
            now=now,
        )
    logger.info("Absence request %s entered for employee %s via %s", request.code, employee.pk, channel)
    return request


def _store_request(
    *,
    employee,
    absence_type,
    start_date,
    end_date,
    days,
    actor,
    actor_employee,
    actor_label,
    channel,
    reference,
    destination,
    note,
    evidence,
    has_doctor_note,
    start_time,
    end_time,
    group,
    approved_on_paper,
    now,
) -> AbsenceRequest:
    request = AbsenceRequest(
        employee=employee,
        absence_type=absence_type,
        start_date=start_date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
        working_days=0 if absence_type.by_hours else len(days),
        reference=reference.strip(),
        destination=destination.strip(),
        note=note.strip(),
        has_doctor_note=has_doctor_note or bool(evidence and absence_type.category == "SAKIT"),
        group=group,
        channel=channel,
        status=RequestStatus.APPROVED if approved_on_paper else _first_status(employee),
        entered_by=actor if getattr(actor, "pk", None) else None,
        entered_by_label=actor_label or (actor.get_username() if getattr(actor, "pk", None) else ""),
        entered_unit=(actor.unit if getattr(actor, "unit_id", None) else employee.unit),
        entered_late=_local_today(employee, now) > start_date,
        entered_after_close=_month_closed(employee, start_date),
        stage_since=now,
        decided_at=now if approved_on_paper else None,
    )
    if evidence:
        request.evidence = evidence

    # A random code can collide with an existing one; the unique constraint decides, then retry.
    for _attempt in range(5):
        request.code = _new_code()
        try:
            with transaction.atomic():
                request.save()
            break
        except IntegrityError:
            if AbsenceRequest.objects.filter(code=request.code).exists():
                continue
            raise
    AbsenceStep.objects.create(
        request=request,
        action=StepAction.SUBMIT,
        actor=request.entered_by,
        actor_employee=actor_employee,
        channel=channel,
    )
    audit_record(
        actor=actor,
        action="absence.create",
        obj=request,
        new=_snapshot(request),
        actor_label=request.entered_by_label or (actor_employee.identifier if actor_employee else ""),
        reason=note,
    )
    if approved_on_paper:
        mark_days_dirty(days=_all_dates(request))
        transaction.on_commit(enqueue_recompute)
    else:
        notify.request_waiting(request=request)
    return request


def active_delegations(*, acting: Employee, role: str, on: dt.date):
    return Delegation.objects.filter(
        acting=acting, role=role, valid_from__lte=on, valid_to__gte=on, ended_at__isnull=True
    )


def decision_authority(
    *, request: AbsenceRequest, actor: User | None, actor_employee: Employee | None, on: dt.date
) -> tuple[str, Delegation | None] | None:
    """Return (stage, delegation used) when the actor may decide the request now, else None."""
    person = actor_employee or (actor.employee if actor is not None and actor.employee_id else None)
    employee = request.employee

    if request.status == RequestStatus.WAITING_SUPERVISOR and person is not None:
        if employee.supervisor_id == person.pk:
            return ApprovalStep.SUPERVISOR, None
        delegation = (
            active_delegations(acting=person, role=ApprovalStep.SUPERVISOR, on=on)
            .filter(official_id=employee.supervisor_id)
            .first()
        )
        if delegation is not None:
            return ApprovalStep.SUPERVISOR, delegation

    if request.status == RequestStatus.WAITING_VERIFIER:
        unit_path = employee.unit.path
        if (
            actor is not None
            and actor.role == Role.VERIFIER
            and actor.unit_id
            and unit_path.startswith(actor.unit.path)
        ):
            return ApprovalStep.VERIFIER, None
        if person is not None:
            for delegation in active_delegations(
                acting=person, role=ApprovalStep.VERIFIER, on=on
            ).select_related("unit"):
                if unit_path.startswith(delegation.unit.path):
                    return ApprovalStep.VERIFIER, delegation
    return None


def _approver_stages(
    *, request: AbsenceRequest, actor: User | None, actor_employee: Employee | None, on: dt.date
) -> set[str]:
    """Return the stages at which the actor would decide this request, whatever its status now."""
    stages = set()
    for status, stage in (
        (RequestStatus.WAITING_SUPERVISOR, ApprovalStep.SUPERVISOR),
        (RequestStatus.WAITING_VERIFIER, ApprovalStep.VERIFIER),
    ):
        probe = AbsenceRequest(employee=request.employee, status=status)
        if decision_authority(request=probe, actor=actor, actor_employee=actor_employee, on=on):
            stages.add(stage)
    return stages


def _stage_mismatch(
    *, request: AbsenceRequest, actor: User | None, actor_employee: Employee | None, on: dt.date
) -> AbsenceError | None:
    """Return an error naming the request's stage when the actor approves it at another stage."""
    stages = _approver_stages(request=request, actor=actor, actor_employee=actor_employee, on=on)
    if not stages:
        return None
    details = {"code": request.code, "status": request.get_status_display()}
    if request.status == RequestStatus.WAITING_VERIFIER and ApprovalStep.SUPERVISOR in stages:
        message = _(
            "Request %(code)s was already approved by the atasan langsung and now waits for the "
            "Verifikator (Kasubag Umum); no decision of the atasan is needed."
        )
    elif request.status == RequestStatus.WAITING_SUPERVISOR and ApprovalStep.VERIFIER in stages:
        message = _(
            "Request %(code)s still waits for the atasan langsung; the Verifikator (Kasubag Umum) "
            "verifies it after the atasan approves."
        )
    elif request.status == RequestStatus.CHANGE_REQUESTED:
        message = _(
            "Request %(code)s was sent back for changes; it returns to the approvers when the "
            "entrant submits it again."
        )
    else:
        message = _("Request %(code)s is already %(status)s; no decision is open.")
    return AbsenceError(message % details, "wrong_stage")


def absence_request_decide(
    *,
    request: AbsenceRequest,
    action: str,
    actor: User | None = None,
    actor_employee: Employee | None = None,
    reason: str = "",
    channel: str = Channel.WEB,
    now: dt.datetime | None = None,
) -> AbsenceRequest:
    """Approve, reject or send back a request at its current stage.

    The supervisor's approval moves the request to the verifier. The verifier's approval makes it
    final and marks every day it covers for recomputation, even after the month closed. A
    rejection leaves the days as they were. Raises AbsenceError when the actor may not decide now.
    """
    now = now or timezone.now()
    if action not in (StepAction.APPROVE, StepAction.REJECT, StepAction.CHANGE):
        raise AbsenceError(_("Unknown decision %(action)s.") % {"action": action}, "bad_action")
    if action != StepAction.APPROVE and not reason.strip():
        raise AbsenceError(_("Give a reason for rejecting or sending back the request."), "reason_missing")

    with transaction.atomic():
        request = (
            AbsenceRequest.objects.select_for_update(of=("self",))
            .select_related("employee__unit", "absence_type")
            .get(pk=request.pk)
        )
        authority = decision_authority(
            request=request,
            actor=actor,
            actor_employee=actor_employee,
            on=_local_today(request.employee, now),
        )
        if authority is None:
            raise _stage_mismatch(
                request=request,
                actor=actor,
                actor_employee=actor_employee,
                on=_local_today(request.employee, now),
            ) or AbsenceError(
                _("Request %(code)s is %(status)s and you are not its approver at this stage.")
                % {"code": request.code, "status": request.get_status_display()},
                "not_approver",
            )
        stage, delegation = authority
        old = _snapshot(request)

        if action == StepAction.APPROVE and stage == ApprovalStep.SUPERVISOR:
            request.status = RequestStatus.WAITING_VERIFIER
        elif action == StepAction.APPROVE:
            request.status = RequestStatus.APPROVED
            request.decided_at = now
        elif action == StepAction.REJECT:
            request.status = RequestStatus.REJECTED
            request.decided_at = now
        else:
            request.status = RequestStatus.CHANGE_REQUESTED
        request.stage_since = now
        request.escalated_at = None
        request.save(update_fields=["status", "decided_at", "stage_since", "escalated_at"])

        person = actor_employee or (actor.employee if actor is not None and actor.employee_id else None)
        AbsenceStep.objects.create(
            request=request,
            stage=stage,
            action=action,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_employee=person,
            delegation=delegation,
            reason=reason.strip(),
            channel=channel,
        )
        if getattr(actor, "pk", None):
            label = actor.get_username()
        elif person is not None:
            label = person.identifier
        else:
            label = ""
        if delegation is not None:
            label = f"{label} ({delegation.get_kind_display()})"
        audit_record(
            actor=actor,
            action=f"absence.{action}.{stage}",
            obj=request,
            old=old,
            new=_snapshot(request),
            reason=reason.strip(),
            actor_label=label,
        )

        if request.status == RequestStatus.APPROVED:
            mark_days_dirty(days=_all_dates(request))
            transaction.on_commit(enqueue_recompute)
        if request.status == RequestStatus.WAITING_VERIFIER:
            notify.request_waiting(request=request)
        else:
            notify.request_result(request=request, reason=reason.strip())
    logger.info("Absence request %s: %s at stage %s by %s", request.code, action, stage, label)
    return request


def absence_request_resubmit(
    *,
    request: AbsenceRequest,
    actor: User,
    start_date: dt.date,
    end_date: dt.date,
    reference: str,
    note: str,
) -> AbsenceRequest:
    """Change a request sent back for changes and submit it again to the first approver."""
    _check_entry_actor(actor=actor, actor_employee=None, employee=request.employee)

    with transaction.atomic():
        request = (
            AbsenceRequest.objects.select_for_update(of=("self",))
            .select_related("employee__unit", "absence_type")
            .get(pk=request.pk)
        )
        if request.status != RequestStatus.CHANGE_REQUESTED:
            raise AbsenceError(
                _("Request %(code)s is %(status)s; only a request sent back for changes can be changed.")
                % {"code": request.code, "status": request.get_status_display()},
                "not_changeable",
            )
        days = _validate(
            employee=request.employee,
            absence_type=request.absence_type,
            start_date=start_date,
            end_date=end_date,
            reference=reference,
            evidence=request.evidence,
            has_doctor_note=request.has_doctor_note,
            start_time=request.start_time,
            end_time=request.end_time,
            channel=request.channel,
            exclude_id=request.pk,
        )

        old = _snapshot(request)
        request.start_date, request.end_date = start_date, end_date
        request.reference, request.note = reference.strip(), note.strip()
        request.working_days = 0 if request.absence_type.by_hours else len(days)
        request.status = _first_status(request.employee)
        request.stage_since = timezone.now()
        request.save()
        AbsenceStep.objects.create(request=request, action=StepAction.RESUBMIT, actor=actor)
        audit_record(actor=actor, action="absence.resubmit", obj=request, old=old, new=_snapshot(request))
        notify.request_waiting(request=request)
    return request


def absences_escalate(*, now: dt.datetime | None = None, after: dt.timedelta = ESCALATE_AFTER) -> int:
    """Escalate the requests waiting at one stage longer than `after`, once each; return how many.

    The supervisor stage goes to the supervisor's own supervisor, the verifier stage to the
    agency's leader accounts. Each escalation is audited and notified.
    """
    now = now or timezone.now()
    waiting = AbsenceRequest.objects.filter(
        status__in=OPEN_STATUSES, stage_since__lt=now - after, escalated_at__isnull=True
    ).values_list("pk", flat=True)

    count = 0
    for pk in list(waiting):
        with transaction.atomic():
            request = (
                AbsenceRequest.objects.select_for_update(of=("self",))
                .select_related("employee__unit", "employee__supervisor", "absence_type")
                .filter(pk=pk, escalated_at__isnull=True, status__in=OPEN_STATUSES)
                .first()
            )
            if request is None:
                continue
            request.escalated_at = now
            request.save(update_fields=["escalated_at"])
            AbsenceStep.objects.create(
                request=request,
                action=StepAction.ESCALATE,
                stage=ApprovalStep.SUPERVISOR
                if request.status == RequestStatus.WAITING_SUPERVISOR
                else ApprovalStep.VERIFIER,
            )
            audit_record(
                actor=None,
                actor_label="sao escalate-absences",
                action="absence.escalate",
                obj=request,
                new={"status": request.status, "waiting_since": request.stage_since},
            )
            notify.request_escalated(request=request)
            count += 1
    if count:
        logger.info("Escalated %s absence requests waiting since before %s", count, now - after)
    return count


DELEGATION_ROLES = frozenset({Role.ADMIN_BKD, Role.VERIFIER})


def _check_delegation_actor(*, actor: User, employees: list[Employee], unit) -> None:
    """Allow Admin BKD anywhere and a Verifikator inside their OPD, and raise AbsenceError for others."""
    role = Role.ADMIN_BKD if actor.is_superuser else actor.role
    if role not in DELEGATION_ROLES:
        raise AbsenceError(
            _("Only Admin BKD and the Verifikator of the OPD manage delegations."), "not_allowed"
        )
    if role == Role.ADMIN_BKD:
        return
    in_scope = scope_queryset(user=actor, queryset=Employee.objects.all())
    for employee in employees:
        if not in_scope.filter(pk=employee.pk).exists():
            raise AbsenceError(
                _("%(name)s (%(nip)s) is outside your OPD; ask Admin BKD to record this delegation.")
                % {"name": employee.full_name, "nip": employee.identifier},
                "out_of_scope",
            )
    if unit is not None and not (actor.unit_id and unit.path.startswith(actor.unit.path)):
        raise AbsenceError(
            _("Unit %(unit)s is outside your OPD; ask Admin BKD to record this delegation.")
            % {"unit": unit.code},
            "out_of_scope",
        )


def _delegation_snapshot(delegation: Delegation) -> dict:
    return {
        "role": delegation.role,
        "kind": delegation.kind,
        "acting": delegation.acting_id,
        "official": delegation.official_id,
        "unit": delegation.unit_id,
        "from": delegation.valid_from,
        "to": delegation.valid_to,
        "decree": delegation.decree,
        "ended_at": delegation.ended_at,
    }


def delegation_create(
    *,
    role: str,
    acting: Employee,
    valid_from: dt.date,
    valid_to: dt.date,
    actor: User,
    official: Employee | None = None,
    unit=None,
    kind: str = Delegation.Kind.PLH,
    decree: str = "",
) -> Delegation:
    """Give an acting official (Plt/Plh) an approver's role for a date range, audited.

    The supervisor role needs the official whose subordinates the acting employee approves; the
    verifier role needs the unit whose requests they verify. Raises AbsenceError when the actor
    may not manage this delegation or the dates or targets are invalid.
    """
    if valid_to < valid_from:
        raise AbsenceError(
            _("The end date %(end)s is before the start date %(start)s; swap them.")
            % {"end": valid_to, "start": valid_from},
            "dates_order",
        )
    if role == ApprovalStep.SUPERVISOR and official is None:
        raise AbsenceError(
            _("Name the official (atasan) whose role is delegated, by NIP."), "official_missing"
        )
    if role == ApprovalStep.VERIFIER and unit is None:
        raise AbsenceError(_("Name the unit whose requests the acting official verifies."), "unit_missing")
    if official is not None and official.pk == acting.pk:
        raise AbsenceError(
            _("The acting official must be another employee than the official."), "same_person"
        )
    if role == ApprovalStep.SUPERVISOR:
        unit = None
    else:
        official = None
    people = [person for person in (acting, official) if person is not None]
    _check_delegation_actor(actor=actor, employees=people, unit=unit)

    with transaction.atomic():
        delegation = Delegation.objects.create(
            role=role,
            acting=acting,
            official=official,
            unit=unit,
            valid_from=valid_from,
            valid_to=valid_to,
            kind=kind,
            decree=decree.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="absence.delegation",
            obj=delegation,
            new=_delegation_snapshot(delegation),
            reason=decree.strip(),
        )
    logger.info("Delegation %s of role %s to employee %s by %s", delegation.pk, role, acting.pk, actor.pk)
    return delegation


def delegation_end(*, delegation: Delegation, actor: User, now: dt.datetime | None = None) -> Delegation:
    """End a delegation at once, audited.

    Raises AbsenceError when the actor may not manage it or it has already ended.
    """
    now = now or timezone.now()
    people = [person for person in (delegation.acting, delegation.official) if person is not None]
    _check_delegation_actor(actor=actor, employees=people, unit=delegation.unit)

    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if delegation.ended_at is not None:
            raise AbsenceError(
                _("This delegation already ended on %(when)s.")
                % {"when": timezone.localtime(delegation.ended_at).strftime("%Y-%m-%d %H:%M")},
                "already_ended",
            )
        old = _delegation_snapshot(delegation)
        delegation.ended_at = now
        delegation.ended_by = actor
        delegation.save(update_fields=["ended_at", "ended_by"])
        audit_record(
            actor=actor,
            action="absence.delegation.end",
            obj=delegation,
            old=old,
            new=_delegation_snapshot(delegation),
        )
    return delegation


def travel_group_create(
    *,
    employees: list[Employee],
    absence_type: AbsenceType,
    start_date: dt.date,
    end_date: dt.date,
    reference: str,
    destination: str,
    actor: User,
    note: str = "",
    evidence=None,
) -> list[AbsenceRequest]:
    """Enter one request per employee travelling together on one surat tugas, all or none.

    Raises AbsenceError naming the first employee the rules reject.
    """
    with transaction.atomic():
        group = TravelGroup.objects.create(
            reference=reference.strip(), destination=destination.strip(), created_by=actor
        )
        requests = []
        for employee in employees:
            try:
                requests.append(
                    absence_request_create(
                        employee=employee,
                        absence_type=absence_type,
                        start_date=start_date,
                        end_date=end_date,
                        actor=actor,
                        reference=reference,
                        destination=destination,
                        note=note,
                        evidence=evidence,
                        group=group,
                    )
                )
            except AbsenceError as exc:
                raise AbsenceError(
                    _("%(name)s (%(nip)s): %(message)s")
                    % {"name": employee.full_name, "nip": employee.identifier, "message": exc.message},
                    exc.code,
                ) from exc
    return requests


def open_requests_for_approver(*, actor: User) -> list[AbsenceRequest]:
    """Return the open requests the user may decide today, oldest first.

    The filter mirrors decision_authority: the atasan (or an acting official) for the supervisor
    stage, a verifier of an enclosing unit (or an acting one) for the verifier stage.
    """
    today = timezone.localdate()
    person = actor.employee if actor.employee_id else None
    condition = Q(pk__in=[])

    if person is not None:
        officials = [person.pk]
        officials += active_delegations(acting=person, role=ApprovalStep.SUPERVISOR, on=today).values_list(
            "official_id", flat=True
        )
        condition |= Q(status=RequestStatus.WAITING_SUPERVISOR, employee__supervisor_id__in=officials)
        acting_units = active_delegations(acting=person, role=ApprovalStep.VERIFIER, on=today).values_list(
            "unit__path", flat=True
        )
        for path in acting_units:
            condition |= Q(status=RequestStatus.WAITING_VERIFIER, employee__unit__path__startswith=path)
    if actor.role == Role.VERIFIER and actor.unit_id:
        condition |= Q(
            status=RequestStatus.WAITING_VERIFIER, employee__unit__path__startswith=actor.unit.path
        )

    return list(
        AbsenceRequest.objects.filter(condition)
        .select_related("employee__unit", "absence_type")
        .order_by("stage_since", "pk")
    )
