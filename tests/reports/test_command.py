"""`sao report`: the same files as the screens, written by the command."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_daily_csv_file(week, tmp_path):
    output = tmp_path / "daily.csv"
    stdout = StringIO()

    call_command(
        "report",
        "daily",
        "--unit",
        "UPT-A",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-07",
        "--format",
        "csv",
        "-o",
        str(output),
        stdout=stdout,
    )

    rows = list(csv.reader(output.open(encoding="utf-8")))
    assert rows[0][:4] == ["unit_code", "nip", "pin", "name"]
    assert len(rows) == 1 + 13  # Ani 7 days, Budi 3, Dedi 3
    assert "13 baris" in stdout.getvalue()


def test_recap_xlsx_file(week, tmp_path):
    output = tmp_path / "recap.xlsx"

    call_command(
        "report",
        "recap",
        "--unit",
        "OPD-A",
        "--month",
        "2026-06",
        "--format",
        "xlsx",
        "-o",
        str(output),
        stdout=StringIO(),
    )

    rows = list(load_workbook(output, read_only=True).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[4:8]] == ["Ani Tepat", "Budi Cuti", "Citra Belajar", "Dedi Baru"]


def test_rates_pdf_file(week, tmp_path):
    output = tmp_path / "rates.pdf"

    call_command("report", "rates", "--year", "2026", "--format", "pdf", "-o", str(output), stdout=StringIO())

    assert output.read_bytes().startswith(b"%PDF")


def test_tpp_csv_file(week, tmp_path):
    output = tmp_path / "tpp.csv"

    call_command(
        "report", "tpp", "--unit", "UPT-A", "--month", "2026-06", "-o", str(output), stdout=StringIO()
    )

    rows = {row[1]: row for row in csv.reader(output.open(encoding="utf-8"))}
    assert rows["Ani Tepat"][6] == "3.50"


def test_unknown_unit_message(week, tmp_path):
    with pytest.raises(CommandError, match="NOPE"):
        call_command(
            "report", "daily", "--unit", "NOPE", "--from", "2026-06-01", "-o", str(tmp_path / "x.csv")
        )


def test_invalid_month_message(week, tmp_path):
    with pytest.raises(CommandError, match="2026-6-1"):
        call_command(
            "report", "recap", "--unit", "UPT-A", "--month", "2026-6-1", "-o", str(tmp_path / "x.csv")
        )


def test_recap_pdf_keeps_every_column(week, tmp_path):
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not found; install Debian's poppler-utils to read the PDF")
    output = tmp_path / "recap.pdf"

    call_command("report", "recap", "--unit", "UPT-A", "--month", "2026-06", "--format", "pdf",
                 "-o", str(output), stdout=StringIO())

    text = subprocess.run(["pdftotext", "-layout", str(output), "-"], capture_output=True,
                          text=True, check=True).stdout
    # Ani's row of day statuses: present (H) on the 1st and TK on the 5th of June 2026. The PDF
    # prints the short forms, never the stored codes.
    assert "HADIR" not in text
    row = next(line for line in text.splitlines() if " H " in line and " TK " in line)
    trailing_numbers = []
    for token in reversed(row.split()):
        if not token.isdigit():
            break
        trailing_numbers.append(token)
    # Every total column (scheduled, present, TL, PSW, TK, duty, leave, no result) is printed.
    assert len(trailing_numbers) == 8
