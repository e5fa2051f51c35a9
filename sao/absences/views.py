"""Screens of the absence chain: request form, bulk travel entry, approval inbox, calendar."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sao.absences import selectors
from sao.absences.balance import leave_balance
from sao.absences.forms import (
    AbsenceRequestForm,
    DecisionForm,
    DelegationForm,
    ResubmitForm,
    TravelGroupForm,
)
from sao.absences.models import AbsenceRequest, RequestStatus
from sao.absences.services import (
    DELEGATION_ROLES,
    ENTRY_ROLES,
    AbsenceError,
    absence_request_create,
    absence_request_decide,
    absence_request_resubmit,
    delegation_create,
    delegation_end,
    open_requests_for_approver,
    travel_group_create,
)
from sao.core.dates import FIRST_YEAR, LAST_YEAR, year_supported
from sao.org.models import Employee
from sao.org.scope import effective_role, get_scoped_or_404, scope_queryset
from sao.org.selectors import employees_for

PAGE_SIZE = 50
# The group picker lists this many matches; a longer list means the search needs more letters.
PICKER_RESULTS = 15
PICKER_MIN_LENGTH = 2


def _form_error(exc: AbsenceError) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


def _entry_employees(user):
    """Return the employees the user may enter absences for: their scope, or only themselves."""
    queryset = Employee.objects.select_related("unit").order_by("name")
    if effective_role(user) in ENTRY_ROLES:
        return scope_queryset(user=user, queryset=queryset)
    return queryset.filter(pk=user.employee_id) if user.employee_id else queryset.none()


@login_required
def absence_list(request: HttpRequest) -> HttpResponse:
    absences = selectors.absences_for(user=request.user)
    status = request.GET.get("status", "")
    if status in RequestStatus.values:
        absences = absences.filter(status=status)
    page = Paginator(absences, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "absences/absence_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RequestStatus.choices,
            "can_enter_for_others": effective_role(request.user) in ENTRY_ROLES,
        },
    )


@login_required
def absence_new(request: HttpRequest) -> HttpResponse:
    employees = _entry_employees(request.user)
    if not employees.exists():
        raise PermissionDenied(_("Your account has no employee record and no unit to enter absences for."))
    form = AbsenceRequestForm(
        request.POST or None,
        request.FILES or None,
        employees=employees,
        types=selectors.requestable_types(),
        initial={"employee": request.user.employee_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = absence_request_create(
                employee=data["employee"],
                absence_type=data["absence_type"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                reference=data["reference"],
                destination=data["destination"],
                note=data["note"],
                evidence=data["evidence"],
                actor=request.user,
            )
        except AbsenceError as exc:
            form.add_error(None, _form_error(exc))
        else:
            messages.success(
                request, _("Request %(code)s was entered and waits for approval.") % {"code": created.code}
            )
            return redirect("absences:detail", code=created.code)
    return render(request, "absences/absence_form.html", {"form": form})


def _check_group_entry(user) -> None:
    if effective_role(user) not in ENTRY_ROLES:
        raise PermissionDenied(_("Only unit and BKD operators enter travel for a group."))


def _chosen_ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


@login_required
def travel_group_new(request: HttpRequest) -> HttpResponse:
    _check_group_entry(request.user)
    employees = _entry_employees(request.user)
    form = TravelGroupForm(
        request.POST or None,
        request.FILES or None,
        employees=employees,
        types=selectors.requestable_types().filter(needs_letter=True),
    )
    # Chips of a form shown again after an error; ids outside the scope are dropped here and
    # rejected by the form's validation.
    chosen = employees.filter(pk__in=_chosen_ids(request.POST.getlist("employees"))) if request.POST else []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = travel_group_create(
                employees=list(data["employees"]),
                absence_type=data["absence_type"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                reference=data["reference"],
                destination=data["destination"],
                note=data["note"],
                evidence=data["evidence"],
                actor=request.user,
            )
        except AbsenceError as exc:
            form.add_error(None, _form_error(exc))
        else:
            messages.success(
                request,
                _("%(count)s requests were entered under %(reference)s.")
                % {"count": len(created), "reference": data["reference"]},
            )
            return redirect("absences:list")
    return render(
        request,
        "absences/travel_group_form.html",
        {"form": form, "chosen": chosen, "min_length": PICKER_MIN_LENGTH},
    )


@login_required
def travel_group_search(request: HttpRequest) -> HttpResponse:
    """List employees in the operator's scope matching a NIP, NIK or name, minus those already chosen."""
    _check_group_entry(request.user)
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= PICKER_MIN_LENGTH:
        results = list(
            employees_for(user=request.user, search=query).exclude(
                pk__in=_chosen_ids(request.GET.getlist("employees"))
            )[: PICKER_RESULTS + 1]
        )
    return render(
        request,
        "absences/_picker_results.html",
        {
            "results": results[:PICKER_RESULTS],
            "more": len(results) > PICKER_RESULTS,
            "query": query,
            "min_length": PICKER_MIN_LENGTH,
        },
    )


