"""Shared pieces of the master-data importers: row errors and reading CSV or XLSX files."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass
class RowError:
    """One rejected row: its line in the file, the column, the offending value and the fix."""

    line: int
    column: str
    value: str
    message: str
    code: str

    def __str__(self) -> str:
        return _("line %(line)s, column %(column)s: %(message)s") % {
            "line": self.line, "column": self.column or "-", "message": self.message,
        }


@dataclass
class ImportFileError(Exception):
    """The whole file is unusable (wrong format, missing header columns)."""

    message: str
    code: str
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


@dataclass
class Sheet:
    """A table read from CSV or XLSX: normalised header names and rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, dict[str, object]]]


def normalise_header(name: object) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    for row in reader:
        yield reader.line_num, row


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        logger.warning("unreadable XLSX upload: %s", exc)
        raise ImportFileError(
            _("The file is not a readable XLSX workbook; save it again from Excel as .xlsx or "
              "export it as CSV."),
            code="xlsx_unreadable",
        ) from exc
    sheet = book.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, list(row)
    book.close()


def read_sheet(data: bytes, *, filename: str, required: list[str]) -> Sheet:
    """Read a CSV or XLSX upload into a Sheet, checking that the required columns exist."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx" or data[:4] == b"PK\x03\x04":
        lines = _xlsx_rows(data)
    elif suffix in (".csv", ".txt", ""):
        if b"\x00" in data[:65536]:
            raise ImportFileError(
                _("File %(name)s is not a text file (it contains binary data); export the data "
                  "again as CSV or XLSX.") % {"name": filename},
                code="file_unreadable",
            )
        lines = _csv_rows(data)
    else:
        raise ImportFileError(
            _("File type %(suffix)s is not supported; upload a .csv or .xlsx file.")
            % {"suffix": suffix},
            code="file_type",
        )

    header: list[str] | None = None
    rows: list[tuple[int, dict[str, object]]] = []
    try:
        for line, values in lines:
            if all(value is None or str(value).strip() == "" for value in values):
                continue
            if header is None:
                header = [normalise_header(value) for value in values]
                continue
            record = {
                name: values[index] if index < len(values) else None
                for index, name in enumerate(header) if name
            }
            rows.append((line, record))
    except csv.Error as exc:
        raise ImportFileError(
            _("File %(name)s is not a readable CSV file (%(error)s); export the data again as "
              "CSV or XLSX.") % {"name": filename, "error": exc},
            code="file_unreadable",
        ) from exc

    if header is None:
        raise ImportFileError(_("The file is empty."), code="empty")
    named = [name for name in header if name]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise ImportFileError(
            _("The header names the columns %(names)s more than once; keep one column of each.")
            % {"names": ", ".join(repeated)},
            code="duplicate_columns",
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFileError(
            _("The header lacks the columns %(missing)s; the first row must name the columns.")
            % {"missing": ", ".join(missing)},
            code="missing_columns",
        )
    return Sheet(header=header, rows=rows)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()
