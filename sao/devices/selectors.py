"""Reads of the devices app, already limited to the caller's unit scope."""

from __future__ import annotations

import re

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils.translation import gettext as _

from sao.devices.models import (
    CommandKind,
    Device,
    DeviceCommand,
    DeviceOperation,
    DeviceStatus,
    DeviceUser,
    PinMapping,
    Punch,
    QuarantinedRecord,
    RawUpload,
)
from sao.org.models import Employee
from sao.org.scope import get_scoped_or_404, register_scope, scope_queryset

register_scope(Device, unit="unit")
register_scope(Punch, unit="device__unit", employee="employee")
register_scope(RawUpload, unit="device__unit")
register_scope(QuarantinedRecord, unit="device__unit")
register_scope(PinMapping, unit="device__unit")
register_scope(DeviceCommand, unit="device__unit")
register_scope(DeviceUser, unit="device__unit")
register_scope(DeviceOperation, unit="device__unit")

# How many uploads and quarantined lines the device page shows.
DETAIL_ROWS = 50


def device_list(*, user) -> QuerySet[Device]:
    """Return the registered devices the user may see, with their unit."""
    devices = Device.objects.exclude(status=DeviceStatus.PENDING).select_related("unit")
    return scope_queryset(user=user, queryset=devices).order_by("unit__path", "serial")


def device_get(*, user, pk: int) -> Device:
    """Return one device inside the user's scope, or raise Http404."""
    return get_scoped_or_404(user=user, queryset=Device.objects.select_related("unit"), pk=pk)


def pending_devices() -> QuerySet[Device]:
    """Return devices waiting for acceptance.

    They have no unit yet, so no unit scope applies. The views show them to BKD roles, who
    may accept them into any unit, and to unit operators, who may only read the list.
    """
    return Device.objects.filter(status=DeviceStatus.PENDING).annotate(
        upload_count=Count("uploads"), first_upload_at=Min("uploads__received_at"),
    ).order_by("created_at")


def device_uploads(*, device: Device) -> QuerySet[RawUpload]:
    return device.uploads.defer("body").order_by("-received_at", "-id")[:DETAIL_ROWS]


def device_quarantine(*, device: Device) -> QuerySet[QuarantinedRecord]:
    return device.quarantined.order_by("-created_at", "line")[:DETAIL_ROWS]


def device_alerts(*, device: Device) -> QuerySet[DeviceOperation]:
    """Return the device's tampering signals: data cleared, clock set, factory reset, log deleted."""
    return device.operations.filter(alert=True).order_by("-local_time", "-id")[:DETAIL_ROWS]


# The PIN and name of a user-sync command line.
USERINFO_NAME = re.compile(r"^DATA UPDATE USERINFO PIN=(?P<pin>[^\t]*)\tName=(?P<name>[^\t]*)")


def device_commands(*, device: Device, user) -> list[tuple[DeviceCommand, str]]:
    """Return the device's latest 200 commands, each with its text as the user may read it.

    A user-sync line names an employee. The name is shown only when a PIN mapping of this
    device or its unit gives that PIN to an in-scope employee of that name. Any other name,
    such as one queued by an older build that sent staff of other units, is hidden.
    """
    commands = list(
        device.commands.select_related("created_by").order_by("-created_at", "-id")[:200]
    )

    visible: set[tuple[str, str]] = set()
    if any(command.kind == CommandKind.USER_SYNC for command in commands):
        condition = Q(device=device)
        if device.unit_id is not None:
            condition |= Q(unit_id=device.unit_id)
        mappings = PinMapping.objects.filter(
            condition, employee__in=scope_queryset(user=user, queryset=Employee.objects.all())
        )
        visible = {(pin, " ".join(name.split()))
                   for pin, name in mappings.values_list("pin", "employee__name")}

    rows = []
    for command in commands:
        text = command.text
        match = USERINFO_NAME.match(text) if command.kind == CommandKind.USER_SYNC else None
        if match and (match["pin"], match["name"]) not in visible:
            text = text[:match.start("name")] + _("(hidden)") + text[match.end("name"):]
        rows.append((command, text))
    return rows


def unknown_pins(*, user) -> QuerySet:
    """Return unmapped PINs per device with their punch count and first and last punch time."""
    punches = scope_queryset(
        user=user, queryset=Punch.objects.filter(employee__isnull=True),
    )
    return (
        punches.values("device_id", "device__serial", "device__unit__name", "pin")
        .annotate(count=Count("id"), first=Min("local_time"), last=Max("local_time"))
        .order_by("device__serial", "pin")
    )
