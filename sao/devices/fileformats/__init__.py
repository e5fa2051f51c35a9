"""Punch file formats: detect the layout of an uploaded file and parse it into PunchRecords.

`parse_file` is pure: bytes in, ParsedFile out. Storing the bytes and ingesting the records
is the job of `sao.devices.files`.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from django.utils.translation import gettext as _

from sao.devices.fileformats.attlog import decode_lines, parse_usb_attlog
from sao.devices.fileformats.base import FileFormat, FileRejected, ParsedFile, RejectCode
from sao.devices.fileformats.dates import DateOrder
from sao.devices.fileformats.tabular import parse_xlsx, parse_zkcsv
from sao.devices.iclock import parse_attlog

__all__ = [
    "DateOrder", "FileFormat", "FileRejected", "ParsedFile", "RejectCode",
    "detect_format", "parse_file", "source_from_filename",
]

ATTLOG_FILENAME = re.compile(r"^(?P<source>[A-Za-z0-9]+)_attlog\.(dat|txt)$", re.IGNORECASE)


def source_from_filename(filename: str) -> tuple[str, int | None]:
    """Return (serial, machine number) named by `<SN>_attlog.dat` or `<no>_attlog.dat`.

    ZK machine numbers are 1 to 254, so a name of one to three digits is a machine number.
    """
    match = ATTLOG_FILENAME.match(PurePath(filename).name)
    if match is None:
        return "", None
    source = match["source"]
    if source.isdigit() and len(source) <= 3:
        return "", int(source)
    return source, None


def detect_format(data: bytes, *, filename: str = "") -> str:
    """Guess the layout from the bytes: XLSX by its ZIP signature, CSV by commas, else the
    USB layout when the third column is the machine number (the sixth contains the workcode)."""
    if data[:4] == b"PK\x03\x04":
        return FileFormat.XLSX

    lines = [line for line in decode_lines(data[:65536])[:50] if line.strip()]
    tabbed = [line.split("\t") for line in lines if "\t" in line]
    if not tabbed:
        if (lines and "," in lines[0]) or filename.lower().endswith(".csv"):
            return FileFormat.ZKCSV
        raise FileRejected(
            _("The file is neither an attlog (TAB-separated), a CSV export nor an XLSX workbook; "
              "choose the format explicitly."),
            code="format_unknown")

    # USB lines start with a space-padded PIN and have exactly 6 columns, while push lines are not padded.
    padded = sum(1 for fields in tabbed if fields[0].startswith(" "))
    six = sum(1 for fields in tabbed if len(fields) == 6)
    name_is_usb = bool(ATTLOG_FILENAME.match(PurePath(filename).name)) and filename.lower().endswith(".dat")
    if padded * 2 > len(tabbed) or (name_is_usb and six * 2 > len(tabbed)):
        return FileFormat.USB
    return FileFormat.PUSH


def parse_file(data: bytes, *, filename: str = "", file_format: str = FileFormat.AUTO,
               date_order: str | None = None, serial: str = "") -> ParsedFile:
    """Parse a punch file. Raises FileRejected when the file as a whole is unusable."""
    if file_format == FileFormat.AUTO:
        file_format = detect_format(data, filename=filename)

    if file_format == FileFormat.USB:
        return parse_usb_attlog(data, serial=serial)
    if file_format == FileFormat.PUSH:
        records, rejected = parse_attlog(data)
        line_count = len(data.rstrip(b"\r\n").split(b"\n")) if data.strip() else 0
        return ParsedFile(file_format=FileFormat.PUSH, serial=serial, records=records,
                          rejected=rejected, line_count=line_count)
    if file_format == FileFormat.ZKCSV:
        return parse_zkcsv(data, date_order=date_order, serial=serial)
    if file_format == FileFormat.XLSX:
        return parse_xlsx(data, date_order=date_order, serial=serial)
    raise FileRejected(_("Unknown file format %(format)s; use one of %(choices)s.")
                       % {"format": file_format, "choices": ", ".join(FileFormat.values)},
                       code="format_unknown")
