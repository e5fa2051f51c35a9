"""Scoped reads of absences, and the approved absences the daily computation needs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from sao.absences.models import AbsenceRequest, AbsenceType, Delegation, RequestStatus
from sao.attendance.engine import AbsenceInput
from sao.org.models import Role, User
from sao.org.scope import register_scope, scope_queryset

register_scope(AbsenceRequest, unit="employee__unit", employee="employee")


def approved_absences_for(
    *, employee_ids: list[int], start: dt.date, end: dt.date
) -> dict[int, list[AbsenceInput]]:
    """Return the approved absences overlapping start..end by employee id, in one query.

    The day status code is the absence type's code (DL, CT, SAKIT, ...). A request for some hours
    of one day (ijin by hours) is left out because the day itself is still worked.
    """
    found: dict[int, list[AbsenceInput]] = defaultdict(list)
    rows = (
        AbsenceRequest.objects.filter(
            employee_id__in=employee_ids,
            status=RequestStatus.APPROVED,
            start_date__lte=end,
            end_date__gte=start,
            absence_type__by_hours=False,
        )
        .order_by("start_date", "pk")
        .values_list(
            "employee_id",
            "absence_type__code",
            "start_date",
            "end_date",
            "absence_type__counts_as_present",
            "reference",
            "code",
            "absence_type__day_code",
        )
    )
    for employee_id, type_code, start_date, end_date, present, reference, code, day_code in rows:
        found[employee_id].append(
            AbsenceInput(
                code=type_code,
                start_date=start_date,
                end_date=end_date,
                counts_as_present=present,
                reference=reference or code,
                day_code=day_code,
            )
        )
    return dict(found)


def absences_for(*, user: User) -> QuerySet:
    """Return the absence requests the user may read, with employee, unit and type loaded."""
    queryset = AbsenceRequest.objects.select_related("employee__unit", "absence_type", "entered_by")
    return scope_queryset(user=user, queryset=queryset)


def entered_late(*, user: User) -> QuerySet:
    """Return the requests in scope that were entered after their first day, newest first."""
    return absences_for(user=user).filter(entered_late=True).order_by("-entered_at", "-id")


def requestable_types() -> QuerySet:
    return AbsenceType.objects.filter(requestable=True)


def entry_timeliness(*, user: User, start: dt.date, end: dt.date) -> list[dict]:
    """Count entries per unit and operator covering start..end: all, late, after the month closed."""
    rows = (
        absences_for(user=user)
        .filter(start_date__lte=end, end_date__gte=start)
        .values("entered_unit__name", "entered_by_label")
        .annotate(
            total=Count("pk"),
            late=Count("pk", filter=Q(entered_late=True)),
            after_close=Count("pk", filter=Q(entered_after_close=True)),
        )
        .order_by("entered_unit__name", "entered_by_label")
    )
    return list(rows)


def delegations_for(*, user: User) -> QuerySet:
    """Return the delegations the user manages: all for Admin BKD, their OPD's for a Verifikator."""
    queryset = Delegation.objects.select_related("acting", "official__unit", "unit", "created_by").order_by(
        "-valid_from", "-pk"
    )
    if user.is_superuser or user.role == Role.ADMIN_BKD:
        return queryset
    if user.role == Role.VERIFIER and user.unit_id:
        path = user.unit.path
        return queryset.filter(Q(official__unit__path__startswith=path) | Q(unit__path__startswith=path))
    return queryset.none()
