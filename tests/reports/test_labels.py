"""Stored codes shown as translated labels on screens, XLSX and PDF; CSV keeps the codes."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from sao.attendance.models import DailyResult
from sao.core import labels
from sao.devices.models import Device, QuarantinedRecord, RawUpload

pytestmark = pytest.mark.django_db


def cells(html: str) -> list[str]:
    """Return the text of every table cell of a page, tags stripped."""
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


@pytest.fixture
def needs_check(week):
    """Ani's Monday as a day that needs verification, beside her present Tuesday."""
    DailyResult.objects.filter(employee=week.punctual, date="2026-06-01").update(
        status="PERLU_VERIFIKASI", flags=["MISSING_CHECK_OUT"]
    )
    return week


def test_daily_screen_shows_indonesian_labels(client, needs_check):
    client.force_login(needs_check.operator_a)

    monday = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"}).content.decode()
    tuesday = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-02"}).content.decode()

    assert "Perlu verifikasi" in cells(monday)
    assert "PERLU_VERIFIKASI" not in monday
    assert "MISSING_CHECK_OUT" not in monday
    assert "Hadir" in cells(tuesday)
    assert "HADIR" not in tuesday
    # Budi has no punch: TK keeps its short code inside the label.
    assert "Tanpa keterangan (TK)" in cells(tuesday)


def test_daily_screen_in_english(client, needs_check):
    needs_check.operator_a.language = "en"
    needs_check.operator_a.save(update_fields=["language"])
    client.force_login(needs_check.operator_a)

    monday = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01"}).content.decode()

    assert "Needs verification" in cells(monday)
    assert "Missing check-out" in cells(monday)


def test_late_code_label_keeps_code(client, week):
    client.force_login(week.operator_a)

    thursday = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-04"}).content.decode()

    assert "Terlambat (TL1)" in cells(thursday)


def test_daily_csv_keeps_codes(client, needs_check):
    client.force_login(needs_check.operator_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    ani = next(row for row in rows if row[3] == "Ani Tepat")
    assert ani[6] == "PERLU_VERIFIKASI"
    assert ani[13] == "MISSING_CHECK_OUT"


def test_daily_xlsx_shows_labels(client, needs_check):
    client.force_login(needs_check.operator_a)

    response = client.get("/reports/daily/", {"unit": "UPT-A", "date": "2026-06-01", "format": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[3] == "Ani Tepat"]
    assert values[0][6] == "Perlu verifikasi"
    assert values[0][13] == "Presensi pulang tidak ada"


def test_recap_screen_short_forms_with_titles(client, week):
    client.force_login(week.operator_a)

    text = client.get("/reports/recap/", {"unit": "UPT-A", "month": "2026-06"}).content.decode()

    ani = text[text.index(week.punctual.nip) :]
    first_cell = re.search(r'<td class="text-center" data-testid="recap-day"[^>]*>', ani).group(0)
    assert 'data-code="HADIR"' in first_cell
    assert 'title="Hadir"' in first_cell
    assert 'data-testid="recap-legend"' in text
    assert "H = Hadir" in text


def test_my_month_shows_label(client, week):
    client.force_login(week.employee_user)

    text = client.get("/reports/me/2026/6/").content.decode()

    badges = re.findall(r'data-testid="day-status" data-code="(\w+)">([^<]+)<', text)
    assert ("HADIR", "Hadir") in badges
    assert ("TK", "Tanpa keterangan (TK)") in badges


def test_discipline_level_label():
    known = labels.code_label("discipline_level", "RINGAN")
    unknown = labels.code_label("discipline_level", "NEW_LEVEL")

    assert known == "Ringan"
    assert unknown == "NEW_LEVEL"


def test_absence_code_label_from_type_name():
    labels.forget_absence_type_names()

    label = labels.status_label("CT")

    assert label == "Cuti tahunan (CT)"


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="Unknown code kind 'colour'"):
        labels.code_label("colour", "RED")


def test_device_quarantine_shows_reason_label(client, week):
    device = Device.objects.get(serial="CQZ-A")
    upload = RawUpload.objects.filter(device=device).first()
    QuarantinedRecord.objects.create(
        upload=upload, device=device, line=9, raw="\t2026-06-01 07:00:00", code="empty_pin", message="x"
    )
    client.force_login(week.admin)

    text = client.get(f"/devices/{device.pk}/").content.decode()

    row = text[text.index('data-testid="quarantine-row"') :]
    assert "PIN kosong" in row[:400]


def test_discipline_report_level_label_and_code(client, week):
    # Ani's Monday and Tuesday become TK too: three TK days in 2026 reach the light level.
    DailyResult.objects.filter(employee=week.punctual, date__in=["2026-06-01", "2026-06-02"]).update(
        status="TK", check_in=None, check_out=None
    )
    client.force_login(week.operator_a)

    screen = client.get("/reports/discipline/", {"unit": "UPT-A", "year": "2026"}).content.decode()
    response = client.get("/reports/discipline/", {"unit": "UPT-A", "year": "2026", "format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    ani = next(row for row in rows if row[1] == "Ani Tepat")
    assert ani[5:7] == ["RINGAN", "TEGURAN_LISAN"]
    assert "Ringan" in cells(screen)
    assert "RINGAN" not in screen
