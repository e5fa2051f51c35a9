"""Writers of a report table as CSV, XLSX (XlsxWriter in constant-memory mode) and PDF (WeasyPrint)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class ReportTable:
    """One report ready to write: a title, column headers, rows of plain values and notes.

    `csv_header` gives machine-readable column names for CSV; the on-screen `header` is used
    when it is empty. `notes` carry the formulas printed under the table.
    """

    slug: str
    title: str
    subtitle: str
    header: list[str]
    rows: Iterable[Sequence]
    csv_header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unit: object | None = None  # the Unit named in the PDF letterhead
    landscape: bool = False
    # Returns the number of rows without reading them (one COUNT query), for progress bars.
    count_rows: Callable[[], int] | None = None
    # The daily results behind a results list, so a screen reads one page of them, not every row.
    results: QuerySet | None = None

    def filename(self, file_format: str) -> str:
        return f"{self.slug}.{file_format}"


@dataclass(frozen=True)
class Coded:
    """A stored code with its translated label: CSV writes the code, the screen, XLSX and PDF the label.

    `description` is a longer label, shown on screen as the cell's tooltip where the label is short.
    """

    code: str
    label: str
    description: str = ""

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Rupiah:
    """An amount in whole rupiah: a plain number in CSV and XLSX, "5.250.000" on screen and in PDF."""

    amount: int

    def __str__(self) -> str:
        return f"{self.amount:,}".replace(",", ".")


def _plain(value):
    """Return the machine-readable text of a cell, for CSV."""
    if isinstance(value, Coded):
        return value.code
    if isinstance(value, Rupiah):
        return value.amount
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return value


def _shown(value):
    """Return the text people read in a cell, for XLSX and PDF: a code becomes its label."""
    if isinstance(value, Coded | Rupiah):
        return str(value)
    return _plain(value)


class _Echo:
    """A file-like object whose write returns the line, for StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def csv_lines(table: ReportTable) -> Iterator[str]:
    """Yield the CSV text line by line, header first, so large reports stream."""
    writer = csv.writer(_Echo())
    yield writer.writerow(table.csv_header or table.header)
    for row in table.rows:
        yield writer.writerow([_plain(value) for value in row])


def write_csv(table: ReportTable, stream) -> int:
    """Write the CSV to a text stream and return the number of data rows."""
    lines = 0
    for line in csv_lines(table):
        stream.write(line)
        lines += 1
    return lines - 1


# Rows of one worksheet: the XLSX limit is 1,048,576, and the first four rows hold the title,
# the subtitle, a blank row and the header. Longer reports continue on further sheets.
SHEET_DATA_ROWS = 1_048_576 - 4 - 1


def _start_sheet(workbook, table: ReportTable, number: int, bold):
    name = table.slug[:28] if number == 1 else f"{table.slug[:24]}-{number}"
    sheet = workbook.add_worksheet(name)
    sheet.write(0, 0, table.title, bold)
    sheet.write(1, 0, table.subtitle)
    sheet.write_row(3, 0, table.header, bold)
    return sheet


def _write_cell(sheet, row_number: int, column: int, value, number_format, rupiah_format) -> None:
    if isinstance(value, Rupiah):
        sheet.write_number(row_number, column, value.amount, rupiah_format)
    elif isinstance(value, Decimal):
        sheet.write_number(row_number, column, float(value), number_format)
    elif isinstance(value, bool) or value is None:
        sheet.write_string(row_number, column, "" if value is None else str(value))
    elif isinstance(value, int | float):
        sheet.write_number(row_number, column, value)
    else:
        sheet.write_string(row_number, column, str(_shown(value)))


def write_xlsx(table: ReportTable, target, *, sheet_rows: int = SHEET_DATA_ROWS) -> int:
    """Write an XLSX workbook to a path or binary stream, row by row, and return the row count.

    XlsxWriter's constant_memory mode flushes each finished row to a temporary file, so memory stays
    flat however many rows there are. That mode needs rows in order, which is how they are written here.
    A report longer than `sheet_rows` continues on a second sheet, and so on, with the header repeated.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    bold = workbook.add_format({"bold": True})
    number_format = workbook.add_format({"num_format": "0.00"})
    rupiah_format = workbook.add_format({"num_format": "#,##0"})
    sheets = 1
    sheet = _start_sheet(workbook, table, sheets, bold)

    count = 0
    row_number = 4
    for row in table.rows:
        if row_number - 4 == sheet_rows:
            sheets += 1
            sheet = _start_sheet(workbook, table, sheets, bold)
            row_number = 4
        for column, value in enumerate(row):
            _write_cell(sheet, row_number, column, value, number_format, rupiah_format)
        row_number += 1
        count += 1

    row_number += 1
    for note in table.notes:
        sheet.write_string(row_number, 0, str(note))
        row_number += 1
    workbook.close()
    return count


def xlsx_bytes(table: ReportTable) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(table, buffer)
    return buffer.getvalue()


def pdf_bytes(table: ReportTable, *, signatory, printed_on: dt.date) -> bytes:
    """Render the table in the letter template (letterhead, table, formulas, signature) as PDF."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(
        "reports/pdf.html",
        {
            "table": table,
            "rows": [[_shown(value) for value in row] for row in table.rows],
            "signatory": signatory,
            "printed_on": printed_on,
        },
    )
    return HTML(string=html).write_pdf()


def write_file(
    table: ReportTable, *, file_format: str, path, signatory=None, printed_on: dt.date | None = None
) -> int:
    """Write the table to `path` in the given format and return the number of data rows."""
    if file_format == "csv":
        with open(path, "w", encoding="utf-8", newline="") as stream:
            return write_csv(table, stream)
    if file_format == "xlsx":
        return write_xlsx(table, str(path))
    if file_format == "pdf":
        # The PDF is laid out from the whole table at once, so the rows are read (and counted) first.
        table.rows = list(table.rows)
        with open(path, "wb") as stream:
            stream.write(pdf_bytes(table, signatory=signatory, printed_on=printed_on or dt.date.today()))
        return len(table.rows)
    raise ValueError(f"Unknown format {file_format!r}; use csv, xlsx or pdf.")
