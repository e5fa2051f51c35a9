"""Writes of the faults app: tickets, their status moves, outage windows and manual presence.

Views, the `sao faults-check` command and the Huey task call these functions; nothing else
writes the fault models. Every manual change is audited in its own transaction, and notices
are queued through sao.notify and sent after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils.translation import gettext as _

from sao.attendance.dirty import enqueue_recompute, mark_days_dirty
from sao.audit.services import audit_record
from sao.calendars.services import NoPolicyError, active_policy
from sao.devices import conf as device_conf
from sao.devices.models import (
    CommandKind,
    Device,
    DeviceStatus,
    PinMapping,
    RawUpload,
    UploadSource,
)
from sao.devices.records import PunchRecord
from sao.devices.services import DeviceError, device_command_queue, punches_ingest, raw_upload_store
from sao.faults.hours import working_deadline
from sao.faults.models import (
    OPEN_STATUSES,
    OUTAGE_CAUSES,
    REPORTED_CAUSES,
    TRANSITIONS,
    FaultCause,
    FaultOrigin,
    FaultOutage,
    FaultStartSource,
    FaultStateChange,
    FaultStatus,
    FaultTicket,
    ManualPresenceBatch,
    ManualPresenceEntry,
    PresenceBatchStatus,
)
from sao.faults.notifications import fault_notify
from sao.faults.selectors import dependents_by_device, targets_on

logger = logging.getLogger(__name__)

# A unit must report a failure within this time of its start.
REPORT_DEADLINE = dt.timedelta(hours=1)
# Actor label of changes made by the periodic check.
CHECK_ACTOR = "faults-check"
# Windows of these causes close when the device makes contact again. A broken sensor, a full
# log or a damaged device may still poll, so their windows close when BKD closes the ticket.
CONTACT_ENDS_CAUSES = frozenset({FaultCause.SILENT, FaultCause.POWER, FaultCause.NETWORK})
# Keys of the device options (table=options or an INFO result) giving the ATTLOG capacity.
LOG_CAPACITY_KEYS = ("~MaxAttLogCount", "MaxAttLogCount", "MaxAttLog")


class FaultError(Exception):
    """Raised when a fault action breaks a rule. `code` is stable and the message is translated."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def _actor_label(actor, actor_label: str) -> str:
    if actor_label:
        return actor_label
    return actor.get_username() if getattr(actor, "pk", None) else ""


def _state_change(*, ticket: FaultTicket, from_status: str, to_status: str, actor,
                  actor_label: str, at: dt.datetime, note: str = "") -> None:
    FaultStateChange.objects.create(
        ticket=ticket, from_status=from_status, to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor, actor_label), at=at, note=note,
    )


# ---------------------------------------------------------------------------------------------
# Outage windows


