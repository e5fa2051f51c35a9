"""Translated labels of the codes SAO stores, for screens, XLSX and PDF.

The database, the CSV exports and the device protocol keep the codes (HADIR, TL1, MISSING_CHECK_OUT,
empty_pin, RINGAN). People read the label of the active language, with the short code that
operators use on paper (TL1, PSW2, TK, DL) kept in brackets. A code without a label is shown as
it is, so a code added later is still readable.
"""

from __future__ import annotations

import time

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Day statuses written by the rules engine (DayStatus in sao.attendance.models).
STATUS_LABELS = {
    "HADIR": _("Present"),
    "TIDAK_LENGKAP": _("Incomplete punches"),
    "SETENGAH_HARI": _("Half day"),
    "TK": _("Absent without notice (TK)"),
    "LIBUR": _("Day off or holiday"),
    "BELUM_FINAL": _("Not final yet"),
    "PERLU_VERIFIKASI": _("Needs verification"),
    "DL": _("Official travel (DL)"),
    "CUTI": _("Leave (cuti)"),
    "IJIN": _("Permission (ijin)"),
    "SAKIT": _("Sick"),
}

# One or two letters per status for the day columns of the monthly recap, as on paper recaps.
STATUS_SHORT_LABELS = {
    "HADIR": pgettext_lazy("recap day", "H"),
    "TIDAK_LENGKAP": pgettext_lazy("recap day", "HT"),
    "SETENGAH_HARI": pgettext_lazy("recap day", "½"),
    "TK": pgettext_lazy("recap day", "TK"),
    "LIBUR": pgettext_lazy("recap day", "L"),
    "BELUM_FINAL": pgettext_lazy("recap day", "?"),
    "PERLU_VERIFIKASI": pgettext_lazy("recap day", "V"),
    "DL": pgettext_lazy("recap day", "DL"),
    "CUTI": pgettext_lazy("recap day", "C"),
    "IJIN": pgettext_lazy("recap day", "I"),
    "SAKIT": pgettext_lazy("recap day", "S"),
}

# Flags a daily result carries beside its status (Flag in sao.attendance.engine).
FLAG_LABELS = {
    "PUNCH_ON_LEAVE": _("Punch on a day of approved absence"),
    "WORK_ON_HOLIDAY": _("Worked on a holiday"),
    "PUNCH_OUTSIDE_WINDOW": _("Punch outside the presence window"),
    "SUSPECT_PUNCH": _("Punch from a device with an untrusted clock"),
    "DEVICE_OUTAGE": _("Device out of order on that day"),
    "MISSING_CHECK_IN": _("Missing check-in"),
    "MISSING_CHECK_OUT": _("Missing check-out"),
}

# Late arrival and early leave brackets. The policy sets the bracket edges, so the labels name no minutes.
LATE_EARLY_LABELS = {
    "TL1": _("Late (TL1)"),
    "TL2": _("Late (TL2)"),
    "TL3": _("Late (TL3)"),
    "TL4": _("Late or no check-in (TL4)"),
    "PSW1": _("Left early (PSW1)"),
    "PSW2": _("Left early (PSW2)"),
    "PSW3": _("Left early (PSW3)"),
    "PSW4": _("Left early or no check-out (PSW4)"),
}

# Discipline levels of PP 94/2021 (sao.attendance.discipline).
DISCIPLINE_LEVEL_LABELS = {
    "RINGAN": pgettext_lazy("discipline level", "Light"),
    "SEDANG": pgettext_lazy("discipline level", "Medium"),
    "BERAT": pgettext_lazy("discipline level", "Heavy"),
}

# Reasons a device line was quarantined (QuarantineReason in sao.devices.models) and the
# source-specific codes the importers write beside them.
QUARANTINE_LABELS = {
    "empty_pin": _("Empty PIN"),
    "bad_time": _("Unreadable time"),
    "invalid_date": _("Invalid calendar date"),
    "before_commissioning": _("Before the device's commissioning date"),
    "future": _("Later than the receive time"),
    "too_few_columns": _("Too few columns"),
    "bad_number": _("Non-numeric state, verify or work code"),
    "unknown_uid": _("Unknown device user id"),
}

KINDS = ("status", "status_short", "flag", "late_early", "discipline_level", "quarantine")

# Absence type names come from the database; they are read again after this many seconds.
ABSENCE_NAMES_SECONDS = 300
_absence_names: dict[str, str] = {}
_absence_names_loaded_at = 0.0


def _absence_type_names() -> dict[str, str]:
    """Return {absence code: name} of the absence types, read at most every few minutes."""
    global _absence_names_loaded_at
    if time.monotonic() - _absence_names_loaded_at > ABSENCE_NAMES_SECONDS:
        from sao.absences.models import AbsenceType

        _absence_names.clear()
        _absence_names.update(AbsenceType.objects.values_list("code", "name"))
        _absence_names_loaded_at = time.monotonic()
    return _absence_names


def forget_absence_type_names() -> None:
    """Drop the cached absence type names, so the next label reads them again (for tests)."""
    global _absence_names_loaded_at
    _absence_names_loaded_at = 0.0


def status_label(code: str) -> str:
    """Return the label of a day status, or of an absence code stored as a status ("Cuti tahunan (CT)")."""
    if not code:
        return ""
    if code in STATUS_LABELS:
        return str(STATUS_LABELS[code])
    name = _absence_type_names().get(code)
    return f"{name} ({code})" if name else code


def status_short_label(code: str) -> str:
    """Return the short form of a status for the recap grid: an absence code stays as it is."""
    return str(STATUS_SHORT_LABELS.get(code, code))


def _from(table: dict, code: str) -> str:
    return str(table[code]) if code in table else code


def code_label(kind: str, code: str | None) -> str:
    """Return the label of `code` of the given kind (one of KINDS); an unknown code is returned as it is."""
    if code is None:
        return ""
    if kind == "status":
        return status_label(code)
    if kind == "status_short":
        return status_short_label(code)
    if kind == "flag":
        return _from(FLAG_LABELS, code)
    if kind == "late_early":
        return _from(LATE_EARLY_LABELS, code)
    if kind == "discipline_level":
        return _from(DISCIPLINE_LEVEL_LABELS, code)
    if kind == "quarantine":
        return _from(QUARANTINE_LABELS, code)
    raise ValueError(f"Unknown code kind {kind!r}; use one of {', '.join(KINDS)}.")


def flags_label(flags) -> str:
    """Return the labels of a list of flags, joined by commas."""
    return ", ".join(code_label("flag", flag) for flag in flags or [])


def recap_legend() -> str:
    """Return the legend of the recap grid's short forms, e.g. "H = Present, TK = ...". """
    return ", ".join(f"{STATUS_SHORT_LABELS[code]} = {STATUS_LABELS[code]}" for code in STATUS_SHORT_LABELS)
