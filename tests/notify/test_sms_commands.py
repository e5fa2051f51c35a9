"""SMS command parsing and decisions, called directly (the daemon round trip is in test_gammu_chain)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sao.absences.models import AbsenceRequest, AbsenceType, RequestStatus
from sao.absences.services import absence_request_create
from sao.notify.models import InboundSms, InboundStatus, OutboundMessage
from sao.notify.sms import handle_message, normalise_phone

pytestmark = pytest.mark.django_db

STAFF = "+6281200000001"
HEAD = "+6281200000002"
counter = iter(range(1, 10_000))


@pytest.fixture
def phones(cast):
    cast.staff_a1.phone = STAFF
    cast.staff_a1.save(update_fields=["phone"])
    cast.head_a.phone = HEAD
    cast.head_a.save(update_fields=["phone"])
    return cast


def sms(sender: str, text: str) -> InboundSms:
    return handle_message(
        source_name=f"IN20261204_090000_00_{sender}_{next(counter):02d}.txt", sender=sender, text=text
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+62 812-0000-0001", "6281200000001"),
        ("081200000001", "6281200000001"),
        ("6281200000001", "6281200000001"),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("IJIN besok sakit gigi", "besok"),
        ("IJIN 2026-13-07 sakit", "2026-13-07"),
        ("SAKIT", "-"),
    ],
)
def test_invalid_date_reply(phones, text, value):
    message = sms(STAFF, text)

    assert message.status == InboundStatus.INVALID
    assert value in message.reply
    assert "2026-12-07" in message.reply  # the example of the right form
    assert not AbsenceRequest.objects.exists()


@pytest.mark.parametrize("text", ["DL 2026-12-14 2026-12-15", "DL 2026-12-14", "IJIN 2026-12-14"])
def test_missing_parts_rejected(phones, text):
    message = sms(STAFF, text)

    assert message.status == InboundStatus.INVALID
    assert message.reply
    assert not AbsenceRequest.objects.exists()


def test_unknown_keyword_gets_help(phones):
    message = sms(STAFF, "HALO pak")

    assert message.status == InboundStatus.INVALID
    assert "HALO" in message.reply
    assert "SETUJU" in message.reply
    assert OutboundMessage.objects.get(topic="sms.reply").recipient == STAFF


def test_ijin_by_sms(phones):
    message = sms(STAFF, "ijin 14-12-2026 sakit gigi")

    request = AbsenceRequest.objects.get()
    assert message.status == InboundStatus.DONE
    assert request.code in message.reply
    assert (request.absence_type.code, request.start_date, request.note) == (
        "IJIN",
        dt.date(2026, 12, 14),
        "sakit gigi",
    )
    assert request.entered_by_label == f"SMS {phones.staff_a1.nip}"


def test_rule_violation_is_rejected(phones):
    message = sms(STAFF, "CUTI 2026-03-18 2026-03-24")  # only cuti bersama and holidays

    assert message.status == InboundStatus.REJECTED
    assert "2026-03-18" in message.reply


def test_reject_by_sms_with_reason(phones):
    request = absence_request_create(
        employee=phones.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 14),
        actor=phones.operator_a,
        reference="ST-5",
    )

    message = sms(HEAD, f"TOLAK {request.code} tidak ada surat tugas")

    request.refresh_from_db()
    assert message.status == InboundStatus.DONE
    assert request.status == RequestStatus.REJECTED
    assert request.steps.last().reason == "tidak ada surat tugas"


def test_approve_by_wrong_person(phones):
    request = absence_request_create(
        employee=phones.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 14),
        actor=phones.operator_a,
        reference="ST-5",
    )

    message = sms(STAFF, f"SETUJU {request.code}")  # the requester approving themselves

    request.refresh_from_db()
    assert message.status == InboundStatus.REJECTED
    assert request.status == RequestStatus.WAITING_SUPERVISOR


def test_unknown_code(phones):
    message = sms(HEAD, "SETUJU ZZZZ")

    assert message.status == InboundStatus.INVALID
    assert "ZZZZ" in message.reply


def test_same_file_handled_once(phones):
    first = handle_message(source_name="IN20261204_090000_00_x_00.txt", sender=STAFF, text="BANTUAN")
    again = handle_message(source_name="IN20261204_090000_00_x_00.txt", sender=STAFF, text="BANTUAN")

    assert first.status == InboundStatus.DONE
    assert again is None
    assert InboundSms.objects.count() == 1


def test_sms_poll_without_inbox(tmp_path, settings):
    settings.SAO_NOTIFY = {"gateway": "none", "gammu_inbox": str(tmp_path / "absent")}

    with pytest.raises(CommandError) as error:
        call_command("sms_poll")

    assert "absent" in str(error.value)


@pytest.mark.parametrize(("user", "status"), [("admin_bkd", 200), ("operator_a", 403), ("employee_a", 403)])
def test_sms_log_for_bkd_only(phones, client, user, status):
    sms(STAFF, "BANTUAN")
    client.force_login(getattr(phones, user))

    response = client.get("/notify/")

    assert response.status_code == status
    if status == 200:
        assert response.content.decode().count('data-testid="inbound-row"') == 1


def test_escalate_command(phones):
    request = absence_request_create(
        employee=phones.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 14),
        actor=phones.operator_a,
        reference="ST-5",
    )
    AbsenceRequest.objects.filter(pk=request.pk).update(
        stage_since=request.stage_since - dt.timedelta(days=4)
    )
    out = StringIO()

    with translation.override("en"):
        call_command("escalate_absences", "--days", "3", stdout=out)

    assert out.getvalue().strip() == "1 requests escalated."
    request.refresh_from_db()
    assert request.escalated_at is not None
