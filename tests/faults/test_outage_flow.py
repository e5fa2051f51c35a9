"""A device goes silent, the unit reports it late, the device returns and the backfill and
manual presence turn PERLU_VERIFIKASI days into their real status.

Every device exchange goes through the real /iclock/ endpoints, and the attendance compute
reads the outage windows through `outage_windows_for`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sao.attendance.compute import recompute_dirty
from sao.attendance.models import DailyResult, DirtyDay
from sao.devices.models import CommandKind, CommandStatus, DeviceCommand, Punch
from sao.faults.models import FaultOutage, FaultTicket, PresenceBatchStatus
from sao.faults.selectors import outage_windows_for
from sao.faults.services import (
    FaultError,
    PresenceLine,
    fault_report,
    faults_check,
    presence_batch_create,
    presence_batch_decide,
)

from .helpers import commands_in, wita

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 12)
# Evaluation time after the day's window closed (16:00 + 6 h), so results are final.
NEXT_MORNING = wita("2026-05-13 08:00")


def status_of(employee) -> str:
    return DailyResult.objects.get(employee=employee, date=DAY).status


def morning_then_silence(push, capture) -> None:
    """Three check-ins arrive in realtime; the device's last contact is at 09:10."""
    with capture(execute=True):
        push.post_attlog("2026-05-12 07:25", ["101\t2026-05-12 07:25:00\t0\t1\t0"])
        push.post_attlog("2026-05-12 07:28", ["103\t2026-05-12 07:28:00\t0\t1\t0"])
        push.post_attlog("2026-05-12 07:29", ["102\t2026-05-12 07:29:00\t0\t1\t0"])
    push.poll("2026-05-12 09:10")


def test_silence_report_backfill_recompute(push, cast, django_capture_on_commit_callbacks,
                                           recompute_calls, media):
    capture = django_capture_on_commit_callbacks
    morning_then_silence(push, capture)

    # 1. Detection at the 30-minute threshold marks the dependents' day dirty.
    with capture(execute=True):
        opened = faults_check(now=wita("2026-05-12 09:40")).opened
    ticket = FaultTicket.objects.get(pk=opened[0])
    dirty = set(DirtyDay.objects.filter(date=DAY).values_list("employee_id", flat=True))
    assert dirty == {cast.staff_a1.pk, cast.staff_a2.pk, cast.other_a.pk}
    assert recompute_calls

    # 2. The unit reports at 10:30: 80 minutes after the failure, so the report is late.
    ticket = fault_report(device=push_device(push), actor=cast.operator_a, cause="network",
                          description="Router mati", now=wita("2026-05-12 10:30"))
    assert ticket.pk == opened[0]
    assert ticket.reported_at == wita("2026-05-12 10:30")
    assert ticket.failure_started_at == wita("2026-05-12 09:10")
    assert ticket.late_report is True

    # 3. While the device is down, a check-in without check-out needs verification, not TK.
    recompute_dirty(now=NEXT_MORNING)
    assert status_of(cast.staff_a1) == "PERLU_VERIFIKASI"
    assert status_of(cast.other_a) == "PERLU_VERIFIKASI"

    # 4. The device returns at 16:40; the check closes the window and queues the backfill.
    push.poll("2026-05-12 16:40")
    with capture(execute=True):
        summary = faults_check(now=wita("2026-05-12 16:45"))
    outage = FaultOutage.objects.get(ticket=ticket)
    assert summary.windows_closed == [outage.pk]
    assert outage.end == wita("2026-05-12 16:40")
    command = DeviceCommand.objects.get(pk=outage.backfill_command_id)
    assert command.kind == CommandKind.ATTLOG_QUERY
    assert command.text == ("DATA QUERY ATTLOG StartTime=2026-05-12 09:10:00\t"
                            "EndTime=2026-05-12 16:40:00")

    # 5. The device picks up the command and uploads the punches it kept during the outage.
    reply = push.poll("2026-05-12 16:46")
    assert commands_in(reply) == [(str(command.pk), command.text)]
    with capture(execute=True):
        push.post_attlog("2026-05-12 16:47", BACKFILL_LINES)
        push.post_result("2026-05-12 16:47", str(command.pk), "DATA")
    command.refresh_from_db()
    assert command.status == CommandStatus.DONE

    recompute_dirty(now=NEXT_MORNING)
    assert status_of(cast.staff_a1) == "HADIR"
    assert status_of(cast.other_a) == "HADIR"
    # Staff A2's check-out was truly lost.
    assert status_of(cast.staff_a2) == "PERLU_VERIFIKASI"

    # 6. The operator enters it from the attendance sheet and the verifier approves it.
    scan = SimpleUploadedFile("absen-12-mei.pdf", b"%PDF-1.4 sheet", content_type="application/pdf")
    batch = presence_batch_create(
        ticket=ticket, actor=cast.operator_a, evidence=scan, reason="Daftar hadir manual",
        lines=[PresenceLine(employee_id=cast.staff_a2.pk, instant=wita("2026-05-12 16:03"),
                            state=1)],
        now=wita("2026-05-13 08:10"))
    assert batch.status == PresenceBatchStatus.PENDING
    assert not Punch.objects.filter(source="manual").exists()

    with capture(execute=True):
        presence_batch_decide(batch=batch, actor=cast.verifier_a, approve=True,
                              now=wita("2026-05-13 09:00"), note="Sesuai daftar hadir")
    manual = Punch.objects.get(source="manual")
    assert manual.employee_id == cast.staff_a2.pk
    assert manual.pin == "102"
    assert manual.instant == wita("2026-05-12 16:03")
    assert manual.suspect is False

    recompute_dirty(now=NEXT_MORNING)
    assert status_of(cast.staff_a2) == "HADIR"

    from sao.audit.models import AuditEntry
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"fault.detect", "fault.report", "fault.outage_close", "fault.presence_enter",
            "fault.presence_decide"} <= actions


