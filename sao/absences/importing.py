"""Import of absences already approved on paper: CSV or XLSX `nip,type,date_from,date_to,reference,note`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sao.absences.models import AbsenceType, Channel
from sao.absences.services import AbsenceError, absence_request_create
from sao.org.importing.common import RowError, read_sheet
from sao.org.models import Employee, User
from sao.org.scope import scope_queryset

COLUMNS = ["nip", "type", "date_from", "date_to", "reference", "note"]


@dataclass
class AbsenceImportResult:
    created: list[str] = field(default_factory=list)  # request codes
    errors: list[RowError] = field(default_factory=list)


def _cell_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def absences_import(*, data: bytes, filename: str, operator: User) -> AbsenceImportResult:
    """Store each valid row as an approved request entered by `operator`; report the others.

    Each row is its own transaction, so a rejected row does not undo the rows before it.
    Raises ImportFileError when the file or its header is unusable.
    """
    sheet = read_sheet(data, filename=filename, required=COLUMNS[:4])
    types = {absence_type.code: absence_type for absence_type in AbsenceType.objects.all()}
    employees = scope_queryset(user=operator, queryset=Employee.objects.select_related("unit"))
    label = f"sao import-absences ({operator.get_username()})"
    result = AbsenceImportResult()

    for line, record in sheet.rows:
        nip = str(record.get("nip") or "").strip()
        employee = employees.filter(nip=nip).first() if nip else None
        if employee is None:
            result.errors.append(
                RowError(
                    line,
                    "nip",
                    nip,
                    _("NIP %(nip)s is not an employee in your scope; check the number or ask BKD.")
                    % {"nip": nip or "-"},
                    "nip_unknown",
                )
            )
            continue
        code = str(record.get("type") or "").strip().upper()
        if code not in types:
            result.errors.append(
                RowError(
                    line,
                    "type",
                    code,
                    _("Absence type %(code)s is unknown; use one of %(codes)s.")
                    % {"code": code or "-", "codes": ", ".join(sorted(types))},
                    "type_unknown",
                )
            )
            continue
        start, end = _cell_date(record.get("date_from")), _cell_date(record.get("date_to"))
        for column, value in (("date_from", start), ("date_to", end)):
            if value is None:
                raw = str(record.get(column) or "")
                result.errors.append(
                    RowError(
                        line,
                        column,
                        raw,
                        _("Invalid date %(value)s; write it as YYYY-MM-DD.") % {"value": raw or "-"},
                        "date_invalid",
                    )
                )
        if start is None or end is None:
            continue
        try:
            request = absence_request_create(
                employee=employee,
                absence_type=types[code],
                start_date=start,
                end_date=end,
                actor=operator,
                actor_label=label,
                channel=Channel.IMPORT,
                reference=str(record.get("reference") or ""),
                note=str(record.get("note") or ""),
                approved_on_paper=True,
            )
        except AbsenceError as exc:
            result.errors.append(RowError(line, "", f"{nip} {code} {start}..{end}", exc.message, exc.code))
            continue
        result.created.append(request.code)
    return result
