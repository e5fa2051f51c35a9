"""Screens of the attendance results: one day's explanation and one employee's month."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sao.attendance import selectors, services
from sao.attendance.dirty import mark_days_dirty
from sao.attendance.discipline import SANCTION_LABELS
from sao.attendance.explain import explain, explanation_steps
from sao.attendance.models import MonthClose
from sao.org import selectors as org_selectors


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one stored result with the engine's explanation, rebuilt by computing the day again."""
    from sao.attendance.compute import explain_day

    result = selectors.result_detail(user=request.user, pk=pk)
    rebuilt = explain_day(employee_id=result.employee_id, day=result.date, shift_code=result.shift_code)
    steps = explanation_steps(rebuilt.result) if rebuilt is not None else []
    context = {
        "result": result,
        "sentences": explain(steps),
        "punches": list(rebuilt.result.punches) if rebuilt is not None else [],
        # The inputs or the time changed since the row was stored, so the day is queued for recompute.
        "outdated": rebuilt is None or rebuilt.values_hash != result.values_hash,
    }
    if context["outdated"]:
        mark_days_dirty(days=[(result.employee_id, result.date)])
    return render(request, "attendance/result_detail.html", context)


@login_required
def employee_month(request: HttpRequest, employee_pk: int, year: int, month: int) -> HttpResponse:
    employee = org_selectors.employee_detail(user=request.user, pk=employee_pk)
    try:
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    results = selectors.results_for_month(user=request.user, employee=employee, first=first, last=last)
    return render(
        request, "attendance/employee_month.html", {"employee": employee, "results": results, "first": first}
    )


@login_required
def discipline_year(request: HttpRequest, year: int) -> HttpResponse:
    """List the employees in scope whose unexcused absences reach a PP 94/2021 level."""
    from django.utils import timezone

    from sao.calendars.services import active_policy

    rolling = active_policy().discipline.get("year") == "rolling"
    rolling_until = min(timezone.localdate(), dt.date(year, 12, 31)) if rolling else None
    flagged = selectors.discipline_for_year(user=request.user, year=year, rolling_until=rolling_until)
    rows = [
        {"employee": employee, "flag": flag, "label": SANCTION_LABELS.get(flag.sanction, flag.sanction)}
        for employee, flag in flagged
    ]
    return render(request, "attendance/discipline.html", {"rows": rows, "year": year})


@login_required
def month_close_detail(request: HttpRequest, unit_pk: int, year: int, month: int) -> HttpResponse:
    """Show an agency's month: its close status, the actions the user's role allows, and the
    results changed since the close."""
    unit = org_selectors.unit_detail(user=request.user, pk=unit_pk)
    try:
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc
    close = MonthClose.objects.filter(unit=unit, month=first).first()

    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "close":
                services.month_close(unit=unit, month=first, actor=request.user)
            elif action == "sign" and close:
                services.month_sign(close=close, actor=request.user)
            elif action == "reopen" and close:
                services.month_reopen(close=close, actor=request.user, reason=request.POST.get("reason", ""))
            else:
                raise services.MonthCloseError(
                    _("Unknown action %(action)s.") % {"action": action}, code="action"
                )
        except services.MonthCloseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Month %(month)s updated.") % {"month": first.strftime("%Y-%m")})
            return redirect("attendance:month_close", unit_pk=unit.pk, year=year, month=month)

    changes = services.month_close_changes(close=close) if close else []
    return render(
        request,
        "attendance/month_close.html",
        {"unit": unit, "first": first, "close": close, "changes": changes},
    )
