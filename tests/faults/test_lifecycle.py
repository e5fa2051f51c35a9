"""BKD's response: status moves with history and audit, and targets by date."""

from __future__ import annotations

import datetime as dt

import pytest

from sao.audit.models import AuditEntry
from sao.devices.models import CommandKind, Device, DeviceCommand
from sao.faults.models import FaultStatus, FaultTargets, FaultTicket
from sao.faults.selectors import SlaState, sla_state, targets_on
from sao.faults.services import FaultError, fault_report, fault_transition, faults_check

from .helpers import wita

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(device):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 09:10"))
    return FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])


def test_full_lifecycle_history(cast, ticket):
    steps = [("ack", "2026-05-12 10:00"), ("repair", "2026-05-12 11:00"),
             ("replaced", "2026-05-13 09:00")]
    for status, when in steps:
        fault_transition(ticket=ticket, to_status=status, actor=cast.operator_bkd, now=wita(when),
                         note=f"to {status}")

    ticket.refresh_from_db()
    assert ticket.status == FaultStatus.REPLACED
    assert ticket.acknowledged_at == wita("2026-05-12 10:00")
    assert ticket.repair_started_at == wita("2026-05-12 11:00")
    assert ticket.closed_at == wita("2026-05-13 09:00")
    assert ticket.response_time == dt.timedelta(minutes=20)
    assert ticket.repair_time == dt.timedelta(hours=23)
    history = list(ticket.history.values_list("from_status", "to_status", "actor_label"))
    assert history == [("", "reported", "faults-check"), ("reported", "ack", "opbkd"),
                       ("ack", "repair", "opbkd"), ("repair", "replaced", "opbkd")]
    audits = AuditEntry.objects.filter(action="fault.transition", object_id=str(ticket.pk))
    assert audits.count() == 3


def test_transition_order_enforced(cast, ticket):
    with pytest.raises(FaultError) as error:
        fault_transition(ticket=ticket, to_status="resolved", actor=cast.operator_bkd,
                         now=wita("2026-05-12 10:00"))

    assert error.value.code == "bad_transition"
    ticket.refresh_from_db()
    assert ticket.status == FaultStatus.REPORTED
    assert ticket.history.count() == 1


def test_closing_ends_window_and_queues_backfill(cast, ticket):
    fault_transition(ticket=ticket, to_status="ack", actor=cast.operator_bkd,
                     now=wita("2026-05-12 10:00"))
    fault_transition(ticket=ticket, to_status="resolved", actor=cast.operator_bkd,
                     now=wita("2026-05-12 14:00"))

    outage = ticket.outages.get()
    assert outage.end == wita("2026-05-12 14:00")
    command = DeviceCommand.objects.get(pk=outage.backfill_command_id)
    assert command.kind == CommandKind.ATTLOG_QUERY
    assert "StartTime=2026-05-12 09:10:00\tEndTime=2026-05-12 14:00:00" in command.text


def test_report_attaches_to_detected_ticket(cast, ticket, media):
    reported = fault_report(device=ticket.device, actor=cast.operator_a, cause="power",
                            description="Listrik padam", now=wita("2026-05-12 10:09"),
                            stated_started_at=wita("2026-05-12 09:30"))

    assert reported.pk == ticket.pk
    assert reported.failure_started_at == wita("2026-05-12 09:10")
    assert reported.stated_started_at == wita("2026-05-12 09:30")
    assert reported.reported_cause == "power"
    assert reported.late_report is False
    assert FaultTicket.objects.count() == 1


def test_report_late_at_ten_thirty(cast, ticket, media):
    reported = fault_report(device=ticket.device, actor=cast.operator_a, cause="network",
                            description="Jaringan putus", now=wita("2026-05-12 10:30"))

    assert reported.late_report is True
    assert reported.report_delay == dt.timedelta(minutes=80)


def test_second_report_same_cause_rejected(cast, device, media):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 10:00"))
    fault_report(device=device, actor=cast.operator_a, cause="sensor", description="a",
                 now=wita("2026-05-12 10:05"), stated_started_at=wita("2026-05-12 09:50"))

    with pytest.raises(FaultError) as error:
        fault_report(device=device, actor=cast.operator_a, cause="sensor", description="b",
                     now=wita("2026-05-12 10:06"), stated_started_at=wita("2026-05-12 09:50"))

    assert error.value.code == "duplicate"
    assert device.serial in str(error.value)


def test_future_start_rejected(cast, device):
    with pytest.raises(FaultError) as error:
        fault_report(device=device, actor=cast.operator_a, cause="sensor", description="a",
                     now=wita("2026-05-12 10:05"), stated_started_at=wita("2026-05-12 11:00"))

    assert error.value.code == "start_in_future"


def test_targets_by_effective_date(ticket):
    FaultTargets.objects.create(valid_from=dt.date(2026, 1, 1), response_minutes=60)
    FaultTargets.objects.create(valid_from=dt.date(2026, 6, 1), response_minutes=30)

    assert targets_on(dt.date(2026, 5, 31)).response_minutes == 60
    assert targets_on(dt.date(2026, 6, 1)).response_minutes == 30
    assert targets_on(dt.date(2025, 12, 31)).response_minutes == 240
    targets = targets_on(dt.date(2026, 5, 12))
    assert sla_state(ticket, now=wita("2026-05-12 10:40"), targets=targets) == SlaState.ON_TIME
    assert sla_state(ticket, now=wita("2026-05-12 10:41"),
                     targets=targets) == SlaState.RESPONSE_OVERDUE
