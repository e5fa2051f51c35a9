"""The employee's own month for a day with a check-in only: open window and closed window."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.reports.conftest import LATER, ingest

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
MONDAY = dt.date(2026, 6, 8)


def day_item(page: str, day: dt.date) -> str:
    """Return the list item of one date on the "Presensi saya" page."""
    match = re.search(rf'<li [^>]*data-date="{day.isoformat()}">(.*?)</li>', page, re.S)
    assert match, f"no list item for {day}"
    return match.group(1)


def test_my_month_check_in_only(client, week):
    from sao.attendance.compute import recompute

    ingest(unit=week.unit_a, employee=week.punctual, pin="101", serial="CQZ-A",
           times=["2026-06-08 07:31:00"])
    client.force_login(week.employee_user)

    recompute(start=MONDAY, end=MONDAY, unit=week.province,
              now=dt.datetime(2026, 6, 8, 8, 16, tzinfo=WITA))
    open_item = day_item(client.get("/reports/me/2026/6/").content.decode(), MONDAY)
    recompute(start=MONDAY, end=MONDAY, unit=week.province, now=LATER)
    closed_item = day_item(client.get("/reports/me/2026/6/").content.decode(), MONDAY)

    assert 'data-code="BELUM_FINAL"' in open_item
    assert "PSW" not in open_item
    assert "None" not in open_item
    assert 'data-code="TIDAK_LENGKAP"' in closed_item
    assert "(PSW4)" in closed_item
    assert "None" not in closed_item
