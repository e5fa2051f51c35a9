"""The report screens in Chromium: each role logs in, reads numbers that match the database and
downloads an export. With SAO_SCREENSHOTS=1 the main screens are saved to docs/screenshots/."""

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sao.attendance.models import DailyResult
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def save_screenshot(page, name: str) -> None:
    if os.environ.get("SAO_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_admin_dashboard_matches_database(page, week):
    log_in(page, "admin")

    page.goto("/reports/dashboard/?month=2026-06&rate=physical")

    expect(page.locator("#chart-agencies")).to_be_visible()
    page.locator("details summary").first.click()
    table = page.get_by_test_id("agencies-table")
    scheduled = DailyResult.objects.filter(
        unit__path__startswith=week.agency_a.path, is_working_day=True
    ).count()
    expect(table.locator("tr[data-unit='OPD-A'] td").nth(2)).to_have_text(str(scheduled))
    # The numbers follow the user's locale: Indonesian writes 57,14.
    expect(table.locator("tr[data-unit='OPD-A'] [data-testid=rate-value]")).to_have_text(
        re.compile(r"^57[.,]14$")
    )
    expect(table.locator("tr[data-unit='OPD-B'] [data-testid=rate-value]")).to_have_text(
        re.compile(r"^100[.,]00$")
    )
    # The chart that Chart.js drew contains the same numbers as the table.
    assert page.evaluate("() => Chart.getChart('chart-agencies').data.datasets[0].data") == [100.0, 57.14]
    save_screenshot(page, "dashboard")


def test_operator_recap_and_download(page, week):
    log_in(page, "opa")

    page.goto("/reports/recap/?unit=UPT-A&month=2026-06")

    row = page.locator(f"tr[data-nip='{week.punctual.nip}']")
    expect(row.locator("[data-total=present]")).to_have_text("3")
    expect(row.locator("[data-total=tk]")).to_have_text("1")
    save_screenshot(page, "recap")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-csv").click()
    path = download_info.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["nip", "name"]
    assert {row[1] for row in rows[1:]} == {"Ani Tepat", "Budi Cuti", "Citra Belajar", "Dedi Baru"}


def test_operator_daily_list(page, week):
    log_in(page, "opa")

    page.goto("/reports/daily/?unit=UPT-A&date=2026-06-04")

    table = page.get_by_test_id("report-table")
    expect(table.locator("tbody tr")).to_have_count(
        DailyResult.objects.filter(unit=week.unit_a, date=dt.date(2026, 6, 4)).count()
    )
    expect(table).to_contain_text("TL1")
    save_screenshot(page, "daily")


def test_daily_list_shows_labels_not_codes(page, week):
    DailyResult.objects.filter(employee=week.punctual, date="2026-06-01").update(
        status="PERLU_VERIFIKASI", flags=["MISSING_CHECK_OUT"]
    )
    log_in(page, "opa")

    page.goto("/reports/daily/?unit=UPT-A&date=2026-06-01")

    table = page.get_by_test_id("report-table")
    ani = table.locator("tbody tr", has_text="Ani Tepat")
    expect(ani).to_contain_text("Perlu verifikasi")
    expect(ani).to_contain_text("Presensi pulang tidak ada")
    expect(table).not_to_contain_text("PERLU_VERIFIKASI")
    expect(table).not_to_contain_text("MISSING_CHECK_OUT")
    budi = table.locator("tbody tr", has_text="Budi Cuti")
    expect(budi).to_contain_text("Tanpa keterangan (TK)")


def test_recap_day_tooltip_and_legend(page, week):
    log_in(page, "opa")

    page.goto("/reports/recap/?unit=UPT-A&month=2026-06")

    first_day = page.locator(f"tr[data-nip='{week.punctual.nip}'] [data-testid=recap-day]").first
    expect(first_day).to_have_text("H")
    expect(first_day).to_have_attribute("title", "Hadir")
    expect(page.get_by_test_id("recap-legend")).to_contain_text("TK = Tanpa keterangan (TK)")


def test_employee_month_on_phone(page, week):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "ani")

    page.goto("/reports/me/2026/6/")

    day = page.locator("li[data-date='2026-06-04']")
    expect(day.get_by_test_id("day-status")).to_have_text("Hadir")
    expect(day).to_contain_text("07:45")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    save_screenshot(page, "my-month")


def test_rates_report_screen(page, week):
    log_in(page, "admin")

    page.goto("/reports/rates/?start=2026-06-01&end=2026-06-07")

    expect(page.get_by_test_id("report-table")).to_contain_text(re.compile(r"72[.,]73"))
    expect(page.get_by_test_id("report-notes")).to_be_visible()
    save_screenshot(page, "rates")
