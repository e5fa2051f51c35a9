"""Silence, a late report and the backfill, with the push-device simulator over real HTTP.

`PushDeviceClient` is the client `sao simulate-devices` uses. The live server runs in this
process, so freezing `django.utils.timezone.now` gives both sides the same clock.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sao.attendance.compute import recompute_dirty
from sao.attendance.models import DailyResult
from sao.devices.models import CommandKind, CommandStatus, Device, DeviceCommand
from sao.devices.simulator.push import PushDeviceClient
from sao.faults.models import FaultOutage, FaultTicket
from sao.faults.services import fault_report, faults_check

from .helpers import SERIAL, commands_in, wita

# The seed policy is a data-migration row that a transactional test's flush removes, so the
# database is serialised at set-up and restored for the next test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAY = dt.date(2026, 5, 12)
NEXT_MORNING = wita("2026-05-13 08:00")


@pytest.fixture
def clock(monkeypatch):
    def at(text: str) -> dt.datetime:
        moment = wita(text)
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    return at


@pytest.fixture
def simulator(live_server, device):
    return PushDeviceClient(live_server.url, SERIAL, timeout=10)


def status_of(employee) -> str:
    return DailyResult.objects.get(employee=employee, date=DAY).status


def test_silence_late_report_backfill(cast, simulator, clock):
    for when, line in (("2026-05-12 07:25", "101\t2026-05-12 07:25:00\t0\t1\t0"),
                       ("2026-05-12 07:28", "103\t2026-05-12 07:28:00\t0\t1\t0"),
                       ("2026-05-12 07:29", "102\t2026-05-12 07:29:00\t0\t1\t0")):
        clock(when)
        assert simulator.post_attlog([line]) == (200, "OK: 1")
    clock("2026-05-12 09:10")
    assert simulator.getrequest()[0] == 200

    # The default threshold is 30 minutes of working hours: the ticket opens at 09:40.
    assert faults_check(now=wita("2026-05-12 09:39")).opened == []
    [ticket_id] = faults_check(now=wita("2026-05-12 09:40")).opened
    ticket = FaultTicket.objects.get(pk=ticket_id)
    assert ticket.failure_started_at == wita("2026-05-12 09:10")

    ticket = fault_report(device=Device.objects.get(serial=SERIAL), actor=cast.operator_a,
                          cause="network", description="Router mati",
                          now=wita("2026-05-12 10:30"))
    assert ticket.pk == ticket_id
    assert ticket.late_report is True

    recompute_dirty(now=NEXT_MORNING)
    assert status_of(cast.staff_a1) == "PERLU_VERIFIKASI"
    assert status_of(cast.other_a) == "PERLU_VERIFIKASI"

    # The device comes back; the check closes the window and queues DATA QUERY ATTLOG.
    clock("2026-05-12 16:40")
    assert simulator.getrequest() == (200, "OK")
    assert faults_check(now=wita("2026-05-12 16:45")).windows_closed
    outage = FaultOutage.objects.get(ticket=ticket)
    assert outage.end == wita("2026-05-12 16:40")
    command = DeviceCommand.objects.get(pk=outage.backfill_command_id)
    assert command.kind == CommandKind.ATTLOG_QUERY

    clock("2026-05-12 16:46")
    status, reply = simulator.getrequest()
    assert status == 200
    assert commands_in(reply) == [(str(command.pk), command.text)]
    clock("2026-05-12 16:47")
    assert simulator.post_attlog(["101\t2026-05-12 16:05:00\t1\t1\t0",
                                  "103\t2026-05-12 16:10:00\t1\t1\t0"]) == (200, "OK: 2")
    assert simulator.post_command_results([(str(command.pk), "DATA")])[0] == 200
    command.refresh_from_db()
    assert command.status == CommandStatus.DONE

    recompute_dirty(now=NEXT_MORNING)
    assert status_of(cast.staff_a1) == "HADIR"
    assert status_of(cast.other_a) == "HADIR"
    # Staff A2's check-out never reached the device, so the day still needs verification.
    assert status_of(cast.staff_a2) == "PERLU_VERIFIKASI"


def test_silent_night_and_holiday_no_ticket(cast, simulator, clock):
    clock("2026-05-12 16:30")
    assert simulator.getrequest()[0] == 200

    # Silent from 16:30 (after office hours end at 16:00) through the night.
    assert faults_check(now=wita("2026-05-13 07:59")).opened == []

    # Thu 14 and Fri 15 May 2026 are Ascension Day and its cuti bersama, then a weekend.
    clock("2026-05-13 16:30")
    assert simulator.getrequest()[0] == 200
    assert faults_check(now=wita("2026-05-17 23:00")).opened == []
    assert FaultTicket.objects.count() == 0
    assert len(faults_check(now=wita("2026-05-18 08:00")).opened) == 1
