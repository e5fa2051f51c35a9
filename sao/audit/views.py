"""The audit search screen: read-only, paginated, limited to the reader's scope.

BKD reads every entry. Other roles read the entries about employees and absence requests inside
their scope. Unit operators, verifiers and agency heads also read the entries about the units of
their subtree and the devices, PIN mappings, fault tickets, manual presence and month closes of
those units. Entries about other object types (policy versions, holidays) are BKD's only.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from sao.audit.display import page_changes
from sao.audit.models import AuditEntry
from sao.org.models import Employee, Unit
from sao.org.scope import PROVINCE_ROLES, SUBTREE_ROLES, effective_role, scope_queryset

PAGE_SIZE = 50
EMPLOYEE_TYPE = "org.employee"
ABSENCE_TYPE = "absences.absencerequest"


class AuditSearchForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    employee = forms.CharField(label=_("Employee (NIP or name)"), required=False, max_length=150)
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


def _object_filter(employees, user) -> Q:
    """Return the filter of entries about the given employees and their absence requests.

    Object ids are stored as text, so the id subqueries are cast to text to stay in the database.
    """
    from sao.absences.models import AbsenceRequest

    employee_ids = employees.annotate(text_id=Cast("pk", CharField())).values("text_id")
    request_ids = (
        scope_queryset(user=user, queryset=AbsenceRequest.objects.filter(employee__in=employees))
        .annotate(text_id=Cast("pk", CharField()))
        .values("text_id")
    )
    return Q(object_type=EMPLOYEE_TYPE, object_id__in=employee_ids) | Q(
        object_type=ABSENCE_TYPE, object_id__in=request_ids
    )


# Object types whose rows belong to a unit: (app_label.model, lookups from the row to its unit).
# A PIN mapping is bound to a device or, for a unit-wide PIN, directly to a unit.
UNIT_OBJECTS = (
    ("org.unit", ("pk",)),
    ("devices.device", ("unit",)),
    ("devices.pinmapping", ("device__unit", "unit")),
    ("faults.faultticket", ("unit",)),
    ("faults.manualpresencebatch", ("unit",)),
    ("attendance.monthclose", ("unit",)),
)


def _unit_object_filter(units) -> Q:
    """Return the filter of entries about the units given and the rows that belong to them."""
    from django.apps import apps

    condition = Q(pk__in=[])
    for object_type, lookups in UNIT_OBJECTS:
        model = apps.get_model(object_type)
        belongs = Q(pk__in=[])
        for lookup in lookups:
            belongs |= Q(**{f"{lookup}__in": units})
        rows = model._default_manager.filter(belongs)
        ids = rows.annotate(text_id=Cast("pk", CharField())).values("text_id")
        condition |= Q(object_type=object_type, object_id__in=ids)
    return condition


def audit_entries_for(
    *,
    user,
    unit=None,
    employee: str = "",
    actor: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """Return the audit entries the user may read that match the filters, newest first."""
    entries = AuditEntry.objects.select_related("actor")
    is_bkd = effective_role(user) in PROVINCE_ROLES

    if not is_bkd or unit is not None or employee:
        employees = scope_queryset(user=user, queryset=Employee.objects.all())
        if unit is not None:
            employees = employees.filter(unit__path__startswith=unit.path)
        if employee:
            employees = employees.filter(Q(nip=employee) | Q(name__icontains=employee))
        condition = _object_filter(employees, user)

        reads_units = is_bkd or effective_role(user) in SUBTREE_ROLES
        if reads_units and not employee:
            units = scope_queryset(user=user, queryset=Unit.objects.all())
            if unit is not None:
                units = units.filter(path__startswith=unit.path)
            condition |= _unit_object_filter(units)
        entries = entries.filter(condition)
    if actor:
        entries = entries.filter(Q(actor__username__icontains=actor) | Q(actor_label__icontains=actor))
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries


@login_required
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    units = scope_queryset(user=request.user, queryset=Unit.objects.all())
    form = AuditSearchForm(request.GET or None, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries_for(
        user=request.user,
        unit=filters.get("unit"),
        employee=(filters.get("employee") or "").strip(),
        actor=(filters.get("actor") or "").strip(),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": page_changes(page.object_list), "query": query.urlencode()}
    template = "audit/_entry_rows.html" if getattr(request, "htmx", False) else "audit/search.html"
    return render(request, template, context)
