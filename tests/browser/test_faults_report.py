"""A unit operator reports a device fault through the real form, with a photo, in a browser."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from sao.devices.models import Device, DeviceStatus
from sao.faults.models import FaultStartSource, FaultTicket
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def device(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cast.operator_a.language = "en"
    cast.operator_a.save(update_fields=["language"])
    return Device.objects.create(serial="RPTA00000001", unit=cast.unit_a,
                                 status=DeviceStatus.ACTIVE, time_zone="Asia/Makassar")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "mesin-rusak.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)
    return path


def report(page, device, *, minutes_ago: int, photo) -> dt.datetime:
    """Fill and send the report form; return the stated start, to the minute."""
    started = (timezone.now().astimezone(WITA) - dt.timedelta(minutes=minutes_ago)).replace(
        second=0, microsecond=0)
    page.goto("/faults/unit/")
    form = page.get_by_test_id("report-form")
    form.locator("#id_device").select_option(label=str(device))
    form.locator("#id_cause").select_option("sensor")
    form.locator("#id_description").fill("Sensor sidik jari tidak membaca")
    form.locator("#id_stated_started_at").fill(started.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_photo").set_input_files(str(photo))
    form.get_by_role("button", name="Report fault").click()
    return started


def test_report_over_an_hour_flagged_late(page, cast, device, photo):
    log_in(page, "opa")

    started = report(page, device, minutes_ago=90, photo=photo)

    expect(page.get_by_test_id("late")).to_have_text("Late (over 1 hour)")
    ticket = FaultTicket.objects.get()
    expect(page).to_have_url(f"{page.url.split('/faults/')[0]}/faults/{ticket.pk}/")
    assert ticket.device == device
    assert ticket.reported_by == cast.operator_a
    assert ticket.reported_cause == "sensor"
    assert ticket.failure_started_at == started
    assert ticket.failure_start_source == FaultStartSource.STATED
    assert ticket.late_report is True
    assert ticket.report_delay > dt.timedelta(hours=1)
    assert ticket.photo.name.endswith(".png")
    with ticket.photo.open("rb") as stored:
        assert stored.read() == photo.read_bytes()

    page.get_by_role("link", name="Photo").click()
    expect(page).to_have_url(f"{page.url.split('/faults/')[0]}/faults/{ticket.pk}/photo/")


def test_report_within_hour_not_late(page, cast, device, photo):
    log_in(page, "opa")

    report(page, device, minutes_ago=40, photo=photo)

    expect(page.get_by_test_id("status")).to_have_text("Reported")
    expect(page.get_by_test_id("late")).to_have_count(0)
    assert FaultTicket.objects.get().late_report is False


def test_report_future_start_names_time(page, cast, device, photo):
    log_in(page, "opa")

    started = report(page, device, minutes_ago=-120, photo=photo)

    form = page.get_by_test_id("report-form")
    expect(form.locator(".alert-danger")).to_contain_text(started.strftime("%Y-%m-%dT%H:%M"))
    assert not FaultTicket.objects.exists()
