"""Fault screens through the test client: scope (404 outside), role checks (403), forms.

Who can read ticket A (a device of unit A): BKD admin and operator (province), operator_a (unit
A), verifier_a and leader_a (agency A, above unit A), supervisor_a and employee_a (their own
units). operator_b and the outsider get 404. Only BKD moves a ticket; only the verifier and
the BKD admin decide manual presence.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sao.devices.models import Device, DeviceStatus
from sao.faults.models import FaultStatus, FaultTicket, ManualPresenceBatch
from sao.faults.services import faults_check

from .helpers import wita

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    """Return a real 2x2 PNG, so ImageField's Pillow check accepts the upload."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tickets(device, cast):
    """An open SILENT ticket on the device of unit A and one on a device of unit B."""
    device_b = Device.objects.create(serial="FLT-B-001", unit=cast.unit_b,
                                     status=DeviceStatus.ACTIVE)
    Device.objects.filter(pk__in=[device.pk, device_b.pk]).update(
        last_contact_at=wita("2026-05-12 09:10"))
    faults_check(now=wita("2026-05-12 09:40"))
    return (FaultTicket.objects.get(device=device), FaultTicket.objects.get(device=device_b))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


TICKET_A_VISIBLE = {
    "admin_bkd": 200, "operator_bkd": 200, "operator_a": 200, "operator_b": 404,
    "verifier_a": 200, "leader_a": 200, "supervisor_a": 200, "employee_a": 200, "outsider": 404,
}


@pytest.mark.parametrize(("who", "expected"), sorted(TICKET_A_VISIBLE.items()))
def test_ticket_detail_scope(cast, tickets, who, expected):
    ticket_a, _ticket_b = tickets
    response = client_for(getattr(cast, who)).get(reverse("faults:ticket_detail",
                                                          args=[ticket_a.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(("who", "expected"), sorted(TICKET_A_VISIBLE.items()))
def test_device_history_scope(cast, tickets, who, expected):
    ticket_a, _ticket_b = tickets
    response = client_for(getattr(cast, who)).get(reverse("faults:device_history",
                                                          args=[ticket_a.device_id]))
    assert response.status_code == expected
    if expected == 200:
        assert response.content.count(b'data-testid="history-ticket"') == 1


@pytest.mark.parametrize(("who", "seen"), [
    ("admin_bkd", {"a", "b"}), ("operator_bkd", {"a", "b"}), ("operator_a", {"a"}),
    ("operator_b", {"b"}), ("outsider", set()),
])
def test_board_lists_scoped_tickets(cast, tickets, who, seen):
    ids = {"a": tickets[0].pk, "b": tickets[1].pk}
    response = client_for(getattr(cast, who)).get(reverse("faults:board"))

    assert response.status_code == 200
    listed = {name for name, pk in ids.items()
              if f'data-ticket="{pk}"'.encode() in response.content}
    assert listed == seen


def test_board_htmx_filters_unit(cast, tickets):
    response = client_for(cast.admin_bkd).get(reverse("faults:board"), {"unit": "UPT-B"},
                                              HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert f'data-ticket="{tickets[1].pk}"'.encode() in response.content
    assert f'data-ticket="{tickets[0].pk}"'.encode() not in response.content


@pytest.mark.parametrize(("when", "state"), [("2026-05-12 13:40", "on_time"),
                                             ("2026-05-12 13:41", "response_overdue")])
def test_board_response_target(cast, tickets, monkeypatch, when, state):
    # Default response target: 240 minutes after the tickets opened at 09:40.
    monkeypatch.setattr("django.utils.timezone.now", lambda: wita(when))

    response = client_for(cast.admin_bkd).get(reverse("faults:board"))

    assert [row.sla for row in response.context["rows"]] == [state, state]


@pytest.mark.parametrize(("who", "expected"), [
    ("operator_bkd", 302), ("admin_bkd", 302), ("operator_a", 403), ("verifier_a", 403),
    ("operator_b", 404), ("outsider", 404),
])
def test_transition_roles(cast, tickets, who, expected):
    ticket_a, _ticket_b = tickets
    response = client_for(getattr(cast, who)).post(
        reverse("faults:ticket_transition", args=[ticket_a.pk]), {"to_status": "ack"})

    assert response.status_code == expected
    ticket_a.refresh_from_db()
    moved = FaultStatus.ACKNOWLEDGED if expected == 302 else FaultStatus.REPORTED
    assert ticket_a.status == moved


def test_transition_out_of_order_rejected(cast, tickets):
    ticket_a, _ticket_b = tickets
    client = client_for(cast.operator_bkd)

    response = client.post(reverse("faults:ticket_transition", args=[ticket_a.pk]),
                           {"to_status": "resolved"}, follow=True)

    ticket_a.refresh_from_db()
    assert ticket_a.status == FaultStatus.REPORTED
    assert f"#{ticket_a.pk}".encode() in response.content


def test_unit_reports_fault_with_photo(cast, device, media, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: wita("2026-05-12 10:30"))
    photo = SimpleUploadedFile("mesin.png", png_bytes(), content_type="image/png")

    response = client_for(cast.operator_a).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "Sensor sidik jari tidak menyala",
        "stated_started_at": "2026-05-12T09:00", "photo": photo,
    })

    assert response.status_code == 302
    ticket = FaultTicket.objects.get()
    assert ticket.origin == "unit"
    assert ticket.failure_start_source == "stated"
    assert ticket.failure_started_at == wita("2026-05-12 09:00")
    assert ticket.late_report is True
    assert ticket.photo.name.endswith(".png")
    assert ticket.outages.get().start == wita("2026-05-12 09:00")


def test_report_within_hour_not_late(cast, device, media, monkeypatch):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 10:29"))
    monkeypatch.setattr("django.utils.timezone.now", lambda: wita("2026-05-12 10:30"))

    client_for(cast.operator_a).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "Sensor mati",
        "stated_started_at": "2026-05-12T09:31",
    })

    assert FaultTicket.objects.get().late_report is False