def _local_dates(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _mark_outage_days(*, outage: FaultOutage, until: dt.datetime) -> int:
    """Queue the days of every employee depending on the outage's device for recomputation."""
    end = outage.end or until
    dependents = dependents_by_device(devices=[outage.device], start=outage.start, end=end)
    employee_ids = dependents[outage.device_id]
    dates = _local_dates(outage.start, end, outage.device.zone)
    count = mark_days_dirty(days=[(employee_id, day) for employee_id in employee_ids
                                  for day in dates])
    if count:
        transaction.on_commit(enqueue_recompute)
    return count


def _backfill_queue(*, outage: FaultOutage, now: dt.datetime) -> None:
    """Queue DATA QUERY ATTLOG for the window, in the device's wall-clock time."""
    device = outage.device
    if device.status != DeviceStatus.ACTIVE:
        return
    zone = device.zone
    start = outage.start.astimezone(zone).replace(tzinfo=None)
    end = outage.end.astimezone(zone).replace(tzinfo=None)
    try:
        commands = device_command_queue(device=device, kind=CommandKind.ATTLOG_QUERY,
                                        actor_label=CHECK_ACTOR, start=start, end=end, now=now)
    except DeviceError as exc:
        logger.warning("Backfill of outage %s on device %s not queued: %s", outage.pk,
                       device.serial, exc)
        return
    outage.backfill_command = commands[0]
    outage.save(update_fields=["backfill_command"])


def _outage_close(*, outage: FaultOutage, end: dt.datetime, now: dt.datetime) -> None:
    outage.end = max(end, outage.start)
    outage.save(update_fields=["end"])
    _backfill_queue(outage=outage, now=now)
    _mark_outage_days(outage=outage, until=now)


def _first_contact_after(device: Device, start: dt.datetime) -> dt.datetime | None:
    """Return the earliest known contact of the device after `start`.

    Only uploads keep their time; a heartbeat moves `last_contact_at` alone. So the result is
    the first upload after `start` or the last contact, whichever is earlier. It can be late
    by one check interval, which widens the window rather than narrowing it.
    """
    if device.last_contact_at is None or device.last_contact_at <= start:
        return None
    first_upload = RawUpload.objects.filter(device=device, received_at__gt=start).aggregate(
        first=Min("received_at"))["first"]
    return min(device.last_contact_at, first_upload or device.last_contact_at)


# ---------------------------------------------------------------------------------------------
# Opening tickets


def _ticket_create(*, device: Device, cause: str, origin: str, failure_started_at: dt.datetime,
                   start_source: str, now: dt.datetime, detail: str = "",
                   **report) -> FaultTicket | None:
    """Create a ticket and its outage window, or return None when one is open for the cause."""
    try:
        with transaction.atomic():
            ticket = FaultTicket.objects.create(
                device=device, unit=device.unit, cause=cause, origin=origin,
                failure_started_at=failure_started_at, failure_start_source=start_source,
                opened_at=now, detail=detail, **report,
            )
    except IntegrityError:
        return None

    if cause in OUTAGE_CAUSES:
        outage = FaultOutage.objects.create(ticket=ticket, device=device, start=failure_started_at)
        _mark_outage_days(outage=outage, until=now)
    return ticket


def fault_detect(*, device: Device, cause: str, failure_started_at: dt.datetime,
                 now: dt.datetime, detail: str) -> FaultTicket | None:
    """Open a detected ticket and return it, or return None if one is open for the device and cause."""
    with transaction.atomic():
        ticket = _ticket_create(device=device, cause=cause, origin=FaultOrigin.DETECTED,
                                failure_started_at=failure_started_at,
                                start_source=FaultStartSource.DETECTED, now=now, detail=detail)
        if ticket is None:
            return None
        _state_change(ticket=ticket, from_status="", to_status=FaultStatus.REPORTED, actor=None,
                      actor_label=CHECK_ACTOR, at=now, note=detail)
        audit_record(actor=None, actor_label=CHECK_ACTOR, action="fault.detect", obj=ticket,
                     new={"cause": cause, "failure_started_at": failure_started_at,
                          "detail": detail})
        fault_notify(ticket=ticket, topic="fault.detected", build=lambda: (
            ticket.get_cause_display(),
            _("SAO detected a fault on device %(serial)s (%(unit)s): %(detail)s")
            % {"serial": device.serial, "unit": device.unit.name, "detail": detail}))
    logger.info("Opened fault ticket %s on device %s: %s", ticket.pk, device.serial, cause)
    return ticket


def _log_capacity(device: Device) -> int | None:
    for key in LOG_CAPACITY_KEYS:
        value = str(device.device_options.get(key, "")).strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


@dataclass
class CheckSummary:
    devices: int = 0
    opened: list[int] = field(default_factory=list)
    windows_closed: list[int] = field(default_factory=list)
    skipped_units: list[str] = field(default_factory=list)


def _check_silence(*, device: Device, now: dt.datetime, targets, policy) -> FaultTicket | None:
    since = device.last_contact_at or device.accepted_at or device.created_at
    threshold = dt.timedelta(minutes=targets.silent_minutes)
    if now - since < threshold:
        return None
    if working_deadline(unit=device.unit, start=since, amount=threshold, until=now,
                        policy=policy) is None:
        return None
    local_since = since.astimezone(device.zone)
    detail = _("No contact since %(time)s, %(minutes)s minutes of working hours.") % {
        "time": local_since.strftime("%Y-%m-%d %H:%M"), "minutes": targets.silent_minutes}
    ticket = fault_detect(device=device, cause=FaultCause.SILENT, failure_started_at=since,
                          now=now, detail=detail)
    if ticket is None:
        _silence_window_reopen(device=device, since=since, now=now)
    return ticket


def _silence_window_reopen(*, device: Device, since: dt.datetime, now: dt.datetime) -> None:
    """Open a new window on the open SILENT ticket of a device that went silent again."""
    with transaction.atomic():
        ticket = FaultTicket.objects.select_for_update().filter(
            device=device, cause=FaultCause.SILENT, status__in=OPEN_STATUSES).first()
        if ticket is None or ticket.outages.filter(Q(end__isnull=True) | Q(end__gt=since)).exists():
            return
        outage = FaultOutage.objects.create(ticket=ticket, device=device, start=since)
        _mark_outage_days(outage=outage, until=now)
        audit_record(actor=None, actor_label=CHECK_ACTOR, action="fault.outage_open",
                     obj=ticket, new={"outage": outage.pk, "start": since})
    logger.info("Device %s silent again since %s; outage %s opened on ticket %s", device.serial,
                since.isoformat(), outage.pk, ticket.pk)


def _check_returns(*, now: dt.datetime, summary: CheckSummary) -> None:
    """Close the open windows whose device made contact again, and queue their backfill."""
    open_windows = (
        FaultOutage.objects.filter(end__isnull=True, ticket__cause__in=CONTACT_ENDS_CAUSES)
        .select_related("device__unit", "ticket")
    )
    for outage in open_windows:
        returned_at = _first_contact_after(outage.device, outage.start)
        if returned_at is None:
            continue
        with transaction.atomic():
            outage = FaultOutage.objects.select_for_update(of=("self",)).select_related(
                "device__unit").get(pk=outage.pk)
            if outage.end is not None:
                continue
            _outage_close(outage=outage, end=returned_at, now=now)
            audit_record(actor=None, actor_label=CHECK_ACTOR, action="fault.outage_close",
                         obj=outage.ticket, new={"outage": outage.pk, "end": returned_at,
                                                 "backfill_command": outage.backfill_command_id})
        summary.windows_closed.append(outage.pk)
        logger.info("Device %s is back; outage %s closed at %s", outage.device.serial, outage.pk,
                    returned_at.isoformat())


def _device_state_faults(device: Device, targets, *, now: dt.datetime) -> list[tuple]:
    """Return (cause, failure start, detail) for the clock drift and full log the device reports."""
    faults = []
    if device.clock_suspect:
        detail = _("The clock is off by %(seconds)s seconds (limit %(limit)s).") % {
            "seconds": device.clock_offset_seconds,
            "limit": int(device_conf.clock_max_offset().total_seconds())}
        faults.append((FaultCause.CLOCK, device.clock_checked_at or now, detail))

    capacity = _log_capacity(device)
    count = device.record_count
    if capacity and count is not None and count * 100 >= capacity * targets.log_full_percent:
        detail = _("The log holds %(count)s of %(capacity)s records.") % {
            "count": count, "capacity": capacity}
        faults.append((FaultCause.LOG_FULL, now, detail))
    return faults


def faults_check(*, now: dt.datetime) -> CheckSummary:
    """Open tickets for silent, drifting and full devices, and close windows of returned ones.

    1. A device back in contact closes its open window, which queues the
       DATA QUERY ATTLOG backfill and marks the dependents' days for recomputation.
    2. An active device silent for BKD's threshold of its unit's working hours (nights,
       weekends and holidays do not count) opens a SILENT ticket.
    3. A device flagged for clock drift opens a CLOCK ticket, and one whose log use reaches
       BKD's percentage of its reported capacity opens a LOG_FULL ticket.
    """
    summary = CheckSummary()
    _check_returns(now=now, summary=summary)

    try:
        policy = active_policy()
    except NoPolicyError:
        logger.error("Fault check skipped the silence check: no attendance policy is stored")
        policy = None
    targets = targets_on(now.date())
    # Known faults are skipped up front: the constraint would reject them anyway, at the cost
    # of a failed insert per device and check.
    open_causes = set(FaultTicket.objects.filter(status__in=OPEN_STATUSES).values_list(
        "device_id", "cause"))
    # A device with an open window of a cause that ends on contact (silence, or a power or
    # network fault the unit reported) is known to be down, so it opens no SILENT ticket.
    down = set(FaultOutage.objects.filter(end__isnull=True, ticket__cause__in=CONTACT_ENDS_CAUSES)
               .values_list("device_id", flat=True))
    devices = Device.objects.filter(status=DeviceStatus.ACTIVE, unit__isnull=False).select_related(
        "unit")
    for device in devices:
        summary.devices += 1
        if policy is not None and device.pk not in down:
            try:
                ticket = _check_silence(device=device, now=now, targets=targets, policy=policy)
            except KeyError:
                ticket = None
                summary.skipped_units.append(device.unit.code)
                logger.warning("Unit %s has schedule profile %r with no policy profile; device %s"
                               " not checked for silence", device.unit.code,
                               device.unit.schedule_profile, device.serial)
            if ticket is not None:
                summary.opened.append(ticket.pk)

        for cause, failure_started_at, detail in _device_state_faults(device, targets, now=now):
            if (device.pk, cause) in open_causes:
                continue
            ticket = fault_detect(device=device, cause=cause, now=now,
                                  failure_started_at=failure_started_at, detail=detail)
            if ticket is not None:
                summary.opened.append(ticket.pk)
    return summary


# ---------------------------------------------------------------------------------------------
# Reports by the unit


def _detected_start(device: Device, now: dt.datetime) -> dt.datetime | None:
    """Return when SAO saw the device fail: its open outage, or its last contact if offline."""
    outage = FaultOutage.objects.filter(device=device, end__isnull=True).order_by("start").first()
    if outage is not None:
        return outage.start
    if device.last_contact_at is not None and not device.is_online(now=now):
        return device.last_contact_at
    return None


def fault_report(
    *,
    device: Device,
    actor,
    cause: str,
    description: str,
    now: dt.datetime,
    stated_started_at: dt.datetime | None = None,
    photo=None,
) -> FaultTicket:
    """Record a unit's report of a device fault and flag it when made over an hour late.

    The failure start is the detected one when SAO saw the device fail (an open outage, or
    no contact), else the time the unit states. A report on a device with an open detected
    ticket that no unit has reported yet is attached to that ticket.
    """
    if cause not in REPORTED_CAUSES:
        raise FaultError(_("Unknown fault type %(cause)s.") % {"cause": cause}, code="bad_cause")
    if stated_started_at is not None and stated_started_at > now:
        raise FaultError(_("The failure start %(time)s is in the future. Give the time the failure began.")
                         % {"time": stated_started_at.isoformat(timespec="minutes")},
                         code="start_in_future")
    detected = _detected_start(device, now)
    if detected is None and stated_started_at is None:
        raise FaultError(
            _("SAO has no record of a failure on device %(serial)s. Give the time the failure "
              "began.") % {"serial": device.serial},
            code="start_missing")
    started_at = detected or stated_started_at
    source = FaultStartSource.DETECTED if detected else FaultStartSource.STATED
    report = {
        "reported_at": now, "reported_by": actor, "reported_cause": cause,
        "stated_started_at": stated_started_at, "description": description,
        "late_report": now - started_at > REPORT_DEADLINE,
    }

    with transaction.atomic():
        ticket = (
            FaultTicket.objects.select_for_update()
            .filter(device=device, status__in=OPEN_STATUSES, origin=FaultOrigin.DETECTED,
                    reported_at__isnull=True)
            .exclude(cause=FaultCause.CLOCK)
            .order_by("opened_at").first()
        )
        if ticket is not None:
            for name, value in report.items():
                setattr(ticket, name, value)
            ticket.failure_started_at = min(ticket.failure_started_at, started_at)
            ticket.late_report = now - ticket.failure_started_at > REPORT_DEADLINE
            ticket.save()
        else:
            ticket = _ticket_create(device=device, cause=cause, origin=FaultOrigin.UNIT,
                                    failure_started_at=started_at, start_source=source, now=now,
                                    **report)
            if ticket is None:
                raise FaultError(
                    _("Device %(serial)s already has an open ticket for %(cause)s.")
                    % {"serial": device.serial, "cause": FaultCause(cause).label},
                    code="duplicate")
            _state_change(ticket=ticket, from_status="", to_status=FaultStatus.REPORTED,
                          actor=actor, actor_label="", at=now, note=description)
        if photo is not None:
            ticket.photo.save(photo.name, photo, save=True)
        audit_record(actor=actor, action="fault.report", obj=ticket,
                     new={"cause": cause, "failure_started_at": ticket.failure_started_at,
                          "late_report": ticket.late_report, "description": description})
        fault_notify(ticket=ticket, topic="fault.reported", build=lambda: (
            _("reported by the unit"),
            _("%(unit)s reported a fault on device %(serial)s: %(description)s")
            % {"unit": ticket.unit.name, "serial": device.serial, "description": description}))
    return ticket


# ---------------------------------------------------------------------------------------------
# BKD response


STATUS_TIME_FIELDS = {
    FaultStatus.ACKNOWLEDGED: "acknowledged_at",
    FaultStatus.IN_REPAIR: "repair_started_at",
    FaultStatus.RESOLVED: "closed_at",
    FaultStatus.REPLACED: "closed_at",
}


def fault_transition(*, ticket: FaultTicket, to_status: str, actor, now: dt.datetime,
                     note: str = "") -> FaultTicket:
    """Move a ticket to its next status and record who moved it and when.

    Closing the ticket ends its open outage window, which queues the backfill.
    """
    with transaction.atomic():
        ticket = FaultTicket.objects.select_for_update(of=("self",)).select_related(
            "device__unit", "unit").get(pk=ticket.pk)
        allowed = TRANSITIONS.get(ticket.status, frozenset())
        if to_status not in allowed:
            raise FaultError(
                _("Ticket #%(id)s cannot move from %(from)s to %(to)s.")
                % {"id": ticket.pk, "from": ticket.get_status_display(), "to": to_status},
                code="bad_transition")

        old_status = ticket.status
        ticket.status = to_status
        time_field = STATUS_TIME_FIELDS[to_status]
        setattr(ticket, time_field, now)
        ticket.save(update_fields=["status", time_field])
        _state_change(ticket=ticket, from_status=old_status, to_status=to_status, actor=actor,
                      actor_label="", at=now, note=note)
        audit_record(actor=actor, action="fault.transition", obj=ticket,
                     old={"status": old_status}, new={"status": to_status, time_field: now},
                     reason=note)

        if to_status in (FaultStatus.RESOLVED, FaultStatus.REPLACED):
            for outage in ticket.outages.select_for_update().filter(end__isnull=True):
                outage.device = ticket.device
                _outage_close(outage=outage, end=now, now=now)
        fault_notify(ticket=ticket, topic="fault.status", build=lambda: (
            ticket.get_status_display(),
            _("Ticket #%(id)s for device %(serial)s is now: %(status)s. %(note)s")
            % {"id": ticket.pk, "serial": ticket.device.serial,
               "status": ticket.get_status_display(), "note": note}))
    return ticket


# ---------------------------------------------------------------------------------------------
# Manual presence for punches lost in an outage


@dataclass(frozen=True)
class PresenceLine:
    employee_id: int
    instant: dt.datetime
    state: int


def presence_batch_create(*, ticket: FaultTicket, actor, evidence, reason: str,
                          lines: list[PresenceLine], now: dt.datetime) -> ManualPresenceBatch:
    """Store presence entered for the dependents of the ticket's device, waiting for approval.

    Each time must lie inside one of the ticket's outage windows, and each employee must depend
    on the device. A line that breaks either rule raises FaultError naming its value.
    """
    if evidence is None:
        raise FaultError(_("Attach the scan of the attendance sheet as evidence."),
                         code="evidence_missing")
    if not lines:
        raise FaultError(_("Enter at least one presence time."), code="nothing_entered")
    if not reason.strip():
        raise FaultError(_("Give the reason for the manual entry."), code="reason_missing")

    outages = list(ticket.outages.all())
    windows = [(outage.start, outage.end or now) for outage in outages]
    if not windows:
        raise FaultError(_("Ticket #%(id)s has no outage window.") % {"id": ticket.pk},
                         code="no_window")
    dependents = dependents_by_device(devices=[ticket.device], start=min(w[0] for w in windows),
                                      end=max(w[1] for w in windows))[ticket.device_id]
    for line in lines:
        if line.employee_id not in dependents:
            raise FaultError(_("Employee %(id)s does not use device %(serial)s.")
                             % {"id": line.employee_id, "serial": ticket.device.serial},
                             code="not_dependent")
        if not any(start <= line.instant <= end for start, end in windows):
            local = line.instant.astimezone(ticket.device.zone)
            raise FaultError(_("%(time)s is outside the outage windows of ticket #%(id)s.")
                             % {"time": local.strftime("%Y-%m-%d %H:%M"), "id": ticket.pk},
                             code="outside_window")
        if line.state not in (0, 1):
            raise FaultError(_("State %(state)s is invalid. Use 0 (check-in) or 1 (check-out).")
                             % {"state": line.state}, code="bad_state")

    with transaction.atomic():
        batch = ManualPresenceBatch(ticket=ticket, unit=ticket.unit, reason=reason,
                                    entered_by=actor, entered_at=now)
        batch.evidence.save(evidence.name, evidence, save=False)
        batch.save()
        ManualPresenceEntry.objects.bulk_create(
            [ManualPresenceEntry(batch=batch, employee_id=line.employee_id, instant=line.instant,
                                 state=line.state) for line in lines],
            ignore_conflicts=True,
        )
        audit_record(actor=actor, action="fault.presence_enter", obj=batch, reason=reason,
                     new={"ticket": ticket.pk, "entries": [
                         [line.employee_id, line.instant, line.state] for line in lines]})
    return batch


def _pins_on_device(*, device: Device, employee_ids: set[int], day: dt.date) -> dict[int, str]:
    """Return each employee's PIN on the device on a day: a device mapping wins over a unit one."""
    codes = [code for code in device.unit.path.split("/") if code] if device.unit_id else []
    mappings = (
        PinMapping.objects.filter(Q(device=device) | Q(unit__code__in=codes),
                                  employee_id__in=employee_ids, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
    )
    device_pins: dict[int, str] = {}
    unit_pins: dict[int, str] = {}
    for mapping in mappings:
        found = device_pins if mapping.device_id is not None else unit_pins
        found.setdefault(mapping.employee_id, mapping.pin)
    return unit_pins | device_pins


def presence_batch_decide(*, batch: ManualPresenceBatch, actor, approve: bool, now: dt.datetime,
                          note: str = "") -> ManualPresenceBatch:
    """Approve or reject a batch. Approval stores its entries as punches with source "manual".

    The punches go through the devices app's upload ledger and punch ingestion, under the
    employee's PIN on the ticket's device, so the recomputation picks them up like any other.
    """
    with transaction.atomic():
        batch = ManualPresenceBatch.objects.select_for_update(of=("self",)).select_related(
            "ticket__device__unit").get(pk=batch.pk)
        if batch.status != PresenceBatchStatus.PENDING:
            raise FaultError(_("Batch #%(id)s is already %(status)s.")
                             % {"id": batch.pk, "status": batch.get_status_display()},
                             code="already_decided")
        if not approve and not note.strip():
            raise FaultError(_("Give the reason for the rejection."), code="note_missing")

        batch.status = PresenceBatchStatus.APPROVED if approve else PresenceBatchStatus.REJECTED
        batch.decided_by = actor
        batch.decided_at = now
        batch.decision_note = note
        if approve:
            batch.upload = _presence_punches_store(batch=batch, now=now)
        batch.save()
        audit_record(actor=actor, action="fault.presence_decide", obj=batch,
                     old={"status": PresenceBatchStatus.PENDING},
                     new={"status": batch.status, "upload": batch.upload_id}, reason=note)
    return batch


def _presence_punches_store(*, batch: ManualPresenceBatch, now: dt.datetime) -> RawUpload:
    device = batch.ticket.device
    zone = device.zone
    entries = list(batch.entries.order_by("instant", "employee_id"))
    lines: list[tuple[str, dt.datetime, int]] = []
    missing: list[str] = []
    pins_by_day: dict[dt.date, dict[int, str]] = {}
    for entry in entries:
        local = entry.instant.astimezone(zone).replace(tzinfo=None)
        if local.date() not in pins_by_day:
            ids = {item.employee_id for item in entries}
            pins_by_day[local.date()] = _pins_on_device(device=device, employee_ids=ids,
                                                        day=local.date())
        pin = pins_by_day[local.date()].get(entry.employee_id)
        if pin is None:
            missing.append(f"{entry.employee_id}@{local.date().isoformat()}")
            continue
        lines.append((pin, local, entry.state))
    if missing:
        raise FaultError(
            _("No PIN on device %(serial)s for employee@date %(missing)s; map the PINs first.")
            % {"serial": device.serial, "missing": ", ".join(missing)}, code="pin_missing")

    # NOTE: verify 0 is the password mode on ZK firmware; the source "manual" is what marks
    # these records as entered by hand.
    text_lines = [f"{pin}\t{local:%Y-%m-%d %H:%M:%S}\t{state}\t0\t0" for pin, local, state in lines]
    upload = raw_upload_store(body="\n".join(text_lines).encode(), source=UploadSource.MANUAL,
                              device=device, table="ATTLOG", received_at=now,
                              filename=f"manual-presence-{batch.pk}.txt")
    records = [PunchRecord(pin=pin, local_time=local, state=state, verify=0, line=number,
                           raw=text_lines[number - 1])
               for number, (pin, local, state) in enumerate(lines, start=1)]
    punches_ingest(upload=upload, device=device, records=records, suspect=False)
    return upload
