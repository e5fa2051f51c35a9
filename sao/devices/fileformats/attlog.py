"""Parser of the USB attlog.dat layout, which differs from the push ATTLOG layout.

USB export (`<machine no>_attlog.dat` or `<SN>_attlog.dat`, CRLF):
    PIN (right-aligned, space-padded) TAB time TAB machine no TAB state TAB verify TAB workcode
Push ATTLOG has no machine number: PIN, time, state, verify, workcode. Reading one layout
with the other's column map turns every machine number into a state, so each has its own
parser (push files use `sao.devices.iclock.parse_attlog`, the parser of the push endpoint).

Some firmware frames the USB file with the device serial on line 1 and an 8-hex-digit
checksum on the last line. Both are recognised as framing and never counted as records or
errors. Fields are split on TAB only, because padded PINs contain spaces.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from sao.devices.fileformats.base import FileFormat, ParsedFile, RejectCode
from sao.devices.records import PunchRecord, RejectedLine

SERIAL_HEADER = re.compile(r"^[A-Za-z0-9]{6,24}$")
CHECKSUM_TRAILER = re.compile(r"^[0-9A-Fa-f]{8}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
# An 8-hex-digit line can also be a torn record, so a trailer is accepted only on the last line.
# NOTE: the trailer's checksum algorithm is not published; it is recognised but not verified.


def decode_lines(data: bytes) -> list[str]:
    """Split bytes on LF (dropping a CR before it) and decode as UTF-8, per line latin-1 if not."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        lines = []
        for raw in data.split(b"\n"):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("latin-1"))
    else:
        lines = text.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _parse_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if not ISO_DATE.match(text):
        return None
    return dt.datetime.fromisoformat(text)


def _int_field(fields: list[str], index: int, default: int) -> int:
    if index >= len(fields) or fields[index].strip() == "":
        return default
    return int(fields[index])


def _reject(parsed: ParsedFile, number: int, raw: str, code: str, message: str) -> None:
    parsed.rejected.append(RejectedLine(line=number, raw=raw, code=code, message=message))


def _check_time(parsed: ParsedFile, number: int, raw: str, text: str) -> dt.datetime | None:
    try:
        value = _parse_time(text)
    except ValueError:
        _reject(parsed, number, raw, RejectCode.INVALID_DATE,
                _("Line %(line)s: %(value)s is not a real calendar date; the device clock or the "
                  "file is damaged, so the line is kept for review.") % {"line": number, "value": text})
        return None
    if value is None:
        _reject(parsed, number, raw, RejectCode.BAD_TIME,
                _("Line %(line)s: time %(value)r is not in the form YYYY-MM-DD HH:MM:SS.")
                % {"line": number, "value": text})
    return value


def parse_usb_attlog(data: bytes, *, serial: str = "") -> ParsedFile:
    """Parse a USB attlog.dat; `serial` is the device chosen by the user, if any."""
    parsed = ParsedFile(file_format=FileFormat.USB, serial=serial)
    lines = decode_lines(data)
    last_data_index = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    parsed.line_count = last_data_index + 1
    min_fields = 6

    for index in range(last_data_index + 1):
        raw = lines[index]
        number = index + 1
        if not raw.strip():
            continue

        if "\t" not in raw and raw == raw.strip():
            if index == 0 and SERIAL_HEADER.match(raw):
                parsed.serial = parsed.serial or raw
                parsed.framing_lines.append(number)
                if serial and raw != serial:
                    parsed.warnings.append(
                        _("The file header names device %(header)s but the import is for device "
                          "%(serial)s; the punches are stored under %(serial)s.")
                        % {"header": raw, "serial": serial})
                continue
            if index == last_data_index and CHECKSUM_TRAILER.match(raw):
                parsed.framing_lines.append(number)
                continue

        fields = raw.split("\t")
        if len(fields) < min_fields:
            _reject(parsed, number, raw, RejectCode.TOO_FEW_COLUMNS,
                    _("Line %(line)s has %(count)s of the %(expected)s TAB-separated columns; the "
                      "record is torn or the file uses another layout.")
                    % {"line": number, "count": len(fields), "expected": min_fields})
            continue

        pin = fields[0].strip()
        if not pin:
            _reject(parsed, number, raw, RejectCode.EMPTY_PIN,
                    _("Line %(line)s has an empty PIN; the device wrote a record without a user.")
                    % {"line": number})
            continue

        local_time = _check_time(parsed, number, raw, fields[1])
        if local_time is None:
            continue

        try:
            machine = _int_field(fields, 2, 0)
            state = _int_field(fields, 3, 255)
            verify = _int_field(fields, 4, 0)
            workcode = _int_field(fields, 5, 0)
        except ValueError:
            _reject(parsed, number, raw, RejectCode.BAD_NUMBER,
                    _("Line %(line)s: state, verify mode and machine number must be whole numbers.")
                    % {"line": number})
            continue

        parsed.machine_numbers[machine] += 1
        parsed.records.append(PunchRecord(
            pin=pin, local_time=local_time, state=state, verify=verify, workcode=workcode,
            line=number, raw=raw, device_serial=parsed.serial,
        ))

    return parsed