def test_report_without_start_rejected(cast, device, monkeypatch):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 10:29"))
    monkeypatch.setattr("django.utils.timezone.now", lambda: wita("2026-05-12 10:30"))

    response = client_for(cast.operator_a).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "Sensor mati"})

    assert response.status_code == 200
    assert FaultTicket.objects.count() == 0
    assert device.serial in " ".join(response.context["form"].non_field_errors())


@pytest.mark.parametrize(("who", "expected"), [("employee_a", 403), ("verifier_a", 403)])
def test_report_needs_operator(cast, device, who, expected):
    response = client_for(getattr(cast, who)).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "x"})

    assert response.status_code == expected
    assert FaultTicket.objects.count() == 0


def test_operator_b_cannot_report_device_a(cast, device):
    response = client_for(cast.operator_b).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "x",
        "stated_started_at": "2026-05-12T09:00"})

    assert response.status_code == 200  # the form rejects a device outside the scope
    assert FaultTicket.objects.count() == 0


def enter_presence(client, ticket, lines: str):
    scan = SimpleUploadedFile("absen.pdf", b"%PDF-1.4", content_type="application/pdf")
    return client.post(reverse("faults:presence_enter", args=[ticket.pk]), {
        "day": "2026-05-12", "lines": lines, "evidence": scan, "reason": "Daftar hadir manual"})


