"""Validation of report parameters from the query string."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from sao.reports.exports import FORMATS
from sao.reports.rates import RATE_CODES, RATE_LABELS


class MonthField(forms.CharField):
    """A month written YYYY-MM, cleaned to its first day."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError as exc:
            raise forms.ValidationError(
                _("Invalid month %(value)s; write it as YYYY-MM, for example 2026-04."),
                code="month",
                params={"value": value},
            ) from exc


class ReportForm(forms.Form):
    unit = forms.CharField(required=False, max_length=40, label=_("Unit code"))
    date = forms.DateField(required=False, label=_("Date"))
    start = forms.DateField(required=False, label=_("From"))
    end = forms.DateField(required=False, label=_("To"))
    month = MonthField(required=False, label=_("Month"))
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label=_("Year"))
    rate = forms.ChoiceField(
        required=False, choices=[(code, RATE_LABELS[code]) for code in RATE_CODES], label=_("Rate")
    )
    format = forms.ChoiceField(required=False, choices=[(code, code.upper()) for code in FORMATS])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The start date %(start)s is after the end date %(end)s; swap them."),
                code="range",
                params={"start": start, "end": end},
            )
        if start and end and (end - start).days > 366:
            raise forms.ValidationError(
                _("The period %(start)s – %(end)s is longer than a year; choose at most 366 days."),
                code="range",
                params={"start": start, "end": end},
            )
        return cleaned
