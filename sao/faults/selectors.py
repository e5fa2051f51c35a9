"""Reads of the faults app: scoped ticket lists, device dependents, outage windows, reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from sao.attendance.engine import OutageWindow
from sao.faults.models import (
    OPEN_STATUSES,
    FaultOutage,
    FaultStateChange,
    FaultTargets,
    FaultTicket,
    ManualPresenceBatch,
)
from sao.org.scope import get_scoped_or_404, register_scope, scope_queryset

register_scope(FaultTicket, unit="unit")
register_scope(FaultStateChange, unit="ticket__unit")
register_scope(FaultOutage, unit="ticket__unit")
register_scope(ManualPresenceBatch, unit="unit")

# Employees who punched on a device within this many days before an outage depend on it.
PUNCH_LOOKBACK_DAYS = 31

# Targets used while BKD has stored none; the field defaults of FaultTargets.
DEFAULT_TARGETS = FaultTargets(valid_from=dt.date(2000, 1, 1))


def targets_on(day: dt.date, *, table: list[FaultTargets] | None = None) -> FaultTargets:
    """Return the targets in force on a day: the newest row valid from that day or before.

    `table` is all rows newest first, as `targets_table` returns them, to look up many days
    with one query.
    """
    if table is None:
        found = FaultTargets.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
        return found or DEFAULT_TARGETS
    return next((row for row in table if row.valid_from <= day), DEFAULT_TARGETS)


def targets_table() -> list[FaultTargets]:
    return list(FaultTargets.objects.order_by("-valid_from"))


# ---------------------------------------------------------------------------------------------
# Who depends on a device


def _unit_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def dependents_by_device(
    *, devices: Iterable, start: dt.datetime, end: dt.datetime,
    employee_ids: Iterable[int] | None = None,
) -> dict[int, set[int]]:
    """Return, per device id, the employees whose attendance depends on that device.

    An employee depends on a device when a PIN mapping valid in start..end names the device or
    one of the units on its path, because a unit mapping covers every device below the unit.
    An employee who punched on the device in the PUNCH_LOOKBACK_DAYS before `end` depends on it
    too.
    Four queries in all, whatever the number of devices.
    """
    from sao.devices.models import PinMapping, Punch

    devices = list(devices)
    device_ids = [device.pk for device in devices]
    found: dict[int, set[int]] = {pk: set() for pk in device_ids}
    if not device_ids:
        return found
    people = Q() if employee_ids is None else Q(employee_id__in=list(employee_ids))
    valid = Q(valid_from__lte=end.date()) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start.date()))

    for device_id, employee_id in PinMapping.objects.filter(
        people, valid, device_id__in=device_ids,
    ).values_list("device_id", "employee_id"):
        found[device_id].add(employee_id)

    devices_by_code: dict[str, list[int]] = defaultdict(list)
    for device in devices:
        if device.unit_id is not None:
            for code in _unit_codes(device.unit.path):
                devices_by_code[code].append(device.pk)
    if devices_by_code:
        for code, employee_id in PinMapping.objects.filter(
            people, valid, unit__code__in=list(devices_by_code),
        ).values_list("unit__code", "employee_id"):
            for device_id in devices_by_code[code]:
                found[device_id].add(employee_id)

    since = end - dt.timedelta(days=PUNCH_LOOKBACK_DAYS)
    for device_id, employee_id in Punch.objects.filter(
        people, device_id__in=device_ids, employee__isnull=False, instant__gte=since,
        instant__lt=end,
    ).values_list("device_id", "employee_id").distinct():
        found[device_id].add(employee_id)
    return found


def outage_windows_for(
    *, employee_ids: Iterable[int], start: dt.datetime, end: dt.datetime,
) -> dict[int, list[OutageWindow]]:
    """Return the outage windows overlapping start..end of the devices each employee depends on.

    A window that is still open (device still down) is given as ending at `end`.
    """
    employee_ids = list(employee_ids)
    if not employee_ids:
        return {}
    outages = list(
        FaultOutage.objects.filter(start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .select_related("device__unit")
        .order_by("start")
    )
    if not outages:
        return {}

    devices = {outage.device_id: outage.device for outage in outages}
    first = min(outage.start for outage in outages)
    dependents = dependents_by_device(devices=devices.values(), start=min(first, start), end=end,
                                      employee_ids=employee_ids)
    windows: dict[int, list[OutageWindow]] = defaultdict(list)
    for outage in outages:
        window = OutageWindow(start=outage.start, end=outage.end or end)
        for employee_id in dependents[outage.device_id]:
            windows[employee_id].append(window)
    return dict(windows)


# ---------------------------------------------------------------------------------------------
# Scoped reads for the screens


def tickets_visible(*, user) -> QuerySet[FaultTicket]:
    tickets = FaultTicket.objects.select_related("device", "unit", "reported_by")
    return scope_queryset(user=user, queryset=tickets)


def open_faults(*, user) -> QuerySet[FaultTicket]:
    """Return the open fault tickets in the user's scope, oldest first."""
    return tickets_visible(user=user).filter(status__in=OPEN_STATUSES).order_by("opened_at", "id")


