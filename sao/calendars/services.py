"""Writes to the calendar data: policy versions, rosters, schedule assignments, holiday overrides.

Every write is audited in its transaction and marks the affected (employee, date) pairs for
recomputation.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sao.attendance.dirty import mark_days_dirty
from sao.audit.services import audit_record
from sao.calendars.models import EmployeeSchedule, HolidayOverride, PolicyVersion, RosterEntry
from sao.calendars.policy import Policy, PolicyError, parse_policy
from sao.org.importing.common import RowError, cell_text, read_sheet

logger = logging.getLogger(__name__)

SEED_POLICY = Path(__file__).resolve().parent / "data" / "kaltim.yaml"

# Roster cells that mean "no shift": a day off.
DAY_OFF_CODES = frozenset({"", "-", "L", "OFF", "LIBUR", "X"})

# Parsed policies by (version number, document). The document is part of the key because a
# rolled-back transaction (a test, a failed import) can reuse a version number for another text.
_policy_cache: dict[tuple[int, str], Policy] = {}
_policy_lock = threading.Lock()


class NoPolicyError(LookupError):
    """No policy version is stored yet."""


def active_policy() -> Policy:
    """Return the parsed policy version in force (the newest), parsing each version once."""
    row = PolicyVersion.objects.order_by("-number").values_list("number", "document").first()
    if row is None:
        raise NoPolicyError(
            _("No attendance policy is stored; run `sao policy import %(path)s`.") % {"path": SEED_POLICY}
        )
    number, document = row
    key = (number, document)
    with _policy_lock:
        if key not in _policy_cache:
            _policy_cache[key] = parse_policy(document, version=number)
        return _policy_cache[key]


@transaction.atomic
def policy_import(*, document: str, legal_basis: str, actor=None, actor_label: str = "") -> PolicyVersion:
    """Validate a policy document and store it as the next version, or raise PolicyError.

    Existing results keep the rule version they were computed with until they are recomputed
    (`sao compute`, or `sao policy import --recompute-from DATE`).
    """
    if not legal_basis.strip():
        raise PolicyError([_("legal_basis: missing; name the decree or circular behind this change.")])
    parse_policy(document)

    previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
    number = (previous.number if previous else 0) + 1
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                number=number,
                document=document,
                legal_basis=legal_basis.strip(),
                created_by=actor if getattr(actor, "pk", None) else None,
                created_by_label=actor_label,
            )
    except IntegrityError as exc:
        raise PolicyError([_("Another policy version was saved at the same time; import again.")]) from exc

    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="policy.import",
        obj=version,
        old={"version": previous.number, "document": previous.document} if previous else None,
        new={"version": number, "document": document},
        reason=legal_basis,
    )
    logger.info("Policy version %s stored by %s", number, actor_label or actor)
    return version


# ---------------------------------------------------------------------------------------------
# Holidays


@transaction.atomic
def holiday_override_save(
    *,
    date: dt.date,
    name: str,
    category: str,
    legal_basis: str,
    is_removal: bool = False,
    actor=None,
    actor_label: str = "",
) -> HolidayOverride:
    """Add or change the holiday override of `date` and mark that date for recomputation."""
    override = HolidayOverride.objects.select_for_update().filter(date=date).first()
    old = None
    if override is None:
        override = HolidayOverride(date=date)
    else:
        old = {"name": override.name, "category": override.category, "is_removal": override.is_removal}
    override.name, override.category, override.is_removal = name, category, is_removal
    override.legal_basis = legal_basis
    override.full_clean()
    override.save()

    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="holiday.save",
        obj=override,
        old=old,
        new={"name": name, "category": category, "is_removal": is_removal},
        reason=legal_basis,
    )
    _mark_date_for_everyone(date)
    return override


def _mark_date_for_everyone(day: dt.date) -> None:
    from sao.org.models import Employee

    transaction.on_commit(
        lambda: mark_days_dirty(
            days=((employee_id, day) for employee_id in Employee.objects.values_list("pk", flat=True))
        )
    )


# ---------------------------------------------------------------------------------------------
# Schedules and rosters


@transaction.atomic
def employee_schedule_assign(
    *,
    employee,
    profile_code: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    reason: str = "",
    actor=None,
    actor_label: str = "",
) -> EmployeeSchedule:
    """Assign an employee to a schedule profile from `valid_from`, overriding their unit's."""
    policy = active_policy()
    if profile_code not in policy.profiles:
        raise PolicyError(
            [
                _("profile_code: unknown profile %(code)s; use one of %(codes)s.")
                % {"code": profile_code, "codes": ", ".join(sorted(policy.profiles))}
            ]
        )
    assignment, _created = EmployeeSchedule.objects.update_or_create(
        employee=employee,
        valid_from=valid_from,
        defaults={"profile_code": profile_code, "valid_to": valid_to, "reason": reason},
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="schedule.assign",
        obj=assignment,
        new={"profile_code": profile_code, "valid_from": valid_from, "valid_to": valid_to},
        reason=reason,
    )
    end = valid_to or dt.date.today()
    transaction.on_commit(
        lambda: mark_days_dirty(
            days=(
                (employee.pk, valid_from + dt.timedelta(days=offset))
                for offset in range(max((end - valid_from).days + 1, 0))
            )
        )
    )
    return assignment


