"""Helpers for the push tests: reading shared payloads and talking HTTP to /iclock/."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from tests.conftest import shared_fixture

BODY_MARKER = b"#### BODY (byte-exact below this line) ####\n"
WITA = dt.timezone(dt.timedelta(hours=8))


def device_payload(name: str) -> bytes:
    """Return the byte-exact body of a file in fixtures/devices/."""
    raw = shared_fixture(f"devices/{name}").read_bytes()
    return raw.split(BODY_MARKER, 1)[1]


def case_bytes(name: str) -> bytes:
    return shared_fixture(f"cases/{name}").read_bytes()


def http_request(name: str) -> tuple[str, str, bytes]:
    """Split a `.http` case file into method, path with query, and body bytes.

    The headers end at the first blank line (CRLF CRLF); the body follows byte-exact.
    """
    raw = case_bytes(name)
    head, _sep, body = raw.partition(b"\r\n\r\n")
    request_line = head.split(b"\r\n", 1)[0].decode()
    method, target, _version = request_line.split(" ")
    return method, target, body


def device_client() -> Client:
    # Devices send no cookies and no CSRF token; enforce CSRF checks to prove the exemption.
    return Client(enforce_csrf_checks=True)


def post_body(client: Client, path: str, body: bytes):
    return client.post(path, data=body, content_type="text/plain")


def freeze_now(monkeypatch, moment: dt.datetime) -> None:
    """Make django.utils.timezone.now return a fixed aware moment."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def active_device(serial: str, unit, **fields):
    from sao.devices.models import Device, DeviceStatus

    return Device.objects.create(serial=serial, unit=unit, status=DeviceStatus.ACTIVE, **fields)
