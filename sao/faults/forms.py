"""Forms of the fault screens. They parse input, and the services check the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from sao.devices.forms import BootstrapForm
from sao.faults.models import REPORTED_CAUSES, FaultStatus

# Largest photo or evidence scan accepted, in bytes.
MAX_FILE_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
# Words accepted for the state column of a presence line.
STATE_WORDS = {"in": 0, "masuk": 0, "0": 0, "out": 1, "pulang": 1, "1": 1}


def _check_size(upload) -> None:
    if upload is not None and upload.size > MAX_FILE_BYTES:
        raise forms.ValidationError(
            _("%(name)s is %(size)s bytes; the limit is %(limit)s bytes."),
            code="too_large",
            params={"name": upload.name, "size": upload.size, "limit": MAX_FILE_BYTES},
        )


class FaultReportForm(BootstrapForm):
    device = forms.ModelChoiceField(label=_("Device"), queryset=None)
    cause = forms.ChoiceField(label=_("Fault type"),
                              choices=[(cause.value, cause.label) for cause in REPORTED_CAUSES])
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    stated_started_at = forms.DateTimeField(
        label=_("Failure started at (device local time)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        _check_size(photo)
        return photo

    def stated_start(self, zone) -> dt.datetime | None:
        """Return the stated start as an instant, reading the entered wall time in `zone`."""
        value = self.cleaned_data.get("stated_started_at")
        if value is None:
            return None
        return value.replace(tzinfo=None).replace(tzinfo=zone)


class TransitionForm(BootstrapForm):
    to_status = forms.ChoiceField(label=_("New status"), choices=FaultStatus.choices)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PresenceForm(BootstrapForm):
    """Bulk presence for lost punches: one line per time, `NIP,HH:MM,in` or `NIP,HH:MM,out`."""

    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    lines = forms.CharField(
        label=_("Presence lines (NIP,HH:MM,in|out)"), widget=forms.Textarea(attrs={"rows": 8}))
    evidence = forms.FileField(label=_("Attendance sheet scan (PDF, JPG or PNG)"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_evidence(self):
        evidence = self.cleaned_data["evidence"]
        _check_size(evidence)
        if not evidence.name.lower().endswith(EVIDENCE_EXTENSIONS):
            raise forms.ValidationError(
                _("%(name)s is not a PDF, JPG or PNG file; upload the scan in one of those."),
                code="bad_type", params={"name": evidence.name})
        return evidence

    def clean_lines(self) -> list[tuple[str, dt.time, int]]:
        parsed = []
        errors = []
        for number, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not text.strip():
                continue
            parts = [part.strip() for part in text.split(",")]
            if len(parts) != 3:
                errors.append(forms.ValidationError(
                    _("Line %(line)s (%(text)s) needs three values: NIP,HH:MM,in|out."),
                    code="bad_line", params={"line": number, "text": text}))
                continue
            nip, time_text, state_text = parts
            try:
                time = dt.time.fromisoformat(time_text)
            except ValueError:
                errors.append(forms.ValidationError(
                    _("Line %(line)s: %(value)s is not a time; write it as HH:MM."),
                    code="bad_time", params={"line": number, "value": time_text}))
                continue
            state = STATE_WORDS.get(state_text.lower())
            if state is None:
                errors.append(forms.ValidationError(
                    _("Line %(line)s: %(value)s is not in or out."),
                    code="bad_state", params={"line": number, "value": state_text}))
                continue
            parsed.append((nip, time, state))
        if errors:
            raise forms.ValidationError(errors)
        if not parsed:
            raise forms.ValidationError(_("Enter at least one presence line."), code="empty")
        return parsed


class DecisionForm(BootstrapForm):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(label=_("Decision"),
                                 choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
