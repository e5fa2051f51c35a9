"""Operator screens of the devices app: registry, pending devices, unknown PINs, commands.

Every read goes through the selectors, which apply the unit scope (404 outside it). Changes
are open to the roles that edit the master data (BKD admin and operator, unit operator)
and go through the audited services. Accepting a pending device is a BKD decision.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sao.devices import selectors, services
from sao.devices.forms import CommandForm, DeviceAcceptForm, PinMapForm
from sao.devices.models import Device, DeviceStatus, Punch
from sao.org.models import Employee, Unit
from sao.org.scope import can_edit_master, scope_queryset


def _require_editor(request: HttpRequest) -> None:
    if not can_edit_master(request.user):
        raise PermissionDenied


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(device, device.is_online(now=now)) for device in selectors.device_list(
        user=request.user)]
    context = {"rows": rows, "pending_count": selectors.pending_devices().count()
               if can_edit_master(request.user) else 0}
    template = "devices/_device_rows.html" if request.htmx else "devices/device_list.html"
    return render(request, template, context)


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    context = {
        "device": device,
        "online": device.is_online(now=timezone.now()),
        "uploads": selectors.device_uploads(device=device),
        "quarantine": selectors.device_quarantine(device=device),
        "alerts": selectors.device_alerts(device=device),
        "user_count": device.users.count(),
        "can_manage": can_edit_master(request.user),
    }
    return render(request, "devices/device_detail.html", context)


@login_required
def device_commands(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(user=request.user, pk=pk)
    can_manage = can_edit_master(request.user)
    form = CommandForm(request.POST or None)

    if request.method == "POST":
        _require_editor(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                commands = services.device_command_queue(
                    device=device, kind=data["kind"], actor=request.user,
                    start=data.get("start"), end=data.get("end"))
            except services.DeviceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(count)s command(s) queued for %(serial)s.")
                                 % {"count": len(commands), "serial": device.serial})
                return redirect("devices:device_commands", pk=device.pk)

    context = {"device": device, "commands": selectors.device_commands(device=device, user=request.user),
               "form": form, "can_manage": can_manage}
    return render(request, "devices/device_commands.html", context)


@login_required
@require_POST
def device_resync(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    device = selectors.device_get(user=request.user, pk=pk)
    services.device_resync_request(device=device, actor=request.user,
                                   reason=request.POST.get("reason", ""))
    messages.success(request, _("Device %(serial)s will re-send its stored punches after its "
                                "next handshake.") % {"serial": device.serial})
    return redirect("devices:device_detail", pk=device.pk)


@login_required
@require_POST
def device_clock_trust(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    device = selectors.device_get(user=request.user, pk=pk)
    services.device_clock_trust(device=device, actor=request.user,
                                reason=request.POST.get("reason", ""))
    messages.success(request, _("The clock of device %(serial)s is marked as checked.")
                     % {"serial": device.serial})
    return redirect("devices:device_detail", pk=device.pk)


@login_required
def pending_list(request: HttpRequest) -> HttpResponse:
    """List pending devices, with an accept form per device for BKD and read-only for unit operators."""
    _require_editor(request)
    can_accept = services.can_accept_devices(request.user)
    units = Unit.objects.all()
    rows = [(device, DeviceAcceptForm(units=units, prefix=f"d{device.pk}") if can_accept
             else None)
            for device in selectors.pending_devices()]
    return render(request, "devices/pending_list.html",
                  {"rows": rows, "can_accept": can_accept})


@login_required
@require_POST
def pending_accept(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.can_accept_devices(request.user):
        raise PermissionDenied
    device = Device.objects.filter(pk=pk, status=DeviceStatus.PENDING).first()
    if device is None:
        messages.error(request, _("That device is no longer pending."))
        return redirect("devices:pending_list")

    units = Unit.objects.all()
    form = DeviceAcceptForm(request.POST, units=units, prefix=f"d{device.pk}")
    if not form.is_valid():
        rows = [(item, form if item.pk == device.pk else
                 DeviceAcceptForm(units=units, prefix=f"d{item.pk}"))
                for item in selectors.pending_devices()]
        return render(request, "devices/pending_list.html",
                      {"rows": rows, "can_accept": True}, status=400)

    data = form.cleaned_data
    if data["name"]:
        Device.objects.filter(pk=device.pk).update(name=data["name"])
    Device.objects.filter(pk=device.pk).update(time_zone_format=data["time_zone_format"])
    device = services.device_accept(device=device, unit=data["unit"], actor=request.user,
                                    time_zone=data["time_zone"],
                                    commissioned_on=data["commissioned_on"])
    messages.success(request, _("Device %(serial)s accepted into %(unit)s; %(count)s punches "
                                "from its earlier uploads were stored.")
                     % {"serial": device.serial, "unit": device.unit.name,
                        "count": device.punches.count()})
    return redirect("devices:device_detail", pk=device.pk)


@login_required
def unknown_pin_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.unknown_pins(user=request.user)[:500]
    return render(request, "devices/unknown_pins.html",
                  {"rows": rows, "can_manage": can_edit_master(request.user)})


def _mapping_employees(request: HttpRequest, device: Device):
    """Employees of the device's agency that the user may see, for the mapping form."""
    employees = scope_queryset(user=request.user, queryset=Employee.objects.all())
    agency = device.unit.agency()
    return employees.filter(unit__path__startswith=agency.path).order_by("name")


@login_required
def unknown_pin_map(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    source = request.POST if request.method == "POST" else request.GET
    device = selectors.device_get(user=request.user, pk=_int(source.get("device")))
    pin = source.get("pin", "")
    # Default to the day of the PIN's first stored punch, so mapping attaches all of them.
    first_punch = Punch.objects.filter(device=device, pin=pin, employee__isnull=True).aggregate(
        first=Min("local_time"))["first"]
    form = PinMapForm(request.POST or None, employees=_mapping_employees(request, device),
                      initial={"device": device.pk, "pin": pin,
                               "valid_from": first_punch.date() if first_punch
                               else timezone.localdate()})

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        on_device = data["target"] == PinMapForm.TARGET_DEVICE
        try:
            result = services.pin_mapping_create(
                employee=data["employee"], pin=data["pin"], valid_from=data["valid_from"],
                device=device if on_device else None, unit=None if on_device else device.unit,
                actor=request.user, reason=data["reason"])
        except services.DeviceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("PIN %(pin)s is mapped to %(name)s; %(count)s stored "
                                        "punches were attached.")
                             % {"pin": data["pin"], "name": data["employee"].name,
                                "count": result.attached})
            return redirect(reverse("devices:unknown_pin_list"))

    status = 400 if request.method == "POST" else 200
    return render(request, "devices/pin_map.html", {"form": form, "device": device, "pin": pin},
                  status=status)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
