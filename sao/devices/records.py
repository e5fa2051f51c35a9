"""Plain records that every punch source (push, pull, USB file, spreadsheet) produces.

Parsers turn bytes into these; the ingest service turns them into Punch rows or
quarantine rows. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PunchRecord:
    """One attendance record as the device wrote it, before any mapping or trust check."""

    pin: str  # always text: "0012" and "12" are different users on a device
    local_time: dt.datetime  # naive, in the device's own clock and time zone
    state: int  # punch state as sent (0 check-in, 1 check-out, 4/5 overtime, 255 ...)
    verify: int  # verify mode as sent (1 fingerprint, 15 face, ...)
    workcode: int = 0
    line: int = 0  # 1-based line number in the raw upload
    raw: str = ""  # the line exactly as received, for review
    device_serial: str = ""  # set when the source names the device per line (files, pull)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line that could not become a punch, kept with a stable reason code and a message."""

    line: int
    raw: str
    code: str  # e.g. "bad_time", "too_few_columns", "before_commissioning"
    message: str
