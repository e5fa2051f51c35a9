"""Writes of the attendance app: the monthly close, sign-off and reopening per agency (OPD)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.attendance.dirty import mark_days_dirty
from sao.attendance.models import DailyResult, MonthClose, MonthCloseStatus
from sao.audit.services import audit_record
from sao.org.models import Employee, Role
from sao.org.scope import effective_role

logger = logging.getLogger(__name__)


class MonthCloseError(ValueError):
    """A close, sign-off or reopening that the month's state does not allow, with a stable `code`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _agency_results(unit, month: dt.date):
    first, last = _month_bounds(month)
    return DailyResult.objects.filter(unit__path__startswith=unit.path, date__range=(first, last))


def _snapshot(unit, month: dt.date) -> dict[str, list]:
    rows = _agency_results(unit, month).values_list(
        "employee_id",
        "date",
        "shift_code",
        "status",
        "late_minutes",
        "early_minutes",
        "late_code",
        "early_code",
    )
    return {
        f"{employee_id}|{day.isoformat()}|{shift}": [status, late, early, late_code, early_code]
        for employee_id, day, shift, status, late, early, late_code, early_code in rows
    }


def _require(actor, roles: set[str], message: str) -> None:
    if effective_role(actor) not in roles:
        raise PermissionDenied(message)


def _require_unit_scope(actor, unit) -> None:
    if effective_role(actor) == Role.ADMIN_BKD:
        return
    if actor.unit_id is None or not unit.path.startswith(actor.unit.path):
        raise PermissionDenied(_("Unit %(unit)s is outside your scope.") % {"unit": unit.code})


@transaction.atomic
def month_close(*, unit, month: dt.date, actor) -> MonthClose:
    """Close one month of an agency's results (the verifier), freezing its results."""
    _require(actor, {Role.VERIFIER, Role.ADMIN_BKD}, _("Only a verifier closes a month."))
    _require_unit_scope(actor, unit)
    first, last = _month_bounds(month)
    if last >= timezone.localdate():
        raise MonthCloseError(
            _("%(month)s has not ended yet; close it from %(date)s.")
            % {"month": first.strftime("%Y-%m"), "date": last + dt.timedelta(days=1)},
            code="month_not_ended",
        )

    close, created = MonthClose.objects.select_for_update().get_or_create(
        unit=unit, month=first, defaults={"status": MonthCloseStatus.CLOSED}
    )
    if not created and close.is_frozen:
        raise MonthCloseError(
            _("%(month)s is already closed for %(unit)s.")
            % {"month": first.strftime("%Y-%m"), "unit": unit.code},
            code="already_closed",
        )
    old_status = None if created else close.status
    close.status = MonthCloseStatus.CLOSED
    close.closed_by, close.closed_at = actor, timezone.now()
    close.signed_by = close.signed_at = None
    close.snapshot = _snapshot(unit, first)
    close.save()

    audit_record(
        actor=actor,
        action="month.close",
        obj=close,
        old={"status": old_status},
        new={"status": close.status, "results": len(close.snapshot)},
    )
    return close


@transaction.atomic
def month_sign(*, close: MonthClose, actor) -> MonthClose:
    """Record the agency head's sign-off of a closed month."""
    _require(actor, {Role.LEADER, Role.ADMIN_BKD}, _("Only the agency head signs off a month."))
    close = MonthClose.objects.select_for_update().select_related("unit").get(pk=close.pk)
    _require_unit_scope(actor, close.unit)
    if close.status != MonthCloseStatus.CLOSED:
        raise MonthCloseError(
            _("Only a closed month can be signed off; this one is %(status)s.")
            % {"status": close.get_status_display()},
            code="not_closed",
        )
    close.status = MonthCloseStatus.SIGNED
    close.signed_by, close.signed_at = actor, timezone.now()
    close.save(update_fields=["status", "signed_by", "signed_at"])
    audit_record(
        actor=actor,
        action="month.sign",
        obj=close,
        old={"status": MonthCloseStatus.CLOSED},
        new={"status": close.status},
    )
    return close


@transaction.atomic
def month_reopen(*, close: MonthClose, actor, reason: str) -> MonthClose:
    """Reopen a closed month (BKD administrator only, with a reason) and queue it for recompute."""
    _require(actor, {Role.ADMIN_BKD}, _("Only a BKD administrator reopens a month."))
    if not reason.strip():
        raise MonthCloseError(_("Give the reason for reopening the month."), code="reason_missing")
    close = MonthClose.objects.select_for_update().select_related("unit").get(pk=close.pk)
    if not close.is_frozen:
        raise MonthCloseError(_("The month is not closed."), code="not_closed")
    old_status = close.status
    close.status = MonthCloseStatus.REOPENED
    close.reopened_by, close.reopened_at, close.reopen_reason = actor, timezone.now(), reason.strip()
    close.save(update_fields=["status", "reopened_by", "reopened_at", "reopen_reason"])
    audit_record(
        actor=actor,
        action="month.reopen",
        obj=close,
        old={"status": old_status},
        new={"status": close.status},
        reason=reason,
    )

    first, last = _month_bounds(close.month)
    employee_ids = list(
        Employee.objects.filter(unit__path__startswith=close.unit.path).values_list("pk", flat=True)
    )
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    transaction.on_commit(lambda: mark_days_dirty(days=((pk, day) for pk in employee_ids for day in days)))
    return close


@dataclass(frozen=True)
class ResultChange:
    employee_id: int
    date: dt.date
    shift_code: str
    closed: list | None  # [status, late, early, late code, early code] when closed, None if absent
    current: list | None


def month_close_changes(*, close: MonthClose) -> list[ResultChange]:
    """Return the results that differ between the closed snapshot and the current rows."""
    current = _snapshot(close.unit, close.month)
    changes = []
    for key in sorted(set(close.snapshot) | set(current)):
        before, after = close.snapshot.get(key), current.get(key)
        if before != after:
            employee_id, day, shift = key.split("|")
            changes.append(
                ResultChange(
                    employee_id=int(employee_id),
                    date=dt.date.fromisoformat(day),
                    shift_code=shift,
                    closed=before,
                    current=after,
                )
            )
    return changes
