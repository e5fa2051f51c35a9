"""Fault notices through sao.notify: stored in the transaction, handed to the gateway after commit."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from sao.devices.models import Device
from sao.faults.models import FaultTicket
from sao.faults.services import fault_transition, faults_check
from sao.notify.models import OutboundMessage, OutboundStatus

from .helpers import wita

pytestmark = pytest.mark.django_db


class ProviderStub(BaseHTTPRequestHandler):
    """An SMS/WhatsApp provider endpoint on loopback that records each POST."""

    received: list = []
    status = 200

    def do_POST(self):  # http.server fixes this method name
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    ProviderStub.received = []
    ProviderStub.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProviderStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SAO_NOTIFY = {"gateway": "http",
                           "http_url": f"http://127.0.0.1:{server.server_port}/send"}
    yield ProviderStub
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def email_gateway(settings):
    settings.SAO_NOTIFY = {"gateway": "email"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def addresses(cast):
    """E-mail addresses for the operators of units A and B and for BKD's operator."""
    for user, email in ((cast.operator_a, "op-a@upt-a.example"),
                        (cast.operator_b, "op-b@upt-b.example"),
                        (cast.operator_bkd, "bkd@bkd.example")):
        user.email = email
        user.save(update_fields=["email"])


@pytest.fixture
def ticket(device, django_capture_on_commit_callbacks):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 09:10"))
    with django_capture_on_commit_callbacks(execute=False):
        opened = faults_check(now=wita("2026-05-12 09:40")).opened
    OutboundMessage.objects.all().delete()
    return FaultTicket.objects.get(pk=opened[0])


def acknowledge(cast, ticket, capture, *, execute: bool):
    with capture(execute=execute) as callbacks:
        fault_transition(ticket=ticket, to_status="ack", actor=cast.operator_bkd,
                         now=wita("2026-05-12 10:00"), note="Teknisi berangkat")
    return callbacks


def test_email_sent_after_commit(cast, ticket, addresses, email_gateway,
                                 django_capture_on_commit_callbacks):
    callbacks = acknowledge(cast, ticket, django_capture_on_commit_callbacks, execute=False)
    assert mail.outbox == []
    assert OutboundMessage.objects.filter(status=OutboundStatus.PENDING).count() == 2

    for callback in callbacks:
        callback()

    assert sorted(email.to[0] for email in mail.outbox) == ["bkd@bkd.example",
                                                            "op-a@upt-a.example"]
    for email in mail.outbox:
        assert f"#{ticket.pk}" in email.subject
        assert "Teknisi berangkat" in email.body
    statuses = set(OutboundMessage.objects.values_list("topic", "status"))
    assert statuses == {("fault.status", OutboundStatus.SENT)}


def test_text_in_recipient_language(cast, ticket, addresses, email_gateway,
                                    django_capture_on_commit_callbacks):
    cast.operator_a.language = "en"
    cast.operator_a.save(update_fields=["language"])
    cast.operator_bkd.language = "id"
    cast.operator_bkd.save(update_fields=["language"])

    acknowledge(cast, ticket, django_capture_on_commit_callbacks, execute=True)

    texts = dict(OutboundMessage.objects.values_list("recipient", "text"))
    assert texts["op-a@upt-a.example"].startswith(f"[SAO] Device fault #{ticket.pk}: ")
    assert not texts["bkd@bkd.example"].startswith("[SAO] Device fault")


def test_sms_to_phone_email_fallback(cast, ticket, addresses, provider,
                                     django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast.staff_a1.phone = "081234500001"
    cast.staff_a1.save(update_fields=["phone"])
    cast.operator_a.employee = cast.staff_a1
    cast.operator_a.save(update_fields=["employee"])

    acknowledge(cast, ticket, django_capture_on_commit_callbacks, execute=True)

    [body] = provider.received
    assert body["to"] == "081234500001"
    assert f"#{ticket.pk}" in body["text"]
    # BKD's operator has no employee record, so no phone: the notice goes by e-mail.
    [email] = mail.outbox
    assert email.to == ["bkd@bkd.example"]
    routes = set(OutboundMessage.objects.values_list("gateway", "recipient", "status"))
    assert routes == {("http", "081234500001", OutboundStatus.SENT),
                      ("email", "bkd@bkd.example", OutboundStatus.SENT)}


def test_gateway_failure_keeps_change(cast, ticket, provider, django_capture_on_commit_callbacks):
    cast.staff_a1.phone = "081234500001"
    cast.staff_a1.save(update_fields=["phone"])
    cast.operator_a.employee = cast.staff_a1
    cast.operator_a.save(update_fields=["employee"])
    provider.status = 500

    acknowledge(cast, ticket, django_capture_on_commit_callbacks, execute=True)

    ticket.refresh_from_db()
    assert ticket.status == "ack"
    message = OutboundMessage.objects.get()
    assert message.status == OutboundStatus.FAILED
    assert "500" in message.error


def test_rollback_sends_nothing(cast, ticket, addresses, email_gateway,
                                django_capture_on_commit_callbacks):
    from django.db import transaction

    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        fault_transition(ticket=ticket, to_status="ack", actor=cast.operator_bkd,
                         now=wita("2026-05-12 10:00"))
        raise RuntimeError("undo")

    assert mail.outbox == []
    assert not OutboundMessage.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == "reported"


def test_detection_notifies_unit_and_bkd(cast, device, addresses, email_gateway,
                                         django_capture_on_commit_callbacks):
    Device.objects.filter(pk=device.pk).update(last_contact_at=wita("2026-05-12 09:10"))

    with django_capture_on_commit_callbacks(execute=True):
        faults_check(now=wita("2026-05-12 09:40"))

    assert sorted(email.to[0] for email in mail.outbox) == ["bkd@bkd.example",
                                                            "op-a@upt-a.example"]
    assert set(OutboundMessage.objects.values_list("topic", flat=True)) == {"fault.detected"}
