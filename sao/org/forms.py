from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sao.org.models import EmployeeKind, LegalStatus


class EmployeeFilterForm(forms.Form):
    q = forms.CharField(label=_("NIP, NIK or name"), required=False)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Employee kind"), required=False,
                             choices=[("", _("All kinds")), *EmployeeKind.choices])
    status = forms.ChoiceField(label=_("Legal status"), required=False,
                               choices=[("", _("All statuses")), *LegalStatus.choices])


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Employee file (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.SAO_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB. Split it by unit."),
                code="too_large",
                params={"size": upload.size // 2**20, "limit": settings.SAO_IMPORT_MAX_BYTES // 2**20},
            )
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(
                _("File %(name)s is neither .csv nor .xlsx; export the SIMPEG data in one of them."),
                code="file_type", params={"name": upload.name},
            )
        return upload
