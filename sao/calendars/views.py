"""Screens of the calendars: the policy in force (edited by the BKD administrator) and the
monthly roster of a shift unit."""

from __future__ import annotations

import calendar
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sao.calendars.models import PolicyVersion, RosterEntry
from sao.calendars.policy import PolicyError
from sao.calendars.services import policy_import, roster_import
from sao.org import selectors as org_selectors
from sao.org.importing.common import ImportFileError
from sao.org.scope import can_edit_master, is_bkd_admin, scope_queryset


class PolicyForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Policy document (YAML)"),
        widget=forms.Textarea(attrs={"rows": 30, "class": "font-monospace"}),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis of the change"),
        help_text=gettext_lazy("The decree or circular, e.g. SE Gubernur 100.3.4/739/2026."),
    )


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster file (CSV or XLSX)"))


@login_required
def policy_detail(request: HttpRequest) -> HttpResponse:
    """Show the policy in force and its history. The BKD administrator may store a new version."""
    versions = PolicyVersion.objects.select_related("created_by")[:20]
    current = versions[0] if versions else None
    form = None
    errors: list[str] = []
    if is_bkd_admin(request.user):
        form = PolicyForm(request.POST or None, initial={"document": current.document if current else ""})
        if request.method == "POST" and form.is_valid():
            try:
                version = policy_import(
                    document=form.cleaned_data["document"],
                    legal_basis=form.cleaned_data["legal_basis"],
                    actor=request.user,
                )
            except PolicyError as exc:
                errors = exc.errors
            else:
                messages.success(
                    request, _("Policy version %(number)s is now in force.") % {"number": version.number}
                )
                return redirect("calendars:policy")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "calendars/policy.html",
        {"versions": versions, "current": current, "form": form, "errors": errors},
    )


@login_required
def roster_month(request: HttpRequest, unit_pk: int, year: int, month: int) -> HttpResponse:
    """Show a shift unit's roster for one month (employees by days) and accept a roster file."""
    unit = org_selectors.unit_detail(user=request.user, pk=unit_pk)
    try:
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc
    days = [first + dt.timedelta(days=offset) for offset in range(calendar.monthrange(year, month)[1])]

    form = RosterUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST":
        if not can_edit_master(request.user):
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = roster_import(data=upload.read(), filename=upload.name, actor=request.user)
            except (ImportFileError, PolicyError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Roster imported: %(applied)s shifts, %(off)s days off, %(rejected)s rows rejected.")
                    % {"applied": result.applied, "off": result.days_off, "rejected": len(result.errors)},
                )

    employees = list(org_selectors.employees_for(user=request.user, unit=unit).order_by("name"))
    entries = scope_queryset(
        user=request.user,
        queryset=RosterEntry.objects.filter(employee__in=employees, date__range=(days[0], days[-1])),
    )
    grid: dict[int, dict[dt.date, list[str]]] = {}
    for employee_id, day, code in entries.values_list("employee_id", "date", "shift_code"):
        grid.setdefault(employee_id, {}).setdefault(day, []).append(code)
    rows = [
        {"employee": employee, "cells": ["+".join(grid.get(employee.pk, {}).get(day, [])) for day in days]}
        for employee in employees
    ]
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = days[-1] + dt.timedelta(days=1)
    return render(
        request,
        "calendars/roster_month.html",
        {
            "unit": unit,
            "first": first,
            "days": days,
            "rows": rows,
            "form": form,
            "result": result,
            "previous": previous,
            "following": following,
            "can_edit": can_edit_master(request.user),
        },
    )
