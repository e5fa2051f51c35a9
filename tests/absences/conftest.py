"""Helpers of the absence tests."""

from __future__ import annotations

import datetime as dt

from sao.absences.models import AbsenceRequest, AbsenceType, RequestStatus


def approved_on_record(employee, code: str, start: dt.date, end: dt.date, days: int, *, status=None):
    """Store a past request directly, as history for balance tables (no rules are checked)."""
    serial = AbsenceRequest.objects.count() + 1
    return AbsenceRequest.objects.create(
        code=f"H{serial:03d}",
        employee=employee,
        absence_type=AbsenceType.objects.get(code=code),
        start_date=start,
        end_date=end,
        working_days=days,
        status=status or RequestStatus.APPROVED,
    )
