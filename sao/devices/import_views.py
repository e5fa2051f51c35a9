"""Screens to upload a punch file and follow its background import with a progress bar."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sao.devices.fileformats import DateOrder, FileFormat
from sao.devices.files import ImportStatus, punch_file_store
from sao.devices.models import Device, DeviceStatus, QuarantineReason, RawUpload, UploadSource
from sao.devices.tasks import ImportState, import_progress_get, import_progress_set, punch_file_import_task
from sao.org.models import Unit
from sao.org.scope import can_edit_master, scope_queryset


def devices_for(user) -> QuerySet:
    """Return the active devices of the units the user may read."""
    units = scope_queryset(user=user, queryset=Unit.objects.all())
    return Device.objects.filter(status=DeviceStatus.ACTIVE, unit__in=units).order_by("serial")


class PunchFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    device = forms.ModelChoiceField(queryset=Device.objects.none(), label=gettext_lazy("Device"),
                                    to_field_name="serial")
    file_format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FileFormat.choices,
                                    initial=FileFormat.AUTO)
    date_order = forms.ChoiceField(
        label=gettext_lazy("Date order of text dates"), required=False,
        choices=[("", gettext_lazy("Not declared (the import stops if a date like 04/03/2024 appears)")),
                 *DateOrder.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices_for(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SAO_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file has %(size)s bytes; the limit is %(limit)s. Split it and upload the parts.")
                % {"size": upload.size, "limit": limit}, code="too_large")
        return upload


def _require_importer(request: HttpRequest) -> None:
    if not can_edit_master(request.user):
        raise PermissionDenied(_("Only BKD and unit operators can import punch files."))


def _upload_for(request: HttpRequest, pk: int) -> RawUpload:
    devices = devices_for(request.user)
    try:
        return RawUpload.objects.select_related("device").get(
            pk=pk, source=UploadSource.FILE, device__in=devices)
    except RawUpload.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def punch_import(request: HttpRequest) -> HttpResponse:
    """Upload form; the bytes are stored at once and a background job imports them."""
    _require_importer(request)
    form = PunchFileForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        upload = punch_file_store(
            data=uploaded.read(), filename=uploaded.name, serial=form.cleaned_data["device"].serial,
            file_format=form.cleaned_data["file_format"],
            date_order=form.cleaned_data["date_order"] or None,
            content_type=uploaded.content_type or "")
        import_progress_set(upload.pk, state=ImportState.QUEUED, done=0, total=0)
        punch_file_import_task(upload.pk)
        return redirect("devices:punch_import_status", pk=upload.pk)

    recent = RawUpload.objects.filter(source=UploadSource.FILE, device__in=devices_for(request.user)
                                      ).select_related("device")[:10]
    return render(request, "devices/import_punches.html", {"form": form, "recent": recent})


def _percent(state: str, done: int, total: int) -> int:
    if state == ImportState.DONE:
        return 100
    if not total:
        return 0
    return int(done * 100 / total)


def _progress_context(upload: RawUpload) -> dict:
    progress = import_progress_get(upload.pk) or {}
    state = progress.get("state")
    if state is None:
        # The job's progress entry is gone (storage cleared); the ledger still has the counts.
        state = ImportState.DONE if upload.parsed_at or upload.parse_error else ImportState.QUEUED
    total = progress.get("total") or 0
    done = progress.get("done") or 0
    summary = progress.get("summary")
    reasons = dict(QuarantineReason.choices)
    quarantined = []
    if summary:
        quarantined = [(code, reasons.get(code, code), lines)
                       for code, lines in sorted(summary["quarantined_by_reason"].items())]
    return {
        "upload": upload,
        "state": state,
        "running": state in (ImportState.QUEUED, ImportState.RUNNING),
        "done": done,
        "total": total,
        "percent": _percent(state, done, total),
        "summary": summary,
        "status_label": ImportStatus(summary["status"]).label if summary else "",
        "quarantined": quarantined,
        "error": progress.get("error") or upload.parse_error,
    }


@login_required
def punch_import_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require_importer(request)
    upload = _upload_for(request, pk)
    return render(request, "devices/import_status.html", _progress_context(upload))


@login_required
def punch_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Render the progress fragment that the status page polls with htmx until the job ends."""
    _require_importer(request)
    upload = _upload_for(request, pk)
    return render(request, "devices/import_progress.html", _progress_context(upload))


# Mounted under /devices/ by sao/devices/urls.py (app namespace "devices").
import_urlpatterns = [
    path("import/", punch_import, name="punch_import"),
    path("import/<int:pk>/", punch_import_status, name="punch_import_status"),
    path("import/<int:pk>/progress/", punch_import_progress, name="punch_import_progress"),
]
