"""The result every file parser returns, and the reason codes of rejected lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from sao.devices.records import PunchRecord, RejectedLine


class FileFormat(TextChoices):
    AUTO = "auto", _("Detect from the content")
    USB = "usb", _("USB attlog.dat (PIN, time, machine number, state, verify, workcode)")
    PUSH = "push", _("Push ATTLOG lines (PIN, time, state, verify, workcode)")
    ZKCSV = "zkcsv", _("ZK desktop software CSV export")
    XLSX = "xlsx", _("Excel workbook (.xlsx)")


class RejectCode:
    """Stable reason codes of lines the file parsers reject (the ingest service adds its own)."""

    TOO_FEW_COLUMNS = "too_few_columns"
    EMPTY_PIN = "empty_pin"
    BAD_TIME = "bad_time"
    INVALID_DATE = "invalid_date"
    BAD_NUMBER = "bad_number"


class FileRejected(Exception):
    """Error raised when the whole file cannot be read as punches.

    `code` is stable; the message names the value and the fix.
    """

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ParsedFile:
    """Punches and rejected lines read from one file, with the device details the file contains."""

    file_format: str
    records: list[PunchRecord] = field(default_factory=list)
    rejected: list[RejectedLine] = field(default_factory=list)
    serial: str = ""  # from a serial header line or a <SN>_attlog.dat file name
    machine_numbers: Counter = field(default_factory=Counter)  # USB column 3 value -> line count
    framing_lines: list[int] = field(default_factory=list)  # header/trailer lines, not data
    warnings: list[str] = field(default_factory=list)
    line_count: int = 0
