"""Screens of the organisation master: unit tree, employee list and detail, employee import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sao.org import selectors
from sao.org.forms import EmployeeFilterForm, ImportUploadForm
from sao.org.importing.common import ImportFileError
from sao.org.importing.employees import describe_changes, employees_apply, employees_plan
from sao.org.models import ImportBatch
from sao.org.scope import can_edit_master

PAGE_SIZE = 50
# The preview lists at most this many changes and rejected rows; the counts cover them all.
PREVIEW_LIMIT = 200


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    roots = selectors.unit_tree(user=request.user)
    return render(request, "org/unit_tree.html", {"roots": roots})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_detail(user=request.user, pk=pk)
    return redirect(f"{_employee_list_url()}?unit={unit.pk}")


def _employee_list_url() -> str:
    from django.urls import reverse

    return reverse("org:employee_list")


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    form = EmployeeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    unit = None
    if filters.get("unit"):
        unit = selectors.unit_detail(user=request.user, pk=filters["unit"])

    employees = selectors.employees_for(
        user=request.user, search=filters.get("q", ""), unit=unit,
        kind=filters.get("kind", ""), legal_status=filters.get("status", ""),
    )
    page = Paginator(employees, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "unit": unit}
    template = "org/_employee_rows.html" if request.htmx else "org/employee_list.html"
    return render(request, template, context)


@login_required
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employee = selectors.employee_detail(user=request.user, pk=pk)
    subordinates = selectors.employees_for(user=request.user).filter(supervisor=employee)
    return render(request, "org/employee_detail.html",
                  {"employee": employee, "subordinates": subordinates})


def _require_editor(request: HttpRequest) -> None:
    if not can_edit_master(request.user):
        raise PermissionDenied


@login_required
def employee_import(request: HttpRequest) -> HttpResponse:
    """Upload a SIMPEG/SIASN file; the bytes are kept and the preview page shows the plan."""
    _require_editor(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        batch = ImportBatch.objects.create(
            kind="employees", uploaded_by=request.user, filename=upload.name, data=data,
            size=len(data),
        )
        return redirect("org:employee_import_preview", pk=batch.pk)
    batches = ImportBatch.objects.filter(uploaded_by=request.user)[:10]
    return render(request, "org/employee_import.html", {"form": form, "batches": batches})


def _batch_for(request: HttpRequest, pk: int) -> ImportBatch:
    """Return an upload of the current user; another user's upload is 404, even for Admin BKD."""
    try:
        return ImportBatch.objects.get(pk=pk, uploaded_by=request.user)
    except ImportBatch.DoesNotExist as exc:
        raise Http404 from exc


def _plan_in_scope(request: HttpRequest, plan):
    """Reject rows that would touch a unit or an employee outside the operator's scope."""
    from sao.org.importing.common import RowError

    units = set(selectors.units_for(user=request.user).values_list("pk", flat=True))
    visible = set(selectors.employees_for(user=request.user).values_list("pk", flat=True))
    kept = []
    for row in plan.rows:
        if row.unit.pk not in units:
            plan.errors.append(RowError(
                row.line, "kode_unit", row.unit.code,
                _("Unit %(code)s is outside your scope; ask a BKD operator to import this row.")
                % {"code": row.unit.code},
                "unit_out_of_scope",
            ))
        elif row.employee is not None and row.employee.pk not in visible:
            plan.errors.append(RowError(
                row.line, "nip", row.key,
                _("Employee %(key)s belongs to a unit outside your scope; a transfer in must be "
                  "entered by BKD.") % {"key": row.key},
                "employee_out_of_scope",
            ))
        else:
            kept.append(row)
    plan.rows = kept
    plan.errors.sort(key=lambda error: error.line)
    return plan


@login_required
def employee_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    batch = _batch_for(request, pk)
    try:
        plan = _plan_in_scope(request, employees_plan(data=bytes(batch.data),
                                                      filename=batch.filename))
    except ImportFileError as exc:
        return render(request, "org/employee_import_preview.html",
                      {"batch": batch, "file_error": exc}, status=422)
    changed = [row for row in plan.rows if row.action != "unchanged"]
    shown_changes = [(row, describe_changes(row.changes)) for row in changed[:PREVIEW_LIMIT]]
    return render(request, "org/employee_import_preview.html", {
        "batch": batch, "plan": plan, "changed": changed, "shown_changes": shown_changes,
        "shown_errors": plan.errors[:PREVIEW_LIMIT], "preview_limit": PREVIEW_LIMIT,
    })


@login_required
@require_POST
def employee_import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    batch = _batch_for(request, pk)
    if batch.status != ImportBatch.Status.PREVIEWED:
        messages.warning(request, _("This file was already applied or discarded."))
        return redirect("org:employee_import")

    try:
        plan = _plan_in_scope(request, employees_plan(data=bytes(batch.data),
                                                      filename=batch.filename))
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("org:employee_import_preview", pk=batch.pk)
    result = employees_apply(plan=plan, actor=request.user)

    batch.status = ImportBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.summary = {"created": result.created, "updated": result.updated,
                     "unchanged": result.unchanged, "rejected": len(result.errors)}
    batch.save(update_fields=["status", "applied_at", "summary"])
    messages.success(request, _(
        "Import applied: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
        "%(rejected)s rejected."
    ) % batch.summary)
    return redirect("org:employee_import")
