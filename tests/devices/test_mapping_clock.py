"""PIN mapping (BC-14, BC-15, BC-16, BC-21) and clock trust, through HTTP and the services."""

from __future__ import annotations

import datetime as dt

import pytest

from sao.attendance.models import DirtyDay
from sao.devices.models import Device, DeviceUser, Punch, QuarantinedRecord
from sao.devices.records import PunchRecord, RejectedLine
from sao.devices.selectors import unknown_pins
from sao.devices.services import (
    DeviceError,
    DeviceUserRecord,
    decode_device_name,
    device_clock_trust,
    device_users_upsert,
    pin_mapping_create,
    punches_ingest,
    raw_upload_store,
)
from tests.conftest import make_employee, make_unit, shared_fixture
from tests.devices.push_support import WITA, active_device, device_client, freeze_now, post_body

pytestmark = pytest.mark.django_db


def push(serial: str, lines: list[str]):
    body = "".join(line + "\n" for line in lines).encode()
    return post_body(device_client(), f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999", body)


def test_same_pin_on_two_sites(cast):
    """BC-14: PIN 29 is Made at Kantor Dinas and Ketut at the Puskesmas; a re-send adds nothing."""
    kantor = make_unit("KANTOR-DINAS", "office", cast.agency_a, name="Kantor Dinas")
    puskesmas = make_unit("PUSKESMAS", "upt", cast.agency_a, name="Puskesmas")
    made = make_employee(kantor, "Made Ariana")
    ketut = make_employee(puskesmas, "Ketut Sari")
    aaa1 = active_device("AAA1", kantor)
    bbb2 = active_device("BBB2", puskesmas)
    pin_mapping_create(employee=made, pin="29", valid_from=dt.date(2024, 1, 1), device=aaa1,
                       actor=cast.admin_bkd)
    pin_mapping_create(employee=ketut, pin="29", valid_from=dt.date(2024, 1, 1), device=bbb2,
                       actor=cast.admin_bkd)

    push("AAA1", ["29\t2024-03-13 07:25:00\t0\t1\t0\t0"])
    push("BBB2", ["29\t2024-03-13 07:50:00\t0\t1\t0\t0"])
    resend = push("AAA1", ["29\t2024-03-13 07:25:00\t0\t1\t0\t0"])

    assert list(Punch.objects.filter(employee=made).values_list("instant", flat=True)) == [
        dt.datetime(2024, 3, 12, 23, 25, tzinfo=dt.UTC)]
    assert list(Punch.objects.filter(employee=ketut).values_list("instant", flat=True)) == [
        dt.datetime(2024, 3, 12, 23, 50, tzinfo=dt.UTC)]
    assert resend.content == b"OK: 1"
    assert Punch.objects.count() == 2


def test_unit_mapping_covers_unit_devices(cast):
    first = active_device("UNIT-DEV-1", cast.unit_a)
    second = active_device("UNIT-DEV-2", cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="1001", valid_from=dt.date(2024, 1, 1),
                       unit=cast.agency_a, actor=cast.admin_bkd)

    push(first.serial, ["1001\t2024-03-04 07:28:15\t0\t1"])
    push(second.serial, ["1001\t2024-03-04 16:03:44\t1\t1"])

    assert Punch.objects.filter(employee=cast.staff_a1).count() == 2


def test_device_mapping_wins_over_unit_mapping(cast):
    device = active_device("OVERRIDE-1", cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="7", valid_from=dt.date(2024, 1, 1),
                       unit=cast.unit_a, actor=cast.admin_bkd)
    pin_mapping_create(employee=cast.other_a, pin="7", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)

    push(device.serial, ["7\t2024-03-04 07:28:15\t0\t1"])

    assert Punch.objects.get(device=device).employee == cast.other_a


def test_unknown_pin_listed_then_attached(cast, django_capture_on_commit_callbacks):
    """BC-21: 9999 is stored unmapped, listed, and attached when mapped later."""
    device = active_device("CQZ7231260012", cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="1101", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)
    pin_mapping_create(employee=cast.staff_a2, pin="1102", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)
    gede = make_employee(cast.unit_a, "Gede Prasetya")

    with django_capture_on_commit_callbacks(execute=True):
        response = push(device.serial, ["1101\t2024-03-18 07:28:00\t0\t1",
                                        "9999\t2024-03-18 07:30:00\t0\t1",
                                        "1102\t2024-03-18 07:35:00\t0\t1"])

    assert response.content == b"OK: 3"
    assert Punch.objects.filter(device=device).count() == 3
    listed = list(unknown_pins(user=cast.admin_bkd))
    assert [(row["device__serial"], row["pin"], row["count"]) for row in listed] == [
        ("CQZ7231260012", "9999", 1)]
    assert set(DirtyDay.objects.values_list("employee_id", "date")) == {
        (cast.staff_a1.pk, dt.date(2024, 3, 18)), (cast.staff_a2.pk, dt.date(2024, 3, 18))}

    with django_capture_on_commit_callbacks(execute=True):
        result = pin_mapping_create(employee=gede, pin="9999", valid_from=dt.date(2024, 3, 18),
                                    device=device, actor=cast.operator_a)

    assert result.attached == 1
    punch = Punch.objects.get(pin="9999")
    assert punch.employee == gede
    assert punch.instant == dt.datetime(2024, 3, 17, 23, 30, tzinfo=dt.UTC)
    assert list(unknown_pins(user=cast.admin_bkd)) == []
    assert (gede.pk, dt.date(2024, 3, 18)) in set(
        DirtyDay.objects.values_list("employee_id", "date"))


def test_mapping_before_valid_from_leaves_punch_unmapped(cast):
    device = active_device("LATE-MAP", cast.unit_a)
    push(device.serial, ["55\t2024-03-17 07:30:00\t0\t1"])

    result = pin_mapping_create(employee=cast.staff_a1, pin="55",
                                valid_from=dt.date(2024, 3, 18), device=device,
                                actor=cast.admin_bkd)

    assert result.attached == 0
    assert Punch.objects.get(device=device).employee is None


def test_mapping_needs_device_or_unit(cast):
    with pytest.raises(DeviceError) as error:
        pin_mapping_create(employee=cast.staff_a1, pin="1", valid_from=dt.date(2024, 1, 1),
                           actor=cast.admin_bkd)

    assert error.value.code == "device_xor_unit"


def test_mapping_audited(cast):
    from sao.audit.models import AuditEntry

    device = active_device("AUDIT-1", cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="31", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.operator_a, reason="new staff")

    entry = AuditEntry.objects.get(action="pin_mapping.create")
    assert entry.actor == cast.operator_a
    assert entry.new_value["pin"] == "31"
    assert entry.reason == "new staff"


def test_deleted_uid_is_not_a_pin(cast):
    """BC-15: the pull decoder quarantines uid 7; PIN 7 (Nyoman) gets no punch from it."""
    device = active_device("OLD0000000003", cast.unit_a)
    wayan = make_employee(cast.unit_a, "Wayan Budiasa")
    nyoman = make_employee(cast.unit_a, "Nyoman Sukerta")
    device_users_upsert(device=device, users=[
        DeviceUserRecord(pin="1005", name="Wayan Budiasa", uid=5),
        DeviceUserRecord(pin="7", name="Nyoman Sukerta", uid=9),
    ])
    pin_mapping_create(employee=wayan, pin="1005", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)
    pin_mapping_create(employee=nyoman, pin="7", valid_from=dt.date(2024, 3, 1),
                       device=device, actor=cast.admin_bkd)
    upload = raw_upload_store(body=b"\x05\x00...", source="pull", device=device)

    result = punches_ingest(
        upload=upload, device=device,
        records=[PunchRecord(pin="1005", local_time=dt.datetime(2024, 3, 13, 7, 29), state=0,
                             verify=1)],
        rejected=[RejectedLine(line=2, raw="uid=7 2024-03-13 07:33:00", code="unknown_uid",
                               message="unknown device uid 7")],
    )

    assert (result.accepted, result.quarantined) == (1, 1)
    assert result.quarantined_by_reason == {"unknown_uid": [2]}
    assert Punch.objects.get(employee=wayan).local_wall_time == dt.datetime(2024, 3, 13, 7, 29)
    assert not Punch.objects.filter(employee=nyoman).exists()
    assert QuarantinedRecord.objects.get(device=device).message == "unknown device uid 7"
    assert DeviceUser.objects.get(device=device, uid=9).pin == "7"


def test_device_user_names_decoded():
    """BC-16: a GBK name, a UTF-8 name with a curly apostrophe, and invalid bytes."""
    rows = [line.split("\t") for line in
            shared_fixture("cases/BC-16_device_users.tsv").read_text().splitlines()
            if not line.startswith("#")]

    decoded = {pin: decode_device_name(bytes.fromhex(hex_name), encoding=encoding)
               for _serial, encoding, _uid, pin, hex_name in rows}

    assert decoded["1234"] == ("陈美玲", False)
    assert decoded["170540"] == ("Siti Nur’aini", False)
    name, replaced = decoded["2211"]
    assert replaced is True
    assert "\ufffd" in name
    assert name.endswith("A")


def test_device_users_synced_for_all_three(cast):
    rows = [line.split("\t") for line in
            shared_fixture("cases/BC-16_device_users.tsv").read_text().splitlines()
            if not line.startswith("#")]
    for serial, encoding, uid, pin, hex_name in rows:
        device = Device.objects.filter(serial=serial).first() or active_device(serial, cast.unit_a)
        name, _replaced = decode_device_name(bytes.fromhex(hex_name), encoding=encoding)
        device_users_upsert(device=device, users=[DeviceUserRecord(
            pin=pin, name=name, uid=int(uid), name_bytes=bytes.fromhex(hex_name))])

    assert DeviceUser.objects.count() == 3
    assert bytes(DeviceUser.objects.get(pin="1234").name_bytes) == bytes.fromhex("b3c2c3c0c1e1")


# --- clock trust -----------------------------------------------------------------------------


def test_clock_ahead_flags_device_and_punch(cast, monkeypatch):
    device = active_device("CLOCK-1", cast.unit_a)
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 7, 20, tzinfo=WITA))

    response = push(device.serial, ["1001\t2024-03-04 07:28:00\t0\t1"])  # 8 min ahead

    device.refresh_from_db()
    assert response.content == b"OK: 1"
    assert device.clock_offset_seconds == 480
    assert device.clock_suspect is True
    assert Punch.objects.get(device=device).suspect is True


