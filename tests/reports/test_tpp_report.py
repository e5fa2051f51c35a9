"""The TPP report in rupiah: deduction per employee and totals per unit, on every format.

Under the test policy's table (whole TPP as base) Ani loses 3.50% in June 2026 (TL1 0.5% + one TK
day 3%) and Budi 6.00% (two TK days); Dedi has no deduction.
"""

import csv
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from sao.org.services import employee_tpp_set

pytestmark = pytest.mark.django_db

JUNE = dt.date(2026, 6, 1)


@pytest.fixture
def amounts(week):
    """Ani Rp 5,250,000 and Budi Rp 4,333,333 from June; Dedi has no amount."""
    employee_tpp_set(employee=week.punctual, amount=Decimal(5_000_000), valid_from=dt.date(2026, 1, 1))
    employee_tpp_set(employee=week.punctual, amount=Decimal(5_250_000), valid_from=JUNE)
    # A raise from mid-June applies from July: a month uses the amount in force on its first day.
    employee_tpp_set(employee=week.punctual, amount=Decimal(9_999_999), valid_from=dt.date(2026, 6, 15))
    employee_tpp_set(employee=week.on_cltn, amount=Decimal(4_333_333), valid_from=JUNE)
    return week


def csv_rows(client, **params) -> list[list[str]]:
    response = client.get("/reports/tpp/", {"unit": "UPT-A", "month": "2026-06", "format": "csv", **params})
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_tpp_csv_rupiah_per_employee(client, amounts):
    client.force_login(amounts.operator_a)

    rows = csv_rows(client)

    assert rows[0][7:9] == ["tpp_amount", "deduction_amount"]
    by_name = {row[1]: row for row in rows[1:]}
    # 5,250,000 × 3.5% = 183,750; 4,333,333 × 6% = 259,999.98, rounded half up to 260,000.
    assert by_name["Ani Tepat"][7:9] == ["5250000", "183750"]
    assert by_name["Budi Cuti"][7:9] == ["4333333", "260000"]
    assert by_name["Dedi Baru"][7:9] == ["", ""]


def test_tpp_csv_unit_and_report_totals(client, amounts):
    client.force_login(amounts.operator_a)

    rows = csv_rows(client)

    unit_total = next(row for row in rows if row[1] == "unit_total")
    grand_total = rows[-1]
    assert unit_total[2] == "UPT-A"
    assert unit_total[7:10] == ["9583333", "443750", "2"]
    assert grand_total[1] == "total"
    assert grand_total[7:10] == ["9583333", "443750", "2"]


def test_tpp_totals_per_unit_of_agency(client, amounts):
    employee_tpp_set(employee=amounts.steady, amount=Decimal(3_000_000), valid_from=JUNE)
    client.force_login(amounts.admin)

    rows = csv_rows(client, unit="PROV")

    totals = {row[2]: row[7:10] for row in rows if row[1] == "unit_total"}
    # Eka was on time every day: no deduction.
    assert totals == {"UPT-A": ["9583333", "443750", "2"], "UPT-B": ["3000000", "0", "1"]}
    assert rows[-1][7:10] == ["12583333", "443750", "3"]


def test_tpp_screen_formats_rupiah(client, amounts):
    client.force_login(amounts.operator_a)

    text = client.get("/reports/tpp/", {"unit": "UPT-A", "month": "2026-06"}).content.decode()

    assert "<td>183.750</td>" in text
    assert "<td>5.250.000</td>" in text
    assert "Jumlah UPT A" in text
    assert "<td>443.750</td>" in text
    assert "dibulatkan ke rupiah utuh" in text


def test_tpp_xlsx_amounts_are_numbers(client, amounts):
    client.force_login(amounts.operator_a)

    response = client.get("/reports/tpp/", {"unit": "UPT-A", "month": "2026-06", "format": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    ani = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "Ani Tepat")
    assert ani[7:9] == (5250000, 183750)
    total = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "Jumlah UPT A")
    assert total[7:9] == (9583333, 443750)


def test_tpp_pdf_shows_rupiah(client, amounts, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not found; install Debian's poppler-utils to read the PDF")
    client.force_login(amounts.operator_a)

    response = client.get("/reports/tpp/", {"unit": "UPT-A", "month": "2026-06", "format": "pdf"})

    path = tmp_path / "tpp.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    text = text.decode()
    assert "183.750" in text
    assert "443.750" in text


def test_tpp_amount_from_earlier_month(client, week):
    employee_tpp_set(employee=week.punctual, amount=Decimal(2_000_000), valid_from=dt.date(2025, 1, 1))
    client.force_login(week.operator_a)

    rows = csv_rows(client)

    ani = next(row for row in rows if row[1] == "Ani Tepat")
    # 2,000,000 × 3.5% = 70,000.
    assert ani[7:9] == ["2000000", "70000"]


def test_example_table_is_announced(cast):
    """The seeded Kaltim policy deducts by an example table, and the report states it first."""
    from sao.reports.tables import tpp_table

    table = tpp_table(user=cast.admin_bkd, unit=cast.unit_a, month=JUNE)

    assert "CONTOH-KEMENDAGRI" in str(table.notes[0])
    assert all("CONTOH-KEMENDAGRI" not in str(note) for note in table.notes[1:])


def test_test_policy_table_is_not_announced(client, amounts):
    from sao.reports.tables import tpp_table

    table = tpp_table(user=amounts.operator_a, unit=amounts.unit_a, month=JUNE)

    assert all("CONTOH" not in str(note) for note in table.notes)