def test_presence_entry_and_decision_roles(cast, tickets, media, django_capture_on_commit_callbacks):
    ticket_a, _ticket_b = tickets
    operator = client_for(cast.operator_a)

    assert enter_presence(client_for(cast.operator_b), ticket_a, "x").status_code == 404
    response = enter_presence(operator, ticket_a, f"{cast.staff_a2.nip},10:00,in")
    assert response.status_code == 302
    batch = ManualPresenceBatch.objects.get()
    url = reverse("faults:presence_decide", args=[batch.pk])

    assert client_for(cast.operator_a).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(cast.operator_b).post(url, {"decision": "approve"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(cast.verifier_a).post(url, {"decision": "approve"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "approved"
    assert batch.upload.source == "manual"


def test_presence_form_names_bad_values(cast, tickets, media):
    ticket_a, _ticket_b = tickets

    response = enter_presence(client_for(cast.operator_a), ticket_a,
                              f"{cast.staff_a2.nip},25:00,in\n{cast.staff_a1.nip},10:00,maybe")

    assert response.status_code == 200
    assert b"25:00" in response.content
    assert b"maybe" in response.content
    assert ManualPresenceBatch.objects.count() == 0


def test_presence_unknown_nip_rejected(cast, tickets, media):
    ticket_a, _ticket_b = tickets

    response = enter_presence(client_for(cast.operator_a), ticket_a,
                              f"{cast.person_b.nip},10:00,in")

    assert response.status_code == 200
    assert cast.person_b.nip.encode() in response.content
    assert ManualPresenceBatch.objects.count() == 0


def test_monthly_report_counts(cast, tickets, media):
    from sao.faults.services import fault_report, fault_transition

    ticket_a, _ticket_b = tickets
    fault_report(device=ticket_a.device, actor=cast.operator_a, cause="network",
                 description="Router", now=wita("2026-05-12 09:45"))
    fault_transition(ticket=ticket_a, to_status="ack", actor=cast.operator_bkd,
                     now=wita("2026-05-12 10:10"))
    fault_transition(ticket=ticket_a, to_status="resolved", actor=cast.operator_bkd,
                     now=wita("2026-05-12 12:10"))

    response = client_for(cast.admin_bkd).get(reverse("faults:monthly_report"),
                                              {"month": "2026-05"})

    rows = {row.unit_name: row for row in response.context["rows"]}
    assert rows["UPT A"].tickets == 1
    assert rows["UPT A"].unit_reports == 1
    assert rows["UPT A"].reports_within_hour == 1
    assert rows["UPT A"].mean_response_minutes == 30.0
    assert rows["UPT A"].mean_repair_minutes == 120.0
    assert rows["UPT B"].unit_reports == 0
    assert rows["UPT B"].mean_response_minutes is None

    scoped = client_for(cast.operator_b).get(reverse("faults:monthly_report"), {"month": "2026-05"})
    assert [row.unit_name for row in scoped.context["rows"]] == ["UPT B"]


def test_monthly_report_other_month_empty(cast, tickets):
    response = client_for(cast.admin_bkd).get(reverse("faults:monthly_report"),
                                              {"month": "2026-06"})
    assert response.context["rows"] == []


def test_unit_tickets_page_scoped(cast, tickets):
    response = client_for(cast.operator_a).get(reverse("faults:unit_tickets"))

    assert response.content.count(b'data-testid="ticket-row"') == 1
    assert f'data-ticket="{tickets[0].pk}"'.encode() in response.content


def test_photo_served_inside_scope(cast, device, media, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: wita("2026-05-12 10:30"))
    content = png_bytes()
    client_for(cast.operator_a).post(reverse("faults:unit_tickets"), {
        "device": device.pk, "cause": "sensor", "description": "Sensor mati",
        "stated_started_at": "2026-05-12T10:00",
        "photo": SimpleUploadedFile("mesin.png", content, content_type="image/png")})
    ticket = FaultTicket.objects.get()
    url = reverse("faults:ticket_photo", args=[ticket.pk])

    response = client_for(cast.operator_bkd).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert client_for(cast.operator_b).get(url).status_code == 404
    detail = client_for(cast.operator_a).get(reverse("faults:ticket_detail", args=[ticket.pk]))
    assert url.encode() in detail.content


def test_evidence_served_inside_scope(cast, tickets, media):
    ticket_a, _ticket_b = tickets
    enter_presence(client_for(cast.operator_a), ticket_a, f"{cast.staff_a2.nip},10:00,in")
    batch = ManualPresenceBatch.objects.get()
    url = reverse("faults:presence_evidence", args=[batch.pk])

    response = client_for(cast.verifier_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert client_for(cast.operator_b).get(url).status_code == 404