def poll(device: Device, monkeypatch, *, start: dt.datetime, end: dt.datetime,
         every: dt.timedelta = dt.timedelta(minutes=4)) -> None:
    """Send getrequest heartbeats from `start` to `end` (inclusive), one every `every`."""
    moment = start
    while moment <= end:
        freeze_now(monkeypatch, moment)
        device_client().get(f"/iclock/getrequest?SN={device.serial}")
        moment += every


def test_clock_behind_while_online_flags_device(cast, monkeypatch):
    device = active_device("CLOCK-2", cast.unit_a)
    poll(device, monkeypatch, start=dt.datetime(2024, 3, 4, 7, 0, tzinfo=WITA),
         end=dt.datetime(2024, 3, 4, 8, 0, tzinfo=WITA))

    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 8, 0, 30, tzinfo=WITA))
    push(device.serial, ["1001\t2024-03-04 07:30:00\t0\t1"])  # 30 min behind

    device.refresh_from_db()
    assert device.clock_offset_seconds == -1830
    assert device.clock_suspect is True


def test_punch_older_than_online_run_not_measured(cast, monkeypatch):
    """Online only since 08:00, a punch dated 07:30 may have waited on the device."""
    device = active_device("CLOCK-6", cast.unit_a)
    poll(device, monkeypatch, start=dt.datetime(2024, 3, 4, 8, 0, tzinfo=WITA),
         end=dt.datetime(2024, 3, 4, 8, 0, tzinfo=WITA))

    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 8, 0, 30, tzinfo=WITA))
    push(device.serial, ["1001\t2024-03-04 07:30:00\t0\t1"])

    device.refresh_from_db()
    assert device.clock_offset_seconds is None
    assert device.clock_suspect is False


