from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sao.absences.models import AbsenceType, ApprovalStep, Delegation, StepAction
from sao.org.models import Employee, Unit

# Evidence scans (letters, doctor's notes) are photos or PDFs of one or two pages.
EVIDENCE_MAX_BYTES = 5 * 2**20
EVIDENCE_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")


def _check_evidence(upload):
    if upload is None:
        return upload
    if upload.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError(
            _("The file is %(size)s KB; the limit is %(limit)s KB. Scan it at a lower resolution."),
            code="too_large",
            params={"size": upload.size // 1024, "limit": EVIDENCE_MAX_BYTES // 1024},
        )
    if not upload.name.lower().endswith(EVIDENCE_SUFFIXES):
        raise forms.ValidationError(
            _("File %(name)s is not a PDF, JPG or PNG scan."), code="file_type", params={"name": upload.name}
        )
    return upload


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class DateInput(forms.DateInput):
    input_type = "date"


class AbsenceRequestForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=Employee.objects.none())
    absence_type = forms.ModelChoiceField(label=_("Absence type"), queryset=AbsenceType.objects.none())
    start_date = forms.DateField(label=_("From"), widget=DateInput)
    end_date = forms.DateField(label=_("To"), widget=DateInput)
    start_time = forms.TimeField(
        label=_("From time (ijin by hours)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("To time (ijin by hours)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    reference = forms.CharField(label=_("Surat tugas / SPPD number"), required=False, max_length=100)
    destination = forms.CharField(label=_("Destination"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("Evidence file (letter or doctor's note)"), required=False)

    def __init__(self, *args, employees, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = employees
        self.fields["absence_type"].queryset = types
        _style(self)

    def clean_evidence(self):
        return _check_evidence(self.cleaned_data.get("evidence"))


class TravelGroupForm(forms.Form):
    # The searchable picker fills this field with one hidden input per chosen employee. The
    # queryset is the operator's scope, so an id outside it fails validation.
    employees = forms.ModelMultipleChoiceField(
        label=_("Employees travelling together"),
        queryset=Employee.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Add at least one employee with the search above."),
            "invalid_choice": _("An employee on the list is outside your scope or no longer active; "
                                "remove them and search again."),
            "invalid_pk_value": _("The employee list is damaged; reload the page and add the "
                                  "employees again with the search above."),
        },
    )
    absence_type = forms.ModelChoiceField(label=_("Absence type"), queryset=AbsenceType.objects.none())
    start_date = forms.DateField(label=_("From"), widget=DateInput)
    end_date = forms.DateField(label=_("To"), widget=DateInput)
    reference = forms.CharField(label=_("Surat tugas / SPPD number"), max_length=100)
    destination = forms.CharField(label=_("Destination"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("Scanned surat tugas"), required=False)

    def __init__(self, *args, employees, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employees"].queryset = employees
        self.fields["absence_type"].queryset = types
        _style(self)

    def clean_evidence(self):
        return _check_evidence(self.cleaned_data.get("evidence"))


class ResubmitForm(forms.Form):
    """The fields an entrant may correct when a request comes back for changes."""

    start_date = forms.DateField(label=_("From"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(label=_("To"),
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Letter number"), required=False, max_length=100)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            (StepAction.APPROVE, _("Approve")),
            (StepAction.REJECT, _("Reject")),
            (StepAction.CHANGE, _("Ask for a change")),
        ]
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DelegationForm(forms.Form):
    """A Plt/Plh delegation; people are named by NIP (or NIK) and the unit by its code."""

    role = forms.ChoiceField(label=_("Delegated role"), choices=ApprovalStep.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Delegation.Kind.choices, initial=Delegation.Kind.PLH)
    official = forms.CharField(
        label=_("NIP of the official (atasan) whose role is delegated"), required=False, max_length=18
    )
    unit = forms.CharField(
        label=_("Code of the unit the acting Verifikator covers"), required=False, max_length=40
    )
    acting = forms.CharField(label=_("NIP of the acting official (Plt/Plh)"), max_length=18)
    valid_from = forms.DateField(label=_("From"), widget=DateInput)
    valid_to = forms.DateField(label=_("To"), widget=DateInput)
    decree = forms.CharField(label=_("Decree or memo number"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def _employee(self, field: str) -> Employee | None:
        value = self.cleaned_data.get(field, "").strip()
        if not value:
            return None
        employee = Employee.objects.filter(nip=value).first() or Employee.objects.filter(nik=value).first()
        if employee is None:
            raise forms.ValidationError(
                _("No employee has NIP or NIK %(value)s; check the number."),
                code="not_found",
                params={"value": value},
            )
        return employee

    def clean_official(self):
        return self._employee("official")

    def clean_acting(self):
        return self._employee("acting")

    def clean_unit(self):
        value = self.cleaned_data.get("unit", "").strip()
        if not value:
            return None
        unit = Unit.objects.filter(code=value).first()
        if unit is None:
            raise forms.ValidationError(
                _("No unit has code %(value)s; check the code on the Units page."),
                code="not_found",
                params={"value": value},
            )
        return unit
