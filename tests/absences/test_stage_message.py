"""Acting at the wrong stage: the response names the request's stage, not a generic 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sao.absences.models import AbsenceType, RequestStatus
from sao.absences.services import AbsenceError, absence_request_create, absence_request_decide
from sao.notify.models import InboundStatus
from sao.notify.sms import handle_message

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 14)
HEAD_PHONE = "+6281200000002"


@pytest.fixture
def request_a(cast):
    return absence_request_create(
        employee=cast.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=DAY,
        end_date=DAY,
        actor=cast.operator_a,
        reference="ST-5/A",
    )


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])


def test_atasan_after_own_approval(cast, client, request_a):
    absence_request_decide(request=request_a, action="approve", actor=cast.supervisor_a)
    english(cast.supervisor_a)
    client.force_login(cast.supervisor_a)

    response = client.post(f"/absences/{request_a.code}/decide/", {"action": "approve"})

    assert response.status_code == 409
    page = response.content.decode()
    assert f"Request {request_a.code} was already approved by the atasan langsung" in page
    assert "Verifikator (Kasubag Umum)" in page
    request_a.refresh_from_db()
    assert request_a.status == RequestStatus.WAITING_VERIFIER


def test_verifier_before_atasan(cast, client, request_a):
    english(cast.verifier_a)
    client.force_login(cast.verifier_a)

    response = client.post(f"/absences/{request_a.code}/decide/", {"action": "approve"})

    assert response.status_code == 409
    assert f"Request {request_a.code} still waits for the atasan langsung" in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.status == RequestStatus.WAITING_SUPERVISOR


@pytest.mark.parametrize(
    ("final_action", "status_text"),
    [("approve", "Approved"), ("reject", "Rejected")],
)
def test_decided_request_named(cast, request_a, final_action, status_text):
    absence_request_decide(request=request_a, action="approve", actor=cast.supervisor_a)
    absence_request_decide(request=request_a, action=final_action, actor=cast.verifier_a, reason="x")

    with translation.override("en"), pytest.raises(AbsenceError) as error:
        absence_request_decide(request=request_a, action="approve", actor=cast.verifier_a)

    assert error.value.code == "wrong_stage"
    assert error.value.message == f"Request {request_a.code} is already {status_text}; no decision is open."


def test_outsider_still_403(cast, client, request_a):
    """Someone who approves at no stage of this request still gets the generic 403."""
    client.force_login(cast.operator_a)

    response = client.post(f"/absences/{request_a.code}/decide/", {"action": "approve"})

    assert response.status_code == 403


def test_sms_reply_names_stage(cast, request_a):
    cast.head_a.phone = HEAD_PHONE
    cast.head_a.save(update_fields=["phone"])
    absence_request_decide(request=request_a, action="approve", actor=cast.supervisor_a)
    english(cast.supervisor_a)  # the reply speaks the language of the sender's account

    with translation.override("en"):
        message = handle_message(
            source_name="IN20261214_080000_00_+6281200000002_00.txt",
            sender=HEAD_PHONE,
            text=f"SETUJU {request_a.code}",
        )

    assert message.status == InboundStatus.REJECTED
    assert "now waits for the Verifikator" in message.reply