@pytest.mark.parametrize("poll_first", [True, False])
def test_outage_backlog_last_batch_not_a_clock_fault(cast, monkeypatch, poll_first):
    """A last batch of two stored punches after an outage does not measure the clock.

    The device clock is right. It polls until 07:00, loses its link until 09:00, and stores
    52 punches from 07:10 on. Back online, it sends them in batches of 50 and 2, with or
    without a heartbeat first.
    """
    device = active_device("CLOCK-7", cast.unit_a)
    poll(device, monkeypatch, start=dt.datetime(2024, 3, 4, 6, 0, tzinfo=WITA),
         end=dt.datetime(2024, 3, 4, 7, 0, tzinfo=WITA))
    stored = [f"{1000 + number}\t2024-03-04 07:{10 + number // 2:02d}:{number % 2 * 30:02d}\t0\t1"
              for number in range(52)]

    back = dt.datetime(2024, 3, 4, 9, 0, tzinfo=WITA)
    if poll_first:
        poll(device, monkeypatch, start=back, end=back)
    freeze_now(monkeypatch, back + dt.timedelta(seconds=2))
    first = push(device.serial, stored[:50])
    freeze_now(monkeypatch, back + dt.timedelta(seconds=3))
    last = push(device.serial, stored[50:])

    device.refresh_from_db()
    assert (first.content, last.content) == (b"OK: 50", b"OK: 2")
    assert device.clock_offset_seconds is None
    assert device.clock_suspect is False
    assert Punch.objects.filter(device=device).count() == 52
    assert Punch.objects.filter(device=device, suspect=True).count() == 0


