from django import forms
from django.utils.translation import gettext_lazy as _

from sao.devices.models import CommandKind, TimeZoneFormat
from sao.org.models import TIME_ZONE_CHOICES


class BootstrapForm(forms.Form):
    """A form whose widgets carry the Bootstrap 5 classes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class DeviceAcceptForm(BootstrapForm):
    """Accept a pending device into one of the units the operator manages."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  choices=[("", _("Same as the unit")), *TIME_ZONE_CHOICES])
    time_zone_format = forms.ChoiceField(label=_("TimeZone option format"),
                                         choices=TimeZoneFormat.choices,
                                         initial=TimeZoneFormat.HOURS)
    commissioned_on = forms.DateField(label=_("Commissioned on"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class PinMapForm(BootstrapForm):
    """Map an unknown PIN of a device to an employee, on that device or on its whole unit."""

    TARGET_DEVICE = "device"
    TARGET_UNIT = "unit"

    device = forms.IntegerField(widget=forms.HiddenInput)
    pin = forms.CharField(max_length=32, widget=forms.HiddenInput)
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=None)
    target = forms.ChoiceField(
        label=_("Applies to"), initial=TARGET_UNIT,
        choices=[(TARGET_UNIT, _("Every device of the device's unit")),
                 (TARGET_DEVICE, _("This device only"))],
    )
    valid_from = forms.DateField(label=_("Valid from"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, employees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = employees


# HTML datetime inputs need ISO values whatever the active locale's date format is.
LOCAL_DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CommandForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Command"), choices=CommandKind.choices)
    start = forms.DateTimeField(label=_("From (device time)"), required=False,
                                widget=LOCAL_DATETIME_INPUT)
    end = forms.DateTimeField(label=_("Until (device time)"), required=False,
                              widget=LOCAL_DATETIME_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("kind") == CommandKind.ATTLOG_QUERY:
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(
                    _("A punch query needs a start and an end time."), code="range_missing")
            if end < start:
                raise forms.ValidationError(
                    _("The end time is before the start time."), code="range_reversed")
        return data
