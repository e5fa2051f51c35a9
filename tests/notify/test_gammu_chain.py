"""The whole chain on real components: a request by SMS through gammu-smsd, approval by SMS,
verification on the web, the day marked dirty and recomputed from TK to DL, audit rows written."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sao.absences.models import AbsenceRequest, RequestStatus
from sao.absences.selectors import approved_absences_for
from sao.attendance import compute
from sao.attendance.models import DailyResult
from sao.audit.models import AuditEntry
from sao.notify.models import InboundSms, InboundStatus, OutboundMessage, OutboundStatus
from sao.notify.sms import poll_inbox

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+6281200000001"
HEAD_PHONE = "+6281200000002"
DAY = dt.date(2026, 11, 30)  # a Monday before the test machine's date, so TK is final


@pytest.fixture
def huey_immediate():
    """Run Huey tasks in-process with memory storage, so nothing reaches the shared queue file."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def phones(cast):
    cast.staff_a1.phone = STAFF_PHONE
    cast.staff_a1.save(update_fields=["phone"])
    cast.head_a.phone = "0812-0000-0002"  # written the local way; matched as 62812...
    cast.head_a.save(update_fields=["phone"])
    return cast


def test_sms_request_to_recomputed_day(
    gammu, phones, client, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    cast = phones
    # The replacement of load_absences the lead applies in sao.attendance.compute.
    monkeypatch.setattr(compute, "load_absences", approved_absences_for)
    compute.recompute(start=DAY, end=DAY, employee_ids=[cast.staff_a1.pk])
    assert DailyResult.objects.get(employee=cast.staff_a1, date=DAY).status == "TK"

    # 1. The employee sends a DL request by SMS.
    gammu.receive(sender=STAFF_PHONE, text=f"DL {DAY} {DAY} ST-123/BKD Samarinda")
    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_inbox()
    assert counts == {InboundStatus.DONE: 1}
    request = AbsenceRequest.objects.get(employee=cast.staff_a1)
    assert request.status == RequestStatus.WAITING_SUPERVISOR
    assert request.reference == "ST-123/BKD"
    assert request.destination == "Samarinda"
    assert request.entered_late  # entered after the day it covers
    assert request.channel == "sms"
    assert list((gammu.inbox / "processed").iterdir())

    # 2. The atasan gets the code by SMS and approves by replying.
    [to_head] = gammu.sent_to("0812-0000-0002")
    assert request.code in to_head
    code = re.search(r"SETUJU (\w{4})", to_head).group(1)
    [to_staff] = gammu.sent_to(STAFF_PHONE)
    assert request.code in to_staff

    gammu.receive(sender=HEAD_PHONE, text=f"setuju {code.lower()}")
    with django_capture_on_commit_callbacks(execute=True):
        poll_inbox()
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_VERIFIER
    assert DailyResult.objects.get(employee=cast.staff_a1, date=DAY).status == "TK"

    # 3. The Verifikator verifies on the web; the day is recomputed to DL.
    client.force_login(cast.verifier_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/absences/{code}/decide/", {"action": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert DailyResult.objects.get(employee=cast.staff_a1, date=DAY).status == "DL"

    actions = list(
        AuditEntry.objects.filter(object_type="absences.absencerequest", object_id=str(request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["absence.create", "absence.approve.atasan", "absence.approve.verif"]
    assert OutboundMessage.objects.filter(status=OutboundStatus.FAILED).count() == 0
    # The reply to the request, then the final result, reached the employee's phone.
    to_staff = gammu.sent_to(STAFF_PHONE, count=2)
    assert all(code in text for text in to_staff)


def test_unknown_number_gets_reply(gammu, cast, django_capture_on_commit_callbacks):
    gammu.receive(sender="+6289999999999", text="IJIN 2026-12-07 sakit gigi")
    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_inbox()

    assert counts == {InboundStatus.UNKNOWN_SENDER: 1}
    message = InboundSms.objects.get()
    assert message.text == "IJIN 2026-12-07 sakit gigi"
    assert "6289999999999" in message.reply
    [reply] = gammu.sent_to("+6289999999999")
    assert reply == message.reply
    assert not AbsenceRequest.objects.exists()