def test_fresh_punch_after_backlog_measured(cast, monkeypatch):
    """Once the backlog is in, a punch made online measures the clock again."""
    device = active_device("CLOCK-8", cast.unit_a)
    back = dt.datetime(2024, 3, 4, 9, 0, tzinfo=WITA)
    freeze_now(monkeypatch, back)
    push(device.serial, ["1001\t2024-03-04 07:10:00\t0\t1"])
    poll(device, monkeypatch, start=back + dt.timedelta(minutes=1),
         end=back + dt.timedelta(minutes=10))

    freeze_now(monkeypatch, back + dt.timedelta(minutes=10, seconds=4))
    push(device.serial, ["1002\t2024-03-04 09:10:00\t0\t1"])

    device.refresh_from_db()
    assert device.clock_offset_seconds == -4
    assert device.clock_suspect is False


def test_handshake_starts_new_online_run(cast, monkeypatch):
    """A punch dated before a restart's handshake may be a stored one, so it measures nothing."""
    device = active_device("CLOCK-9", cast.unit_a)
    poll(device, monkeypatch, start=dt.datetime(2024, 3, 4, 7, 0, tzinfo=WITA),
         end=dt.datetime(2024, 3, 4, 8, 0, tzinfo=WITA))
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 8, 0, 10, tzinfo=WITA))
    device_client().get(f"/iclock/cdata?SN={device.serial}&options=all&pushver=2.4.0")

    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 8, 0, 20, tzinfo=WITA))
    push(device.serial, ["1001\t2024-03-04 07:59:00\t0\t1"])

    device.refresh_from_db()
    assert device.online_since == dt.datetime(2024, 3, 4, 8, 0, 10, tzinfo=WITA)
    assert device.clock_offset_seconds is None


def test_backlog_after_silence_is_not_a_clock_fault(cast, monkeypatch):
    device = active_device("CLOCK-3", cast.unit_a)
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 12, 0, tzinfo=WITA))

    push(device.serial, ["1001\t2024-03-04 07:30:00\t0\t1"])

    device.refresh_from_db()
    assert device.clock_offset_seconds is None
    assert device.clock_suspect is False
    assert Punch.objects.get(device=device).suspect is False


def test_far_future_quarantined_not_flagged_as_punch(cast, monkeypatch):
    device = active_device("CLOCK-4", cast.unit_a)
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 7, 0, tzinfo=WITA))

    push(device.serial, ["1001\t2024-03-04 07:11:00\t0\t1"])  # 11 min ahead: over 10 min

    assert Punch.objects.count() == 0
    assert QuarantinedRecord.objects.get(device=device).code == "future"


def test_clock_trust_clears_flag_with_audit(cast):
    from sao.audit.models import AuditEntry

    device = active_device("CLOCK-5", cast.unit_a, clock_suspect=True)

    device_clock_trust(device=device, actor=cast.operator_a, reason="checked on site")

    device.refresh_from_db()
    assert device.clock_suspect is False
    assert AuditEntry.objects.get(action="device.clock_trust").reason == "checked on site"
