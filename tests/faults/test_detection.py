"""The periodic fault check: silence in working hours, clock drift, full log, one open ticket."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import translation

from sao.devices.models import Device
from sao.faults.models import FaultCause, FaultOutage, FaultStatus, FaultTargets, FaultTicket
from sao.faults.services import faults_check

from .helpers import wita

pytestmark = pytest.mark.django_db


def silent_since(device, text: str) -> None:
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita(text))


def test_silent_ticket_at_threshold(push, device):
    # Tue 12 May 2026 is a working day, 07:30-16:00 WITA; the default threshold is 30 minutes.
    push.poll("2026-05-12 09:10")

    assert faults_check(now=wita("2026-05-12 09:39")).opened == []
    opened = faults_check(now=wita("2026-05-12 09:40")).opened

    assert len(opened) == 1
    ticket = FaultTicket.objects.get(pk=opened[0])
    assert ticket.cause == FaultCause.SILENT
    assert ticket.status == FaultStatus.REPORTED
    assert ticket.failure_started_at == wita("2026-05-12 09:10")
    assert ticket.opened_at == wita("2026-05-12 09:40")
    outage = FaultOutage.objects.get(ticket=ticket)
    assert outage.start == wita("2026-05-12 09:10")
    assert outage.end is None
    assert ticket.history.get().actor_label == "faults-check"


def test_threshold_from_targets(device):
    FaultTargets.objects.create(valid_from="2026-01-01", silent_minutes=90)
    silent_since(device, "2026-05-12 09:10")

    assert faults_check(now=wita("2026-05-12 10:39")).opened == []
    assert len(faults_check(now=wita("2026-05-12 10:40")).opened) == 1


def test_silent_at_night_no_ticket(device):
    silent_since(device, "2026-05-12 16:30")

    assert faults_check(now=wita("2026-05-13 07:29")).opened == []
    # Working time starts at 07:30, so the threshold is reached at 08:00.
    assert faults_check(now=wita("2026-05-13 07:59")).opened == []
    assert len(faults_check(now=wita("2026-05-13 08:00")).opened) == 1


def test_silent_over_holiday_no_ticket(device):
    # Thu 14 and Fri 15 May 2026 are Ascension Day and its cuti bersama, then a weekend.
    silent_since(device, "2026-05-13 16:05")

    assert faults_check(now=wita("2026-05-17 23:00")).opened == []
    assert FaultTicket.objects.count() == 0
    assert len(faults_check(now=wita("2026-05-18 08:00")).opened) == 1


def test_silent_over_weekend_no_ticket(device):
    silent_since(device, "2026-05-09 09:00")  # a Saturday

    assert faults_check(now=wita("2026-05-10 15:00")).opened == []


def test_holiday_override_counts(device):
    from sao.calendars.models import HolidayOverride

    HolidayOverride.objects.create(date="2026-05-12", name="Libur daerah", legal_basis="test")
    silent_since(device, "2026-05-12 08:00")

    assert faults_check(now=wita("2026-05-12 15:00")).opened == []


def test_one_open_ticket_per_cause(device):
    silent_since(device, "2026-05-12 09:10")
    faults_check(now=wita("2026-05-12 09:40"))

    assert faults_check(now=wita("2026-05-12 10:40")).opened == []
    assert FaultTicket.objects.filter(cause=FaultCause.SILENT).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        FaultTicket.objects.create(device=device, unit=device.unit, cause=FaultCause.SILENT,
                                   origin="detected", failure_started_at=wita("2026-05-12 09:10"),
                                   failure_start_source="detected",
                                   opened_at=wita("2026-05-12 11:00"))


def test_closed_ticket_allows_new_one(device, cast):
    from sao.faults.services import fault_transition

    silent_since(device, "2026-05-12 09:10")
    ticket = FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])
    fault_transition(ticket=ticket, to_status="ack", actor=cast.operator_bkd,
                     now=wita("2026-05-12 09:50"))
    fault_transition(ticket=ticket, to_status="resolved", actor=cast.operator_bkd,
                     now=wita("2026-05-12 10:00"))
    silent_since(device, "2026-05-12 10:05")

    assert len(faults_check(now=wita("2026-05-12 10:35")).opened) == 1
    assert FaultTicket.objects.filter(cause=FaultCause.SILENT).count() == 2


def test_clock_drift_opens_ticket(device):
    Device.objects.filter(pk=device.pk).update(
        clock_suspect=True, clock_offset_seconds=-1800, clock_checked_at=wita("2026-05-12 07:40"),
        last_contact_at=wita("2026-05-12 09:00"))

    opened = faults_check(now=wita("2026-05-12 09:05")).opened

    ticket = FaultTicket.objects.get(pk__in=opened)
    assert ticket.cause == FaultCause.CLOCK
    assert "-1800" in ticket.detail
    # A drifting clock still records punches: no outage window.
    assert not ticket.outages.exists()


def test_full_log_opens_ticket(device):
    Device.objects.filter(pk=device.pk).update(
        record_count=94_999, device_options={"~MaxAttLogCount": "100000"},
        last_contact_at=wita("2026-05-12 09:00"))
    assert faults_check(now=wita("2026-05-12 09:05")).opened == []

    Device.objects.filter(pk=device.pk).update(record_count=95_000)
    opened = faults_check(now=wita("2026-05-12 09:06")).opened

    assert FaultTicket.objects.get(pk__in=opened).cause == FaultCause.LOG_FULL


def test_pending_device_not_checked(cast):
    Device.objects.create(serial="PEND0001", status="pending",
                          last_contact_at=wita("2026-05-12 08:00"))

    summary = faults_check(now=wita("2026-05-12 15:00"))

    assert summary.devices == 0
    assert summary.opened == []


def test_command_runs_check(device):
    silent_since(device, "2026-05-12 09:10")
    out = StringIO()

    with translation.override("en"):
        call_command("faults_check", "--at", "2026-05-12T09:40+08:00", stdout=out)

    assert "1 tickets opened" in out.getvalue()
    assert FaultTicket.objects.count() == 1


def test_command_output_in_indonesian(device):
    silent_since(device, "2026-05-12 09:10")
    out = StringIO()

    with translation.override("id"):
        call_command("faults_check", "--at", "2026-05-12T09:40+08:00", stdout=out)

    assert out.getvalue().strip() == ("1 mesin diperiksa: 1 tiket dibuka, 0 jendela gangguan "
                                      "ditutup.")


def test_command_rejects_naive_time(device):
    from django.core.management.base import CommandError

    with translation.override("en"), pytest.raises(CommandError, match="no offset") as error:
        call_command("faults_check", "--at", "2026-05-12T09:40")
    assert "'2026-05-12T09:40'" in str(error.value)


def test_command_rejects_bad_time(device):
    from django.core.management.base import CommandError

    with translation.override("id"), pytest.raises(CommandError) as error:
        call_command("faults_check", "--at", "12 Mei pukul 9")
    assert str(error.value) == ("Waktu '12 Mei pukul 9' tidak valid. Tulis sebagai "
                                "YYYY-MM-DDTHH:MM+08:00.")


def test_silent_again_opens_new_window(push, device):
    push.poll("2026-05-12 09:10")
    ticket = FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])
    push.poll("2026-05-12 10:00")
    faults_check(now=wita("2026-05-12 10:05"))

    faults_check(now=wita("2026-05-12 10:31"))
    assert faults_check(now=wita("2026-05-12 10:31")).opened == []

    windows = list(ticket.outages.order_by("start").values_list("start", "end"))
    assert windows == [(wita("2026-05-12 09:10"), wita("2026-05-12 10:00")),
                       (wita("2026-05-12 10:00"), None)]


def test_board_query_count(cast, device, django_assert_max_num_queries):
    from django.test import Client

    for number in range(5):
        other = Device.objects.create(serial=f"QC{number:04d}", unit=cast.unit_a, status="active",
                                      last_contact_at=wita(f"2026-05-{11 + number % 2} 09:10"))
        assert other.pk
    faults_check(now=wita("2026-05-12 15:00"))
    client = Client()
    client.force_login(cast.admin_bkd)

    # Session, user, tickets with device and unit, targets table, template context.
    with django_assert_max_num_queries(8):
        response = client.get("/faults/")
    assert response.content.count(b'data-testid="board-row"') == 5


def test_reported_network_fault_no_silent_ticket(cast, device):
    from sao.faults.services import fault_report

    silent_since(device, "2026-05-12 09:05")
    reported = fault_report(device=device, actor=cast.operator_a, cause="network",
                            description="Router mati", now=wita("2026-05-12 09:20"),
                            stated_started_at=wita("2026-05-12 09:05"))

    assert faults_check(now=wita("2026-05-12 09:40")).opened == []
    assert list(FaultTicket.objects.values_list("pk", flat=True)) == [reported.pk]