def ticket_get(*, user, pk: int) -> FaultTicket:
    return get_scoped_or_404(user=user, queryset=tickets_visible(user=user), pk=pk)


def ticket_history(*, ticket: FaultTicket) -> QuerySet[FaultStateChange]:
    return ticket.history.select_related("actor").order_by("at", "id")


def ticket_outages(*, ticket: FaultTicket) -> QuerySet[FaultOutage]:
    return ticket.outages.select_related("backfill_command").order_by("start", "id")


def ticket_presence_batches(*, ticket: FaultTicket) -> QuerySet[ManualPresenceBatch]:
    return ticket.presence_batches.select_related("entered_by", "decided_by").prefetch_related(
        "entries__employee")


def presence_batch_get(*, user, pk: int) -> ManualPresenceBatch:
    batches = ManualPresenceBatch.objects.select_related("ticket__device", "unit")
    return get_scoped_or_404(user=user, queryset=batches, pk=pk)


def device_fault_history(*, user, device) -> QuerySet[FaultTicket]:
    return tickets_visible(user=user).filter(device=device).order_by("-opened_at", "-id")


class SlaState:
    ON_TIME = "on_time"
    RESPONSE_OVERDUE = "response_overdue"
    REPAIR_OVERDUE = "repair_overdue"


def sla_state(ticket: FaultTicket, *, now: dt.datetime, targets: FaultTargets) -> str:
    """Return whether an open ticket is past its response or repair target."""
    if ticket.acknowledged_at is None:
        if now - ticket.opened_at > dt.timedelta(minutes=targets.response_minutes):
            return SlaState.RESPONSE_OVERDUE
        return SlaState.ON_TIME
    if ticket.closed_at is None and (
        now - ticket.acknowledged_at > dt.timedelta(minutes=targets.repair_minutes)
    ):
        return SlaState.REPAIR_OVERDUE
    return SlaState.ON_TIME


@dataclass
class BoardRow:
    ticket: FaultTicket
    age: dt.timedelta
    sla: str


def fault_board(*, user, now: dt.datetime) -> list[BoardRow]:
    """Return the open tickets the user may see, oldest first, with their age and SLA state."""
    tickets = tickets_visible(user=user).filter(status__in=OPEN_STATUSES).order_by(
        "opened_at", "id")
    table = targets_table()
    rows = []
    for ticket in tickets:
        targets = targets_on(ticket.opened_at.date(), table=table)
        rows.append(BoardRow(ticket=ticket, age=now - ticket.opened_at,
                             sla=sla_state(ticket, now=now, targets=targets)))
    return rows


@dataclass
class UnitMonth:
    unit_name: str
    tickets: int = 0
    unit_reports: int = 0
    reports_within_hour: int = 0
    response_minutes: list[float] = field(default_factory=list)
    repair_minutes: list[float] = field(default_factory=list)

    @staticmethod
    def _mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    @property
    def mean_response_minutes(self) -> float | None:
        return self._mean(self.response_minutes)

    @property
    def mean_repair_minutes(self) -> float | None:
        return self._mean(self.repair_minutes)


def monthly_report(*, user, start: dt.datetime, end: dt.datetime) -> list[UnitMonth]:
    """Summarise the tickets opened in start..end per unit.

    Counts reports made within one hour of the failure, and gives mean response and repair
    times in minutes.
    """
    tickets = tickets_visible(user=user).filter(opened_at__gte=start, opened_at__lt=end)
    by_unit: dict[int, UnitMonth] = {}
    for ticket in tickets.order_by("unit__path", "opened_at"):
        row = by_unit.setdefault(ticket.unit_id, UnitMonth(unit_name=ticket.unit.name))
        row.tickets += 1
        if ticket.reported_at is not None:
            row.unit_reports += 1
            if not ticket.late_report:
                row.reports_within_hour += 1
        if ticket.response_time is not None:
            row.response_minutes.append(ticket.response_time.total_seconds() / 60)
        if ticket.repair_time is not None:
            row.repair_minutes.append(ticket.repair_time.total_seconds() / 60)
    return list(by_unit.values())
