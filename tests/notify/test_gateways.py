"""Outbound notifications after commit through the HTTP gateway adapter and e-mail."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from sao.absences.models import AbsenceType
from sao.absences.services import absence_request_create
from sao.notify.models import OutboundMessage, OutboundStatus

pytestmark = pytest.mark.django_db


class ProviderStub(BaseHTTPRequestHandler):
    """A provider endpoint on loopback that records each POST and responds with `status`."""

    received: list = []
    status = 200

    def do_POST(self):  # http.server fixes this method name
        length = int(self.headers["Content-Length"])
        type(self).received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
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
    settings.SAO_NOTIFY = {
        "gateway": "http",
        "http_url": f"http://127.0.0.1:{server.server_port}/send",
        "http_token": "token-123",
    }
    yield ProviderStub
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def enter_request(cast):
    return absence_request_create(
        employee=cast.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 14),
        actor=cast.operator_a,
        reference="ST-8/A",
    )


def test_http_gateway_after_commit(cast, provider, django_capture_on_commit_callbacks):
    cast.head_a.phone = "081200000002"
    cast.head_a.save(update_fields=["phone"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = enter_request(cast)
    assert provider.received == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    [(authorization, body)] = provider.received
    assert authorization == "Bearer token-123"
    assert body["to"] == "081200000002"
    assert request.code in body["text"]
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT


def test_http_gateway_error_recorded(cast, provider, django_capture_on_commit_callbacks):
    cast.head_a.phone = "081200000002"
    cast.head_a.save(update_fields=["phone"])
    provider.status = 500

    with django_capture_on_commit_callbacks(execute=True):
        enter_request(cast)

    message = OutboundMessage.objects.get()
    assert message.status == OutboundStatus.FAILED
    assert "500" in message.error


def test_missing_phone_recorded(cast, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enter_request(cast)

    assert provider.received == []
    assert OutboundMessage.objects.get().status == OutboundStatus.FAILED


def test_email_gateway(cast, settings, django_capture_on_commit_callbacks):
    settings.SAO_NOTIFY = {"gateway": "email"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast.head_a.email = "kepala.a@example.go.id"
    cast.head_a.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        request = enter_request(cast)

    [email] = mail.outbox
    assert email.to == ["kepala.a@example.go.id"]
    assert request.code in email.body
    assert OutboundMessage.objects.get().status == OutboundStatus.SENT