# The punches the device kept during the outage.
BACKFILL_LINES = ["101\t2026-05-12 16:05:00\t1\t1\t0",
                  "103\t2026-05-12 12:00:00\t0\t1\t0",
                  "103\t2026-05-12 16:10:00\t1\t1\t0"]


def test_short_backfill_keeps_clock_trusted(push, cast, django_capture_on_commit_callbacks):
    from sao.devices.models import Device

    morning_then_silence(push, django_capture_on_commit_callbacks)
    faults_check(now=wita("2026-05-12 09:40"))
    push.poll("2026-05-12 16:40")
    faults_check(now=wita("2026-05-12 16:45"))
    assert commands_in(push.poll("2026-05-12 16:46"))

    push.post_attlog("2026-05-12 16:47", ["101\t2026-05-12 16:05:00\t1\t1\t0"])

    assert Device.objects.get(serial=push.serial).clock_suspect is False


def push_device(push):
    from sao.devices.models import Device

    return Device.objects.select_related("unit").get(serial=push.serial)


def test_without_outage_day_is_tk(push, cast, django_capture_on_commit_callbacks):
    """Control case: without a ticket the same missing punches make TK and TIDAK_LENGKAP."""
    morning_then_silence(push, django_capture_on_commit_callbacks)
    from sao.attendance.compute import recompute

    recompute(start=DAY, end=DAY, employee_ids=[cast.staff_a1.pk, cast.person_b.pk],
              now=NEXT_MORNING)

    assert status_of(cast.staff_a1) == "TIDAK_LENGKAP"
    assert status_of(cast.person_b) == "TK"


def test_outage_windows_for_dependents(push, cast, device):
    push.poll("2026-05-12 09:10")
    faults_check(now=wita("2026-05-12 09:40"))
    ids = [cast.staff_a1.pk, cast.person_b.pk, cast.head_a.pk]

    windows = outage_windows_for(employee_ids=ids, start=wita("2026-05-12 00:00"),
                                 end=wita("2026-05-13 00:00"))

    assert set(windows) == {cast.staff_a1.pk}
    assert windows[cast.staff_a1.pk][0].start == wita("2026-05-12 09:10")
    # Still open: the window reaches the end of the range asked for.
    assert windows[cast.staff_a1.pk][0].end == wita("2026-05-13 00:00")
    assert outage_windows_for(employee_ids=ids, start=wita("2026-05-11 00:00"),
                              end=wita("2026-05-12 09:00")) == {}


def test_unit_mapping_and_punches_make_dependents(push, cast, device):
    from sao.devices.models import PinMapping

    PinMapping.objects.create(unit=cast.agency_a, pin="900", employee=cast.head_a,
                              valid_from=dt.date(2026, 1, 1))
    push.poll("2026-05-12 09:10")
    faults_check(now=wita("2026-05-12 09:40"))

    windows = outage_windows_for(employee_ids=[cast.head_a.pk], start=wita("2026-05-12 00:00"),
                                 end=wita("2026-05-13 00:00"))

    assert list(windows) == [cast.head_a.pk]


def test_presence_outside_window_rejected(push, cast, media):
    push.poll("2026-05-12 09:10")
    ticket = FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])
    scan = SimpleUploadedFile("scan.pdf", b"%PDF", content_type="application/pdf")

    with pytest.raises(FaultError) as error:
        presence_batch_create(
            ticket=ticket, actor=cast.operator_a, evidence=scan, reason="manual",
            lines=[PresenceLine(employee_id=cast.staff_a2.pk, instant=wita("2026-05-12 07:00"),
                                state=0)],
            now=wita("2026-05-12 11:00"))

    assert error.value.code == "outside_window"
    assert "2026-05-12 07:00" in str(error.value)


def test_presence_for_outsider_rejected(push, cast, media):
    push.poll("2026-05-12 09:10")
    ticket = FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])
    scan = SimpleUploadedFile("scan.pdf", b"%PDF", content_type="application/pdf")

    with pytest.raises(FaultError) as error:
        presence_batch_create(
            ticket=ticket, actor=cast.operator_a, evidence=scan, reason="manual",
            lines=[PresenceLine(employee_id=cast.person_b.pk, instant=wita("2026-05-12 10:00"),
                                state=0)],
            now=wita("2026-05-12 11:00"))

    assert error.value.code == "not_dependent"


def test_rejection_stores_no_punch(push, cast, media):
    push.poll("2026-05-12 09:10")
    ticket = FaultTicket.objects.get(pk=faults_check(now=wita("2026-05-12 09:40")).opened[0])
    scan = SimpleUploadedFile("scan.pdf", b"%PDF", content_type="application/pdf")
    batch = presence_batch_create(
        ticket=ticket, actor=cast.operator_a, evidence=scan, reason="manual",
        lines=[PresenceLine(employee_id=cast.staff_a2.pk, instant=wita("2026-05-12 10:00"),
                            state=0)],
        now=wita("2026-05-12 11:00"))

    with pytest.raises(FaultError) as error:
        presence_batch_decide(batch=batch, actor=cast.verifier_a, approve=False,
                              now=wita("2026-05-12 12:00"))
    assert error.value.code == "note_missing"

    batch = presence_batch_decide(batch=batch, actor=cast.verifier_a, approve=False,
                                  now=wita("2026-05-12 12:00"), note="Tanpa tanda tangan")
    assert batch.status == PresenceBatchStatus.REJECTED
    assert not Punch.objects.filter(source="manual").exists()