@login_required
def travel_group_chip(request: HttpRequest, employee_pk: int) -> HttpResponse:
    """Return the chip of one chosen employee; 404 outside the operator's scope."""
    _check_group_entry(request.user)
    employee = get_scoped_or_404(
        user=request.user, queryset=Employee.objects.select_related("unit"), pk=employee_pk
    )
    return render(request, "absences/_picker_chip.html", {"employee": employee})


def _request_or_404(user, code: str) -> AbsenceRequest:
    """Return a request inside the user's scope, or one an acting official may decide; else 404."""
    try:
        return get_scoped_or_404(user=user, queryset=selectors.absences_for(user=user), code=code.upper())
    except Http404:
        for candidate in open_requests_for_approver(actor=user):
            if candidate.code == code.upper():
                return candidate
        raise


@login_required
def absence_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _render_detail(request, _request_or_404(request.user, code))


def _render_detail(request: HttpRequest, absence: AbsenceRequest, *, status: int = 200) -> HttpResponse:
    decidable = any(item.pk == absence.pk for item in open_requests_for_approver(actor=request.user))
    resubmit_form = None
    if absence.status == RequestStatus.CHANGE_REQUESTED:
        resubmit_form = ResubmitForm(initial={
            "start_date": absence.start_date, "end_date": absence.end_date,
            "reference": absence.reference, "note": absence.note,
        })
    return render(
        request,
        "absences/absence_detail.html",
        {
            "absence": absence,
            "steps": absence.steps.select_related("actor", "actor_employee"),
            "decidable": decidable,
            "form": DecisionForm(),
            "resubmit_form": resubmit_form,
        },
        status=status,
    )


@login_required
@require_POST
def absence_resubmit(request: HttpRequest, code: str) -> HttpResponse:
    """Correct a request sent back for changes and send it to the first approver again."""
    absence = _request_or_404(request.user, code)
    form = ResubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give valid dates to submit the request again."))
        return redirect("absences:detail", code=absence.code)
    try:
        absence = absence_request_resubmit(request=absence, actor=request.user, **form.cleaned_data)
    except AbsenceError as exc:
        if exc.code == "not_allowed":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return redirect("absences:detail", code=absence.code)
    messages.success(request, _("Request %(code)s was changed and submitted again.")
                     % {"code": absence.code})
    return redirect("absences:detail", code=absence.code)


