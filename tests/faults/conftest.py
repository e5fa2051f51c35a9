from __future__ import annotations

import datetime as dt

import pytest

from .helpers import SERIAL, PushDevice


@pytest.fixture(autouse=True)
def recompute_calls(monkeypatch):
    """Record recompute enqueues instead of writing to the shared Huey queue file."""
    calls = []
    monkeypatch.setattr("sao.attendance.dirty.enqueue_recompute", lambda: calls.append(1))
    monkeypatch.setattr("sao.faults.services.enqueue_recompute", lambda: calls.append(1))
    return calls


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def device(cast):
    """An active push device of unit A, with staff_a1, staff_a2 and other_a mapped to it."""
    from sao.devices.models import Device, DeviceStatus, PinMapping

    device = Device.objects.create(serial=SERIAL, unit=cast.unit_a, status=DeviceStatus.ACTIVE,
                                   time_zone="Asia/Makassar", realtime=True)
    for pin, employee in (("101", cast.staff_a1), ("102", cast.staff_a2), ("103", cast.other_a)):
        PinMapping.objects.create(device=device, pin=pin, employee=employee,
                                  valid_from=dt.date(2026, 1, 1))
    return device


@pytest.fixture
def push(monkeypatch, device):
    return PushDevice(monkeypatch, serial=device.serial)
