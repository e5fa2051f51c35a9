"""The monthly fault report in a real browser shows the per-unit figures of the database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from sao.devices.models import Device, DeviceStatus
from sao.faults.models import FaultCause, FaultStatus
from sao.faults.selectors import monthly_report
from sao.faults.services import fault_detect, fault_report, fault_transition
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WITA = ZoneInfo("Asia/Makassar")


def wita(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=WITA)


@pytest.fixture
def month_tickets(cast, settings, tmp_path):
    """May 2026: unit A has two tickets (one report within the hour, one late), unit B one."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cast.operator_bkd.language = "en"
    cast.operator_bkd.save(update_fields=["language"])
    device_a = Device.objects.create(serial="MONA00000001", unit=cast.unit_a,
                                     status=DeviceStatus.ACTIVE, time_zone="Asia/Makassar")
    device_b = Device.objects.create(serial="MONB00000001", unit=cast.unit_b,
                                     status=DeviceStatus.ACTIVE, time_zone="Asia/Makassar")

    # Unit A, ticket 1: detected 09:40, reported 10:05 (55 min after 09:10), acknowledged after
    # 30 min, resolved 120 min later.
    first = fault_detect(device=device_a, cause=FaultCause.SILENT,
                         failure_started_at=wita("2026-05-12 09:10"),
                         now=wita("2026-05-12 09:40"), detail="silent")
    fault_report(device=device_a, actor=cast.operator_a, cause="network", description="router",
                 now=wita("2026-05-12 10:05"))
    fault_transition(ticket=first, to_status=FaultStatus.ACKNOWLEDGED, actor=cast.operator_bkd,
                     now=wita("2026-05-12 10:10"))
    fault_transition(ticket=first, to_status=FaultStatus.RESOLVED, actor=cast.operator_bkd,
                     now=wita("2026-05-12 12:10"))

    # Unit A, ticket 2: a sensor reported 3 hours after it broke, acknowledged after 90 min,
    # replaced 300 min later.
    second = fault_report(device=device_a, actor=cast.operator_a, cause="sensor",
                          description="sensor", now=wita("2026-05-20 11:00"),
                          stated_started_at=wita("2026-05-20 08:00"))
    fault_transition(ticket=second, to_status=FaultStatus.ACKNOWLEDGED, actor=cast.operator_bkd,
                     now=wita("2026-05-20 12:30"))
    fault_transition(ticket=second, to_status=FaultStatus.REPLACED, actor=cast.operator_bkd,
                     now=wita("2026-05-20 17:30"))

    # Unit B: detected, never reported by the unit, still open.
    fault_detect(device=device_b, cause=FaultCause.SILENT,
                 failure_started_at=wita("2026-05-25 08:00"), now=wita("2026-05-25 08:30"),
                 detail="silent")
    # Another month: must not count in May.
    fault_detect(device=device_b, cause=FaultCause.LOG_FULL,
                 failure_started_at=wita("2026-06-01 08:00"), now=wita("2026-06-01 08:00"),
                 detail="full")


def cells(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def test_monthly_report_matches_database(page, cast, month_tickets):
    log_in(page, "opbkd")
    page.goto("/faults/report/")

    page.fill("#month", "2026-05")
    page.get_by_role("button", name="Show").click()

    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(2)
    table_rows = [cells(rows.nth(index)) for index in range(2)]
    assert table_rows[0] == ["UPT A", "2", "2", "1", "60.0", "210.0"]
    assert table_rows[1] == ["UPT B", "1", "0", "0", "-", "-"]

    figures = monthly_report(user=cast.operator_bkd, start=wita("2026-05-01 00:00"),
                             end=wita("2026-06-01 00:00"))
    from_database = [[row.unit_name, str(row.tickets), str(row.unit_reports),
                      str(row.reports_within_hour),
                      "-" if row.mean_response_minutes is None else str(row.mean_response_minutes),
                      "-" if row.mean_repair_minutes is None else str(row.mean_repair_minutes)]
                     for row in figures]
    assert table_rows == from_database


def test_monthly_report_scoped_to_operator(page, cast, month_tickets):
    cast.operator_a.language = "en"
    cast.operator_a.save(update_fields=["language"])
    log_in(page, "opa")

    page.goto("/faults/report/?month=2026-05")

    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(1)
    assert cells(rows.first)[0] == "UPT A"
