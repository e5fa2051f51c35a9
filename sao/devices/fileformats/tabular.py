"""Parsers for punch tables: the ZK desktop software CSV export and Excel workbooks.

Both are read by header name. A table needs a PIN column and either one date-time column
or a date column plus a time column. A state column is optional: without one, state is 255
("no state key"). Spreadsheets carry no verify mode, so verify is 0 ("any method").
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from sao.devices.fileformats.base import FileFormat, FileRejected, ParsedFile, RejectCode
from sao.devices.fileformats.dates import (
    DateOrderRequired,
    InvalidDate,
    excel_serial_to_datetime,
    parse_text_datetime,
)
from sao.devices.records import PunchRecord, RejectedLine

PIN_HEADERS = {"pin", "no.", "no", "ac-no.", "ac-no", "userid", "user id", "user_id", "id", "enroll number"}
DATETIME_HEADERS = {"date/time", "datetime", "waktu", "checktime", "check time", "time stamp", "timestamp",
                    "tanggal/jam", "scan", "scan date"}
DATE_HEADERS = {"date", "tanggal", "tgl"}
TIME_HEADERS = {"time", "jam"}
STATE_HEADERS = {"status", "state", "checktype", "check type", "punch", "in/out", "keterangan"}
MACHINE_HEADERS = {"location id", "machine", "machine no.", "mesin", "terminal"}

# Labels the ZK desktop software and ZK-style exports write in the state column.
STATE_LABELS = {
    "c/in": 0, "i": 0, "in": 0, "check in": 0, "masuk": 0, "0": 0,
    "c/out": 1, "o": 1, "out": 1, "check out": 1, "pulang": 1, "1": 1,
    "out back": 3, "break in": 3, "kembali": 3, "3": 3,
    "break out": 2, "istirahat": 2, "2": 2,
    "overtime in": 4, "ot-in": 4, "lembur": 4, "4": 4,
    "overtime out": 5, "ot-out": 5, "pulang lembur": 5, "5": 5,
    "255": 255, "": 255,
}


def _header_key(value: object) -> str:
    return str(value or "").strip().lstrip("\ufeff").strip().lower()


def _find_columns(header: list[object]) -> dict[str, int] | None:
    """Map the roles pin/datetime/date/time/state/machine to column indexes, or None."""
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        for role, names in (("pin", PIN_HEADERS), ("datetime", DATETIME_HEADERS),
                            ("date", DATE_HEADERS), ("time", TIME_HEADERS),
                            ("state", STATE_HEADERS), ("machine", MACHINE_HEADERS)):
            if key in names and role not in columns:
                columns[role] = index
    if "pin" not in columns:
        return None
    if "datetime" not in columns and not ("date" in columns and "time" in columns):
        if "date" in columns:
            columns["datetime"] = columns.pop("date")
        elif "time" in columns:
            columns["datetime"] = columns.pop("time")
        else:
            return None
    return columns


def _pin_text(value: object, number_format: str) -> str:
    """Return a PIN cell as text, restoring leading zeros that a `0000` number format shows."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        zeros = number_format.strip() if number_format else ""
        if zeros and set(zeros) == {"0"}:
            text = text.zfill(len(zeros))
        return text
    return str(value).strip()


def _cell_datetime(value: object, *, date_order: str | None, warnings: list[str], number: int
                   ) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, int | float) and not isinstance(value, bool):
        result = excel_serial_to_datetime(float(value))
        warnings.append(
            _("Line %(line)s: the number %(value)s was read as an Excel date serial, %(result)s; "
              "format the column as a date to avoid the guess.")
            % {"line": number, "value": value, "result": result.isoformat(sep=" ")})
        return result
    return parse_text_datetime(str(value), date_order=date_order)


def _combine(date_value: object, time_value: object, *, date_order: str | None, warnings: list[str],
             number: int) -> dt.datetime:
    day = _cell_datetime(date_value, date_order=date_order, warnings=warnings, number=number)
    if isinstance(time_value, dt.time):
        return dt.datetime.combine(day.date(), time_value.replace(microsecond=0))
    if isinstance(time_value, dt.datetime):
        return dt.datetime.combine(day.date(), time_value.time().replace(microsecond=0))
    if isinstance(time_value, int | float) and not isinstance(time_value, bool):
        return day + dt.timedelta(seconds=round(float(time_value) % 1 * 86400))
    text = "{} {}".format(day.date().isoformat(), str(time_value or "").strip())
    return parse_text_datetime(text, date_order=date_order)


def _state(value: object) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return STATE_LABELS.get(str(value or "").strip().lower())


