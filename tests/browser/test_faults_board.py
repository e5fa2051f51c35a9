"""BKD's fault board in a real browser: open tickets with their age and SLA state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from django.utils.timesince import timesince
from playwright.sync_api import expect

from sao.devices.models import Device, DeviceStatus
from sao.faults.models import FaultCause, FaultStatus, FaultTicket
from sao.faults.selectors import SlaState, sla_state, targets_on
from sao.faults.services import fault_detect, fault_transition
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLA_TEXT = {SlaState.ON_TIME: "On time", SlaState.RESPONSE_OVERDUE: "Response overdue",
            SlaState.REPAIR_OVERDUE: "Repair overdue"}


def make_device(serial: str, unit) -> Device:
    return Device.objects.create(serial=serial, unit=unit, status=DeviceStatus.ACTIVE,
                                 time_zone="Asia/Makassar")


def detect(device: Device, *, hours_ago: float, cause=FaultCause.SILENT) -> FaultTicket:
    opened = timezone.now() - dt.timedelta(hours=hours_ago)
    return fault_detect(device=device, cause=cause, failure_started_at=opened,
                        now=opened, detail="test")


@pytest.fixture
def tickets(cast):
    """Three open tickets of different ages and SLA states, and one closed ticket."""
    cast.operator_bkd.language = "en"
    cast.operator_bkd.save(update_fields=["language"])
    device_a = make_device("BRDA00000001", cast.unit_a)
    device_b = make_device("BRDB00000001", cast.unit_b)

    # Opened 5 h 10 min ago and never acknowledged: past the 240-minute response target.
    overdue = detect(device_a, hours_ago=5 + 10 / 60)
    # Acknowledged 3 days ago: past the 4,320-minute repair target.
    in_repair = detect(device_b, hours_ago=74)
    fault_transition(ticket=in_repair, to_status=FaultStatus.ACKNOWLEDGED, actor=cast.operator_bkd,
                     now=timezone.now() - dt.timedelta(hours=73))
    # Opened 50 minutes ago: on time.
    recent = detect(device_a, hours_ago=50 / 60, cause=FaultCause.LOG_FULL)
    closed = detect(device_b, hours_ago=30, cause=FaultCause.CLOCK)
    fault_transition(ticket=closed, to_status=FaultStatus.ACKNOWLEDGED, actor=cast.operator_bkd,
                     now=timezone.now() - dt.timedelta(hours=29))
    fault_transition(ticket=closed, to_status=FaultStatus.RESOLVED, actor=cast.operator_bkd,
                     now=timezone.now() - dt.timedelta(hours=28))
    return {"overdue": overdue, "in_repair": in_repair, "recent": recent, "closed": closed}


def test_board_rows_match_database(page, cast, tickets):
    log_in(page, "opbkd")
    page.goto("/faults/")

    rows = page.get_by_test_id("board-row")
    now = timezone.now()
    expected = list(FaultTicket.objects.filter(status__in=("reported", "ack", "repair"))
                    .order_by("opened_at", "id"))
    assert [ticket.pk for ticket in expected] == [tickets["in_repair"].pk, tickets["overdue"].pk,
                                                  tickets["recent"].pk]
    expect(rows).to_have_count(len(expected))
    for index, ticket in enumerate(expected):
        row = rows.nth(index)
        expect(row).to_have_attribute("data-ticket", str(ticket.pk))
        expect(row).to_contain_text(ticket.device.serial)
        expect(row).to_contain_text(ticket.unit.name)
        state = sla_state(ticket, now=now, targets=targets_on(ticket.opened_at.date()))
        expect(row.get_by_test_id("sla")).to_have_text(SLA_TEXT[state])
        with translation.override("en"):
            # The largest unit of the age, e.g. "3 days" or "5 hours", is stable for minutes.
            age = timesince(ticket.opened_at, now).split(",")[0]
        expect(row).to_contain_text(age)

    expect(rows.nth(0).get_by_test_id("sla")).to_have_text("Repair overdue")
    expect(rows.nth(1).get_by_test_id("sla")).to_have_text("Response overdue")
    expect(rows.nth(2).get_by_test_id("sla")).to_have_text("On time")
    expect(rows.nth(1)).to_contain_text("5 hours")


def test_board_unit_filter(page, cast, tickets):
    log_in(page, "opbkd")
    page.goto("/faults/")
    expect(page.get_by_test_id("board-row")).to_have_count(3)

    page.select_option("#board-unit", "UPT-B")

    rows = page.get_by_test_id("board-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", str(tickets["in_repair"].pk))


def test_board_hides_other_units_from_operator(page, cast, tickets):
    cast.operator_a.language = "en"
    cast.operator_a.save(update_fields=["language"])
    log_in(page, "opa")

    page.goto("/faults/")

    rows = page.get_by_test_id("board-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#board-rows")).not_to_contain_text("BRDB00000001")
