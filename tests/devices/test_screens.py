"""Operator screens of the devices app: scope, actions and audit.

Who sees which device (cast in tests/conftest.py): the BKD admin and operator see every
device; operator_a and verifier_a see the device of UPT A (verifier_a through agency A);
operator_b sees only the device of UPT B. Devices outside the scope answer 404. Actions
(map, queue) are open to the BKD roles and unit operators; verifier_a gets 403. Accepting a
pending device is open to the BKD roles only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from sao.audit.models import AuditEntry
from sao.devices import services
from sao.devices.models import (
    CommandKind,
    Device,
    DeviceCommand,
    DeviceStatus,
    PinMapping,
    Punch,
)
from sao.devices.services import DeviceError, device_accept
from tests.devices.push_support import active_device, case_bytes, device_client, post_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(cast):
    device_a = active_device("DEV-A", cast.unit_a, name="Mesin UPT A")
    device_b = active_device("DEV-B", cast.unit_b, name="Mesin UPT B")
    return device_a, device_b


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("role", "visible"), [
    ("admin_bkd", {"DEV-A", "DEV-B"}),
    ("operator_bkd", {"DEV-A", "DEV-B"}),
    ("operator_a", {"DEV-A"}),
    ("verifier_a", {"DEV-A"}),
    ("operator_b", {"DEV-B"}),
    ("outsider", set()),
])
def test_device_list_scoped(cast, devices, role, visible):
    response = login(getattr(cast, role)).get(reverse("devices:device_list"))

    assert response.status_code == 200
    listed = {device.serial for device, _online in response.context["rows"]}
    assert listed == visible


def test_device_list_query_count(cast, devices, django_assert_max_num_queries):
    for number in range(10):
        active_device(f"MORE-{number}", cast.unit_a)
    client = login(cast.operator_a)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("devices:device_list"))

    assert len(response.context["rows"]) == 11


def test_online_status_shown(cast, devices, settings):
    device_client().get("/iclock/getrequest?SN=DEV-A")

    content = login(cast.admin_bkd).get(reverse("devices:device_list")).content.decode()

    assert content.count('data-testid="online"') == 1
    assert content.count('data-testid="offline"') == 1


def test_device_detail_out_of_scope_is_404(cast, devices):
    device_a, device_b = devices
    client = login(cast.operator_a)

    assert client.get(reverse("devices:device_detail", args=[device_a.pk])).status_code == 200
    assert client.get(reverse("devices:device_detail", args=[device_b.pk])).status_code == 404
    assert client.get(reverse("devices:device_commands", args=[device_b.pk])).status_code == 404


def test_device_detail_shows_uploads_and_quarantine(cast, devices):
    device_a, _device_b = devices
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=ATTLOG&Stamp=9999",
              b"\t2024-03-06 07:00:00\t0\t1\t0\t0\n1001\t2024-03-06 07:27:33\t0\t1\t0\t0\n")

    content = login(cast.operator_a).get(
        reverse("devices:device_detail", args=[device_a.pk])).content.decode()

    assert content.count('data-testid="upload-row"') == 1
    assert content.count('data-testid="quarantine-row"') == 1
    assert "empty_pin" in content


def pending_device(serial: str = "PEND-9") -> Device:
    """Return a pending device that has posted the six punches of `BC-10_status_codes.attlog`."""
    post_body(device_client(), f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999",
              case_bytes("BC-10_status_codes.attlog"))
    return Device.objects.get(serial=serial)


def accept_form(device: Device, unit, *, time_zone_format: str = "hours") -> dict:
    return {f"d{device.pk}-unit": unit.pk, f"d{device.pk}-time_zone_format": time_zone_format,
            f"d{device.pk}-commissioned_on": "2020-01-01"}


def test_pending_accept_by_bkd_operator(cast):
    device = pending_device()
    client = login(cast.operator_bkd)

    response = client.post(reverse("devices:pending_accept", args=[device.pk]),
                           accept_form(device, cast.unit_b, time_zone_format="minutes"))

    device.refresh_from_db()
    assert response.status_code == 302
    assert (device.status, device.unit, device.time_zone_format) == (
        DeviceStatus.ACTIVE, cast.unit_b, "minutes")
    assert Punch.objects.filter(device=device).count() == 6
    entry = AuditEntry.objects.get(action="device.accept")
    assert entry.actor == cast.operator_bkd
    assert entry.new_value["unit_id"] == cast.unit_b.pk


# Only the BKD roles may accept a pending device. A unit operator gets 403 even for their own
# unit, because an unregistered serial belongs to no unit yet.
@pytest.mark.parametrize(("role", "status", "accepted"), [
    ("admin_bkd", 302, True),
    ("operator_bkd", 302, True),
    ("operator_a", 403, False),
    ("operator_b", 403, False),
    ("verifier_a", 403, False),
    ("leader_a", 403, False),
    ("supervisor_a", 403, False),
    ("employee_a", 403, False),
    ("outsider", 403, False),
])
def test_pending_accept_role_matrix(cast, role, status, accepted):
    device = pending_device()

    response = login(getattr(cast, role)).post(
        reverse("devices:pending_accept", args=[device.pk]), accept_form(device, cast.unit_a))

    device.refresh_from_db()
    assert response.status_code == status
    assert (device.status == DeviceStatus.ACTIVE) is accepted
    assert Punch.objects.filter(device=device).count() == (6 if accepted else 0)
    assert AuditEntry.objects.filter(action="device.accept").count() == (1 if accepted else 0)


def test_pending_list_read_only_for_unit_operator(cast):
    device = pending_device()

    response = login(cast.operator_a).get(reverse("devices:pending_list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-serial="PEND-9"' in content
    assert reverse("devices:pending_accept", args=[device.pk]) not in content
    assert 'data-testid="accept-rule"' in content


def test_pending_list_form_for_bkd(cast):
    device = pending_device()

    content = login(cast.admin_bkd).get(reverse("devices:pending_list")).content.decode()

    assert reverse("devices:pending_accept", args=[device.pk]) in content
    assert f'name="d{device.pk}-unit"' in content


def test_accept_service_rejects_unit_operator(cast):
    device = pending_device()

    with pytest.raises(DeviceError) as raised:
        device_accept(device=device, unit=cast.unit_a, actor=cast.operator_a)

    assert raised.value.code == "accept_needs_bkd"
    device.refresh_from_db()
    assert device.status == DeviceStatus.PENDING


def test_pending_list_needs_editor(cast):
    assert login(cast.verifier_a).get(reverse("devices:pending_list")).status_code == 403


def test_unknown_pins_scoped_and_mapped(cast, devices):
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=ATTLOG&Stamp=9999",
              b"9999\t2024-03-18 07:30:00\t0\t1\t0\t0\n")
    post_body(device_client(), "/iclock/cdata?SN=DEV-B&table=ATTLOG&Stamp=9999",
              b"8888\t2024-03-18 07:31:00\t0\t1\t0\t0\n")
    device_a, _device_b = devices

    page_a = login(cast.operator_a).get(reverse("devices:unknown_pin_list")).content.decode()
    page_admin = login(cast.admin_bkd).get(reverse("devices:unknown_pin_list")).content.decode()
    assert 'data-pin="9999"' in page_a
    assert 'data-pin="8888"' not in page_a
    assert "Unknown PIN" in page_admin or "PIN tidak dikenal" in page_admin
    assert page_admin.count('data-testid="unknown-pin"') == 2

    client = login(cast.operator_a)
    form = client.get(reverse("devices:unknown_pin_map"), {"device": device_a.pk, "pin": "9999"})
    assert form.status_code == 200
    response = client.post(reverse("devices:unknown_pin_map"), {
        "device": device_a.pk, "pin": "9999", "employee": cast.staff_a1.pk, "target": "unit",
        "valid_from": "2024-03-18", "reason": "new card",
    })

    assert response.status_code == 302
    mapping = PinMapping.objects.get(pin="9999")
    assert (mapping.unit, mapping.device, mapping.employee) == (cast.unit_a, None, cast.staff_a1)
    assert Punch.objects.get(pin="9999").employee == cast.staff_a1
    assert AuditEntry.objects.get(action="pin_mapping.create").actor == cast.operator_a


def test_pin_map_rejects_employee_outside_scope(cast, devices):
    device_a, _device_b = devices
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=ATTLOG&Stamp=9999",
              b"9999\t2024-03-18 07:30:00\t0\t1\t0\t0\n")

    response = login(cast.operator_a).post(reverse("devices:unknown_pin_map"), {
        "device": device_a.pk, "pin": "9999", "employee": cast.person_b.pk, "target": "device",
        "valid_from": "2024-03-18",
    })

    assert response.status_code == 400
    assert not PinMapping.objects.exists()


def test_pin_map_other_units_device_is_404(cast, devices):
    _device_a, device_b = devices

    response = login(cast.operator_a).get(reverse("devices:unknown_pin_map"),
                                          {"device": device_b.pk, "pin": "1"})

    assert response.status_code == 404


def test_queue_command_from_screen(cast, devices):
    device_a, _device_b = devices
    client = login(cast.operator_a)

    response = client.post(reverse("devices:device_commands", args=[device_a.pk]), {
        "kind": "attlog_query", "start": "2024-03-01T00:00", "end": "2024-03-02T00:00"})

    assert response.status_code == 302
    command = DeviceCommand.objects.get(device=device_a)
    assert command.text == ("DATA QUERY ATTLOG StartTime=2024-03-01 00:00:00\t"
                            "EndTime=2024-03-02 00:00:00")
    assert command.created_by == cast.operator_a
    assert AuditEntry.objects.get(action="device.command_queue").actor == cast.operator_a
    page = client.get(reverse("devices:device_commands", args=[device_a.pk])).content.decode()
    assert page.count('data-testid="command-row"') == 1


def test_queue_command_needs_range_and_editor(cast, devices):
    device_a, _device_b = devices

    missing = login(cast.operator_a).post(
        reverse("devices:device_commands", args=[device_a.pk]), {"kind": "attlog_query"})
    verifier = login(cast.verifier_a).post(
        reverse("devices:device_commands", args=[device_a.pk]), {"kind": "reboot"})

    assert missing.status_code == 200
    assert [error.code for error in missing.context["form"].errors.as_data()["__all__"]] == [
        "range_missing"]
    assert verifier.status_code == 403
    assert not DeviceCommand.objects.exists()


def test_resync_and_clock_trust_actions(cast, devices):
    device_a, _device_b = devices
    Device.objects.filter(pk=device_a.pk).update(clock_suspect=True, clock_offset_seconds=900)
    client = login(cast.operator_a)

    client.post(reverse("devices:device_resync", args=[device_a.pk]))
    client.post(reverse("devices:device_clock_trust", args=[device_a.pk]))

    device_a.refresh_from_db()
    assert device_a.resync_requested is True
    assert device_a.clock_suspect is False
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "device.resync_request", "device.clock_trust"}


def test_device_endpoints_need_no_login(cast, devices):
    response = device_client().get("/iclock/cdata?SN=DEV-A&options=all&pushver=2.4.0")

    assert response.status_code == 200
    assert response.content.startswith(b"GET OPTION FROM: DEV-A\n")


def test_screens_need_login(devices):
    response = Client().get(reverse("devices:device_list"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_device_detail_shows_tamper_alert(cast, devices):
    device_a, _device_b = devices
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=OPERLOG&Stamp=9999",
              b"OPLOG 13\t0\t2024-03-12 11:03:28\t0\t0\t0\t0\n"
              b"OPLOG 4\t0\t2024-03-12 11:03:53\t0\t0\t0\t0\n")

    response = login(cast.operator_a).get(reverse("devices:device_detail", args=[device_a.pk]))

    assert [operation.code for operation in response.context["alerts"]] == [13]
    assert 'data-testid="alerts"' in response.content.decode()


def test_unknown_pin_shows_device_wall_time(cast, devices):
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=ATTLOG&Stamp=9999",
              b"9999\t2024-03-18 07:30:00\t0\t1\t0\t0\n")

    page = login(cast.operator_a).get(reverse("devices:unknown_pin_list")).content.decode()

    assert "2024-03-18 07:30:00" in page
    assert "2024-03-18 15:30:00" not in page


def test_pin_map_defaults_to_first_punch_day(cast, devices):
    post_body(device_client(), "/iclock/cdata?SN=DEV-A&table=ATTLOG&Stamp=9999",
              b"9999\t2024-03-18 07:30:00\t0\t1\t0\t0\n")
    device_a, _device_b = devices

    form = login(cast.operator_a).get(reverse("devices:unknown_pin_map"),
                                      {"device": device_a.pk, "pin": "9999"})

    assert 'name="valid_from" value="2024-03-18"' in form.content.decode()


def test_command_queue_hides_out_of_scope_names(cast, devices):
    device_a, _device_b = devices
    start = dt.date(2024, 1, 1)
    services.pin_mapping_create(employee=cast.head_a, pin="1", valid_from=start,
                                unit=cast.agency_a, actor=cast.admin_bkd)
    services.pin_mapping_create(employee=cast.staff_a1, pin="1", valid_from=start,
                                unit=cast.unit_a, actor=cast.admin_bkd)
    services.pin_mapping_create(employee=cast.other_a, pin="2", valid_from=start,
                                unit=cast.unit_a, actor=cast.admin_bkd)
    # A line queued by the older builder, which also sent the staff of the agency above.
    DeviceCommand.objects.create(device=device_a, kind=CommandKind.USER_SYNC,
                                 text="DATA UPDATE USERINFO PIN=1\tName=Kepala A\tPri=0")
    client = login(cast.operator_a)

    response = client.post(reverse("devices:device_commands", args=[device_a.pk]),
                           {"kind": "user_sync"})
    operator_page = client.get(reverse("devices:device_commands", args=[device_a.pk]))
    supervisor_page = login(cast.supervisor_a).get(
        reverse("devices:device_commands", args=[device_a.pk]))

    assert response.status_code == 302
    assert list(DeviceCommand.objects.filter(created_by=cast.operator_a)
                .order_by("pk").values_list("text", flat=True)) == [
        "DATA UPDATE USERINFO PIN=1\tName=Staf A Satu\tPri=0",
        "DATA UPDATE USERINFO PIN=2\tName=Lain A\tPri=0",
    ]
    operator_text = operator_page.content.decode()
    assert operator_page.status_code == 200
    assert operator_text.count('data-testid="command-row"') == 3
    assert "Name=Staf A Satu" in operator_text
    assert "Name=Lain A" in operator_text
    assert "Kepala A" not in operator_text
    # Lain A is in UPT A but outside the supervisor chain of Kepala A.
    supervisor_text = supervisor_page.content.decode()
    assert supervisor_page.status_code == 200
    assert "Name=Staf A Satu" in supervisor_text
    assert "Lain A" not in supervisor_text