@dataclass
class RosterImportResult:
    applied: int = 0
    days_off: int = 0
    errors: list[RowError] = field(default_factory=list)


@transaction.atomic
def roster_apply(
    *, entries: Iterable[tuple[int, dt.date, list[str]]], actor=None, actor_label: str = "", reason: str = ""
) -> tuple[int, int]:
    """Replace the roster of each (employee id, date) with the given shift codes ([] is a day off).

    Returns (shifts written, days set off). Shift codes are checked against the policy.
    """
    policy = active_policy()
    entries = list(entries)
    unknown = sorted({code for _employee, _date, codes in entries for code in codes} - set(policy.shifts))
    if unknown:
        raise PolicyError(
            [
                _("shift: unknown shift codes %(codes)s; use one of %(known)s.")
                % {"codes": ", ".join(unknown), "known": ", ".join(sorted(policy.shifts))}
            ]
        )

    pairs = {(employee_id, day) for employee_id, day, _codes in entries}
    employee_ids = {employee_id for employee_id, _day in pairs}
    dates = {day for _employee, day in pairs}
    existing = list(
        RosterEntry.objects.select_for_update().filter(employee_id__in=employee_ids, date__in=dates)
    )
    old = {}
    for entry in existing:
        if (entry.employee_id, entry.date) in pairs:
            old.setdefault((entry.employee_id, entry.date), []).append(entry.shift_code)
    RosterEntry.objects.filter(
        pk__in=[entry.pk for entry in existing if (entry.employee_id, entry.date) in pairs]
    ).delete()

    rows = [
        RosterEntry(employee_id=employee_id, date=day, shift_code=code)
        for employee_id, day, codes in entries
        for code in dict.fromkeys(codes)
    ]
    RosterEntry.objects.bulk_create(rows, batch_size=2000)

    changed = [
        (employee_id, day, codes)
        for employee_id, day, codes in entries
        if sorted(old.get((employee_id, day), [])) != sorted(set(codes))
    ]
    if changed:
        # One audit entry per import, listing the changed days, keeps large rosters readable.
        anchor = rows[0] if rows else existing[0]
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action="roster.apply",
            obj=anchor,
            old={
                f"{employee_id}|{day.isoformat()}": old.get((employee_id, day), [])
                for employee_id, day, _codes in changed
            },
            new={f"{employee_id}|{day.isoformat()}": codes for employee_id, day, codes in changed},
            reason=reason,
        )
    # A night shift on `day` can take punches of the next morning, so both dates change.
    dirty = {
        (employee_id, day + dt.timedelta(days=shift))
        for employee_id, day, _codes in changed
        for shift in (0, 1)
    }
    transaction.on_commit(lambda: mark_days_dirty(days=dirty))
    return len(rows), sum(1 for _employee, _day, codes in entries if not codes)


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for parse in (dt.date.fromisoformat, lambda raw: dt.datetime.strptime(raw, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _split_codes(value) -> list[str]:
    text = cell_text(value).upper()
    codes = [part.strip() for part in text.replace(",", "+").split("+")]
    return [code for code in codes if code not in DAY_OFF_CODES]


def roster_import(*, data: bytes, filename: str, actor=None, actor_label: str = "") -> RosterImportResult:
    """Import a roster from CSV or XLSX, applying the valid rows and reporting the others.

    Two layouts are read. Long: columns nip, date, shift (one row per employee and day).
    Monthly: columns nip and month (YYYY-MM) and one column per day of the month named 1..31.
    A shift cell may hold several codes joined by "+" (a double shift). L, OFF or an empty cell
    is a day off. Dates are YYYY-MM-DD or DD/MM/YYYY.
    """
    from sao.org.models import Employee

    sheet = read_sheet(data, filename=filename, required=["nip"])
    result = RosterImportResult()
    policy = active_policy()
    monthly = "month" in sheet.header
    if not monthly and not {"date", "shift"} <= set(sheet.header):
        result.errors.append(
            RowError(
                line=1,
                column="",
                value=",".join(sheet.header),
                code="layout",
                message=_(
                    "the header needs nip, date, shift (one row per day) or "
                    "nip, month, 1..31 (one row per month)."
                ),
            )
        )
        return result

    nips = {cell_text(record.get("nip")) for _line, record in sheet.rows}
    employee_by_nip = dict(Employee.objects.filter(nip__in=nips).values_list("nip", "pk"))
    entries: list[tuple[int, dt.date, list[str]]] = []

    for line, record in sheet.rows:
        nip = cell_text(record.get("nip"))
        employee_id = employee_by_nip.get(nip)
        if employee_id is None:
            result.errors.append(
                RowError(
                    line=line,
                    column="nip",
                    value=nip,
                    code="unknown_nip",
                    message=_("no employee has NIP %(nip)s; check the number or import the employee first.")
                    % {"nip": nip},
                )
            )
            continue
        if monthly:
            cells = _monthly_cells(line, record, result)
        else:
            day = _parse_date(record.get("date"))
            if day is None:
                result.errors.append(
                    RowError(
                        line=line,
                        column="date",
                        value=cell_text(record.get("date")),
                        code="invalid_date",
                        message=_("invalid date; write YYYY-MM-DD or DD/MM/YYYY."),
                    )
                )
                continue
            cells = [("shift", day, record.get("shift"))]
        for column, day, value in cells:
            codes = _split_codes(value)
            unknown = [code for code in codes if code not in policy.shifts]
            if unknown:
                result.errors.append(
                    RowError(
                        line=line,
                        column=column,
                        value=cell_text(value),
                        code="unknown_shift",
                        message=_("unknown shift %(codes)s; use one of %(known)s, or L for a day off.")
                        % {"codes": ", ".join(unknown), "known": ", ".join(sorted(policy.shifts))},
                    )
                )
                continue
            entries.append((employee_id, day, codes))

    if entries:
        result.applied, result.days_off = roster_apply(
            entries=entries,
            actor=actor,
            actor_label=actor_label,
            reason=_("Roster import %(file)s") % {"file": filename},
        )
    return result


def _monthly_cells(line: int, record: dict, result: RosterImportResult) -> list[tuple[str, dt.date, object]]:
    month_text = cell_text(record.get("month"))
    month = _parse_date(f"{month_text}-01") if len(month_text) == 7 else _parse_date(record.get("month"))
    if month is None:
        result.errors.append(
            RowError(
                line=line,
                column="month",
                value=month_text,
                code="invalid_month",
                message=_("invalid month; write it as YYYY-MM."),
            )
        )
        return []
    cells = []
    for number in range(1, 32):
        if str(number) not in record:
            continue
        try:
            day = month.replace(day=number)
        except ValueError:
            continue  # day 31 of a 30-day month
        cells.append((str(number), day, record[str(number)]))
    return cells