def parse_table(rows: Iterator[tuple[int, list[object], list[str]]], *, file_format: str,
                date_order: str | None, serial: str = "") -> ParsedFile:
    """Parse table rows `(line number, values, number formats)` whose first non-empty row is the header."""
    parsed = ParsedFile(file_format=file_format, serial=serial)
    columns: dict[str, int] | None = None
    ambiguous_lines: list[int] = []

    for number, values, formats in rows:
        parsed.line_count = number
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        if columns is None:
            columns = _find_columns(values)
            if columns is None:
                raise FileRejected(
                    _("Line %(line)s must be a header with a PIN column (PIN, No., USERID) and a time "
                      "column (Date/Time, Waktu, CHECKTIME, or Date plus Time); found %(found)s.")
                    % {"line": number, "found": ", ".join(str(value) for value in values if value)},
                    code="header_missing")
            parsed.framing_lines.append(number)
            continue

        raw = "\t".join("" if value is None else str(value) for value in values)

        def cell(role: str, values=values, columns=columns) -> object:
            index = columns.get(role)
            return values[index] if index is not None and index < len(values) else None

        pin_index = columns["pin"]
        pin = _pin_text(cell("pin"), formats[pin_index] if pin_index < len(formats) else "")
        if not pin:
            parsed.rejected.append(RejectedLine(
                line=number, raw=raw, code=RejectCode.EMPTY_PIN,
                message=_("Line %(line)s has an empty PIN.") % {"line": number}))
            continue

        try:
            if "date" in columns and "time" in columns and "datetime" not in columns:
                local_time = _combine(cell("date"), cell("time"), date_order=date_order,
                                      warnings=parsed.warnings, number=number)
            else:
                local_time = _cell_datetime(cell("datetime"), date_order=date_order,
                                            warnings=parsed.warnings, number=number)
        except DateOrderRequired:
            ambiguous_lines.append(number)
            continue
        except InvalidDate:
            parsed.rejected.append(RejectedLine(
                line=number, raw=raw, code=RejectCode.INVALID_DATE,
                message=_("Line %(line)s: %(value)s is not a real calendar date.")
                % {"line": number, "value": cell("datetime") or cell("date")}))
            continue
        except ValueError:
            parsed.rejected.append(RejectedLine(
                line=number, raw=raw, code=RejectCode.BAD_TIME,
                message=_("Line %(line)s: %(value)r is not a date and time.")
                % {"line": number, "value": cell("datetime") or cell("date")}))
            continue

        state = _state(cell("state")) if "state" in columns else 255
        if state is None:
            parsed.warnings.append(
                _("Line %(line)s: state %(value)r is not a known label; stored as 255 (no state).")
                % {"line": number, "value": cell("state")})
            state = 255
        machine = cell("machine")
        if machine not in (None, ""):
            with contextlib.suppress(ValueError):
                parsed.machine_numbers[int(float(str(machine)))] += 1

        parsed.records.append(PunchRecord(
            pin=pin, local_time=local_time, state=state, verify=0, workcode=0,
            line=number, raw=raw, device_serial=serial))

    if columns is None:
        raise FileRejected(_("The file contains no rows."), code="empty_file")
    if ambiguous_lines:
        raise FileRejected(
            _("%(count)s dates such as the one on line %(line)s can be read as day/month or "
              "month/day; choose the date order of the file (dmy, mdy or ymd) and import again.")
            % {"count": len(ambiguous_lines), "line": ambiguous_lines[0]},
            code="date_order_required")
    return parsed


def csv_rows(data: bytes) -> Iterator[tuple[int, list[object], list[str]]]:
    """Yield CSV rows (BOM stripped, UTF-8 or Windows-1252) with their physical line numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    start = 1
    for row in reader:
        yield start, list(row), []
        start = reader.line_num + 1


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[object], list[str]]]:
    """Yield the first sheet's rows with the cells' number formats (for zero-padded PINs)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise FileRejected(
            _("The file is not a readable XLSX workbook (%(error)s); save it again from Excel as "
              ".xlsx or export it as CSV.") % {"error": exc},
            code="xlsx_unreadable") from exc
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(), start=1):
            values = [cell.value for cell in row]
            formats = [getattr(cell, "number_format", "") or "" for cell in row]
            yield number, values, formats
    finally:
        book.close()


def parse_zkcsv(data: bytes, *, date_order: str | None, serial: str = "") -> ParsedFile:
    return parse_table(csv_rows(data), file_format=FileFormat.ZKCSV, date_order=date_order, serial=serial)


def parse_xlsx(data: bytes, *, date_order: str | None, serial: str = "") -> ParsedFile:
    return parse_table(xlsx_rows(data), file_format=FileFormat.XLSX, date_order=date_order, serial=serial)
