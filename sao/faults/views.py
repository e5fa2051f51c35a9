"""Fault screens: BKD's board, the unit's tickets, a ticket, a device's history, the monthly report.

Every read goes through the selectors, which apply the unit scope (404 outside it). Unit and
BKD operators report faults and enter presence. BKD moves tickets, and the verifier approves
manual presence. Other roles inside the scope get 403.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sao.devices.selectors import device_get, device_list
from sao.faults import selectors, services
from sao.faults.forms import DecisionForm, FaultReportForm, PresenceForm, TransitionForm
from sao.faults.models import OPEN_STATUSES, TRANSITIONS, FaultStatus
from sao.org.models import Employee, Role
from sao.org.scope import effective_role, scope_queryset

REPORTER_ROLES = frozenset({Role.OPERATOR_UNIT, Role.OPERATOR_BKD, Role.ADMIN_BKD})
RESPONDER_ROLES = frozenset({Role.OPERATOR_BKD, Role.ADMIN_BKD})
APPROVER_ROLES = frozenset({Role.VERIFIER, Role.ADMIN_BKD})
WITA = ZoneInfo("Asia/Makassar")


def _require(request: HttpRequest, roles: frozenset) -> None:
    if effective_role(request.user) not in roles:
        raise PermissionDenied


@login_required
def board(request: HttpRequest) -> HttpResponse:
    rows = selectors.fault_board(user=request.user, now=timezone.now())
    unit_code = request.GET.get("unit", "")
    if unit_code:
        rows = [row for row in rows if row.ticket.unit.code == unit_code]
    units = sorted({(row.ticket.unit.code, row.ticket.unit.name) for row in rows})
    context = {"rows": rows, "units": units, "unit_code": unit_code}
    template = "faults/_board_rows.html" if request.htmx else "faults/board.html"
    return render(request, template, context)


@login_required
def unit_tickets(request: HttpRequest) -> HttpResponse:
    can_report = effective_role(request.user) in REPORTER_ROLES
    form = FaultReportForm(request.POST or None, request.FILES or None,
                           devices=device_list(user=request.user))
    if request.method == "POST":
        _require(request, REPORTER_ROLES)
        if form.is_valid():
            device = form.cleaned_data["device"]
            try:
                ticket = services.fault_report(
                    device=device, actor=request.user, cause=form.cleaned_data["cause"],
                    description=form.cleaned_data["description"], now=timezone.now(),
                    stated_started_at=form.stated_start(device.zone),
                    photo=form.cleaned_data.get("photo"))
            except services.FaultError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Fault reported as ticket #%(id)s.") % {"id": ticket.pk})
                return redirect("faults:ticket_detail", pk=ticket.pk)

    tickets = selectors.tickets_visible(user=request.user).order_by("-opened_at", "-id")[:200]
    return render(request, "faults/unit_tickets.html",
                  {"tickets": tickets, "form": form, "can_report": can_report})


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    role = effective_role(request.user)
    next_statuses = [(status, FaultStatus(status).label) for status in FaultStatus
                     if status in TRANSITIONS[ticket.status]]
    context = {
        "ticket": ticket,
        "history": selectors.ticket_history(ticket=ticket),
        "outages": selectors.ticket_outages(ticket=ticket),
        "batches": selectors.ticket_presence_batches(ticket=ticket),
        "next_statuses": next_statuses if role in RESPONDER_ROLES else [],
        "can_enter_presence": role in REPORTER_ROLES and ticket.outages.exists(),
        "can_decide": role in APPROVER_ROLES,
    }
    return render(request, "faults/ticket_detail.html", context)


@login_required
@require_POST
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    _require(request, RESPONDER_ROLES)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("faults:ticket_detail", pk=ticket.pk)
    try:
        services.fault_transition(ticket=ticket, to_status=form.cleaned_data["to_status"],
                                  actor=request.user, now=timezone.now(),
                                  note=form.cleaned_data["note"])
    except services.FaultError as exc:
        messages.error(request, str(exc))
    return redirect("faults:ticket_detail", pk=ticket.pk)


@login_required
def presence_enter(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    _require(request, REPORTER_ROLES)
    form = PresenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        zone = ticket.device.zone
        nips = {nip for nip, _time, _state in data["lines"]}
        employees = dict(scope_queryset(user=request.user, queryset=Employee.objects.filter(
            nip__in=nips)).values_list("nip", "pk"))
        unknown = sorted(nips - set(employees))
        if unknown:
            form.add_error("lines", _("NIP %(nips)s not found in your units.")
                           % {"nips": ", ".join(unknown)})
        else:
            lines = [services.PresenceLine(employee_id=employees[nip],
                                           instant=dt.datetime.combine(data["day"], time, zone),
                                           state=state)
                     for nip, time, state in data["lines"]]
            try:
                batch = services.presence_batch_create(
                    ticket=ticket, actor=request.user, evidence=data["evidence"],
                    reason=data["reason"], lines=lines, now=timezone.now())
            except services.FaultError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(count)s presence times sent to the verifier as batch "
                                            "#%(id)s.") % {"count": len(lines), "id": batch.pk})
                return redirect("faults:ticket_detail", pk=ticket.pk)
    return render(request, "faults/presence_form.html", {"ticket": ticket, "form": form})


@login_required
@require_POST
def presence_decide(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.presence_batch_get(user=request.user, pk=pk)
    _require(request, APPROVER_ROLES)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("faults:ticket_detail", pk=batch.ticket_id)
    if batch.entered_by_id == request.user.pk:
        raise PermissionDenied
    try:
        services.presence_batch_decide(
            batch=batch, actor=request.user, now=timezone.now(),
            approve=form.cleaned_data["decision"] == DecisionForm.APPROVE,
            note=form.cleaned_data["note"])
    except services.FaultError as exc:
        messages.error(request, str(exc))
    return redirect("faults:ticket_detail", pk=batch.ticket_id)


@login_required
def device_history(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_get(user=request.user, pk=pk)
    tickets = selectors.device_fault_history(user=request.user, device=device)
    return render(request, "faults/device_history.html", {"device": device, "tickets": tickets,
                                                           "open_statuses": OPEN_STATUSES})


def _month_start(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        return timezone.now().astimezone(WITA).date().replace(day=1)


@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    first = _month_start(request.GET.get("month", ""))
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0), WITA)
    end = dt.datetime.combine(following, dt.time(0), WITA)
    rows = selectors.monthly_report(user=request.user, start=start, end=end)
    return render(request, "faults/monthly_report.html",
                  {"rows": rows, "month": first.strftime("%Y-%m"), "first": first})


def _file_response(field) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=False, filename=field.name.rsplit("/", 1)[-1])


@login_required
def ticket_photo(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a ticket's photo to users who may read the ticket, never from a public folder."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    return _file_response(ticket.photo)


@login_required
def presence_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Serve the attendance sheet scan of a presence batch to users who may read the batch."""
    batch = selectors.presence_batch_get(user=request.user, pk=pk)
    return _file_response(batch.evidence)