@login_required
@require_POST
def absence_decide(request: HttpRequest, code: str) -> HttpResponse:
    absence = _request_or_404(request.user, code)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve, reject or ask for a change."))
        return redirect("absences:detail", code=absence.code)
    try:
        absence = absence_request_decide(
            request=absence,
            action=form.cleaned_data["action"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except AbsenceError as exc:
        if exc.code == "not_approver":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        if exc.code == "wrong_stage":
            # 409 because the request moved on or has not reached this approver yet. The page shows its stage.
            absence.refresh_from_db()
            return _render_detail(request, absence, status=409)
        return redirect("absences:detail", code=absence.code)
    messages.success(
        request,
        _("Request %(code)s is now: %(status)s.")
        % {"code": absence.code, "status": absence.get_status_display()},
    )
    return redirect("absences:inbox")


@login_required
def approval_inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "absences/inbox.html",
        {
            "requests": open_requests_for_approver(actor=request.user),
            "manages_delegations": effective_role(request.user) in DELEGATION_ROLES,
        },
    )


@login_required
def employee_calendar(request: HttpRequest, employee_pk: int, year: int) -> HttpResponse:
    if not year_supported(year):
        raise Http404(_("Year %(year)s is outside %(first)s-%(last)s.")
                      % {"year": year, "first": FIRST_YEAR, "last": LAST_YEAR})
    employee = get_scoped_or_404(
        user=request.user, queryset=Employee.objects.select_related("unit"), pk=employee_pk
    )
    absences = list(
        selectors.absences_for(user=request.user)
        .filter(
            employee=employee,
            start_date__lte=dt.date(year, 12, 31),
            end_date__gte=dt.date(year, 1, 1),
        )
        .exclude(status__in=[RequestStatus.REJECTED, RequestStatus.CANCELLED])
    )
    months = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        days = []
        day = first
        while day.month == month:
            covering = next((item for item in absences if item.start_date <= day <= item.end_date), None)
            days.append({"date": day, "absence": covering, "weekend": day.weekday() >= 5})
            day += dt.timedelta(days=1)
        months.append({"first": first, "days": days})
    return render(
        request,
        "absences/calendar.html",
        {
            "employee": employee,
            "year": year,
            "months": months,
            "absences": absences,
            "balance": leave_balance(employee=employee, year=year),
        },
    )


@login_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    if not request.user.employee_id:
        raise Http404
    return redirect("absences:calendar", employee_pk=request.user.employee_id, year=timezone.localdate().year)


@login_required
def timeliness_report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        start = (
            dt.date.fromisoformat(request.GET.get("from", ""))
            if request.GET.get("from")
            else today.replace(day=1)
        )
        end = dt.date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
    except ValueError:
        messages.error(request, _("Invalid date; use YYYY-MM-DD."))
        start, end = today.replace(day=1), today
    rows = selectors.entry_timeliness(user=request.user, start=start, end=end)
    return render(request, "absences/timeliness.html", {"rows": rows, "start": start, "end": end})


def _check_delegation_manager(user) -> None:
    if effective_role(user) not in DELEGATION_ROLES:
        raise PermissionDenied(_("Only Admin BKD and the Verifikator of the OPD manage delegations."))


@login_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    """List the delegations the user manages and create a new one (Admin BKD, Verifikator)."""
    _check_delegation_manager(request.user)
    form = DelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation = delegation_create(actor=request.user, **data)
        except AbsenceError as exc:
            form.add_error(None, _form_error(exc))
        else:
            messages.success(
                request,
                _("%(name)s acts as %(role)s from %(start)s to %(end)s.")
                % {
                    "name": delegation.acting.full_name,
                    "role": delegation.get_role_display(),
                    "start": delegation.valid_from,
                    "end": delegation.valid_to,
                },
            )
            return redirect("absences:delegations")
    return render(
        request,
        "absences/delegations.html",
        {"form": form, "delegations": selectors.delegations_for(user=request.user)},
    )


@login_required
@require_POST
def delegation_stop(request: HttpRequest, pk: int) -> HttpResponse:
    _check_delegation_manager(request.user)
    delegation = get_object_or_404(selectors.delegations_for(user=request.user), pk=pk)
    try:
        delegation_end(delegation=delegation, actor=request.user)
    except AbsenceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The delegation to %(name)s has ended.") % {"name": delegation.acting.full_name}
        )
    return redirect("absences:delegations")
