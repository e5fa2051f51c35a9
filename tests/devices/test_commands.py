"""Device command queue over getrequest/devicecmd, the replay command and the CSV imports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sao.audit.models import AuditEntry
from sao.devices.importing import devices_import, pin_map_import
from sao.devices.models import (
    CommandKind,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceStatus,
    PinMapping,
    Punch,
    RawUpload,
)
from sao.devices.services import (
    DeviceError,
    device_command_queue,
    pin_mapping_create,
    zk_time_seconds,
)
from tests.conftest import make_employee
from tests.devices.push_support import (
    WITA,
    active_device,
    case_bytes,
    device_client,
    freeze_now,
    post_body,
)


def call_in_english(*args) -> None:
    """Run a command with English output, because commands otherwise write Indonesian."""
    with translation.override("en"):
        call_command(*args)


pytestmark = pytest.mark.django_db

SERIAL = "CMD0000000001"


def getrequest(serial: str = SERIAL, query: str = "") -> str:
    return device_client().get(f"/iclock/getrequest?SN={serial}{query}").content.decode()


def test_nothing_queued_answers_ok(cast):
    active_device(SERIAL, cast.unit_a)

    assert getrequest() == "OK"


def test_getrequest_info_updates_registry(cast):
    device = active_device(SERIAL, cast.unit_a)

    getrequest(query="&INFO=Ver%206.60%20Apr%2028%202017,2,3,1218,192.168.1.201,10,-1,-12,101")

    device.refresh_from_db()
    assert (device.firmware, device.user_count, device.fingerprint_count, device.record_count) \
        == ("Ver 6.60 Apr 28 2017", 2, 3, 1218)


def test_commands_delivered_with_reboot_last(cast):
    device = active_device(SERIAL, cast.unit_a)
    reboot = device_command_queue(device=device, kind=CommandKind.REBOOT, actor=cast.admin_bkd)[0]
    info = device_command_queue(device=device, kind=CommandKind.INFO, actor=cast.admin_bkd)[0]
    query = device_command_queue(
        device=device, kind=CommandKind.ATTLOG_QUERY, actor=cast.admin_bkd,
        start=dt.datetime(2024, 3, 1), end=dt.datetime(2024, 3, 31, 23, 59, 59))[0]

    reply = getrequest()

    assert reply == (f"C:{info.pk}:INFO\n"
                     f"C:{query.pk}:DATA QUERY ATTLOG StartTime=2024-03-01 00:00:00\t"
                     "EndTime=2024-03-31 23:59:59\n"
                     f"C:{reboot.pk}:REBOOT\n")
    assert set(DeviceCommand.objects.values_list("status", flat=True)) == {CommandStatus.SENT}
    assert getrequest() == "OK"  # sent commands wait for their result


def test_reply_capped_at_200_commands(cast):
    device = active_device(SERIAL, cast.unit_a)
    DeviceCommand.objects.bulk_create([
        DeviceCommand(device=device, kind=CommandKind.CHECK, text="CHECK") for _ in range(205)])

    first = getrequest().splitlines()
    second = getrequest().splitlines()

    assert len(first) == 199  # one slot stays free for a REBOOT, which must come last
    assert len(second) == 6


def test_reply_capped_at_40_kb(cast):
    device = active_device(SERIAL, cast.unit_a)
    long_text = "DATA UPDATE USERINFO PIN=1\tName=" + "x" * 1000
    DeviceCommand.objects.bulk_create([
        DeviceCommand(device=device, kind=CommandKind.USER_SYNC, text=long_text)
        for _ in range(60)])

    reply = getrequest()

    assert len(reply.encode()) <= 40 * 1024
    assert len(reply.splitlines()) == 39


def test_unanswered_command_sent_again(cast, monkeypatch):
    device = active_device(SERIAL, cast.unit_a)
    command = device_command_queue(device=device, kind=CommandKind.INFO, actor=cast.admin_bkd)[0]
    start = dt.datetime(2024, 3, 4, 8, 0, tzinfo=WITA)
    freeze_now(monkeypatch, start)
    getrequest()

    freeze_now(monkeypatch, start + dt.timedelta(minutes=11))
    reply = getrequest()

    command.refresh_from_db()
    assert reply == f"C:{command.pk}:INFO\n"
    assert command.send_count == 2


def test_results_recorded_from_devicecmd_and_cdata(cast):
    device = active_device(SERIAL, cast.unit_a)
    info = device_command_queue(device=device, kind=CommandKind.INFO, actor=cast.admin_bkd)[0]
    query = device_command_queue(
        device=device, kind=CommandKind.ATTLOG_QUERY, actor=cast.admin_bkd,
        start=dt.datetime(2024, 3, 1), end=dt.datetime(2024, 3, 2))[0]
    getrequest()
    client = device_client()

    answer = post_body(client, f"/iclock/devicecmd?SN={SERIAL}",
                       f"ID={info.pk}&Return=0&CMD=INFO\nFWVersion=Ver 8.0.4\nUserCount=42\n"
                       .encode())
    # A Solution X100-C posts results to cdata without a table.
    quirk = post_body(client, f"/iclock/cdata?SN={SERIAL}",
                      f"ID={query.pk}&Return=-4&CMD=DATA\n".encode())

    info.refresh_from_db()
    query.refresh_from_db()
    device.refresh_from_db()
    assert (answer.content, quirk.content) == (b"OK", b"OK")
    assert (info.status, info.return_code) == (CommandStatus.DONE, 0)
    assert (query.status, query.return_code) == (CommandStatus.FAILED, -4)
    assert (device.firmware, device.user_count) == ("Ver 8.0.4", 42)
    assert RawUpload.objects.filter(table="devicecmd").count() == 2


def test_user_sync_sends_mapped_employees(cast):
    device = active_device(SERIAL, cast.unit_a)
    pin_mapping_create(employee=cast.staff_a1, pin="0012", valid_from=dt.date(2024, 1, 1),
                       unit=cast.unit_a, actor=cast.admin_bkd)
    pin_mapping_create(employee=cast.staff_a2, pin="13", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)

    commands = device_command_queue(device=device, kind=CommandKind.USER_SYNC,
                                    actor=cast.operator_a)

    assert [c.text for c in commands] == [
        "DATA UPDATE USERINFO PIN=0012\tName=Staf A Satu\tPri=0",
        "DATA UPDATE USERINFO PIN=13\tName=Staf A Dua\tPri=0",
    ]
    entry = AuditEntry.objects.get(action="device.command_queue")
    assert entry.actor == cast.operator_a
    assert entry.new_value["kind"] == "user_sync"


def test_user_sync_without_pins_refused(cast):
    device = active_device(SERIAL, cast.unit_a)

    with pytest.raises(DeviceError) as error:
        device_command_queue(device=device, kind=CommandKind.USER_SYNC, actor=cast.admin_bkd)

    assert error.value.code == "nothing_to_send"


def test_set_time_uses_device_zone(cast):
    device = active_device(SERIAL, cast.unit_a)
    now = dt.datetime(2024, 3, 4, 0, 0, 5, tzinfo=dt.UTC)  # 08:00:05 WITA

    command = device_command_queue(device=device, kind=CommandKind.SET_TIME,
                                   actor=cast.admin_bkd, now=now)[0]

    assert command.text == f"SET OPTIONS DateTime={zk_time_seconds(dt.datetime(2024, 3, 4, 8, 0, 5))}"
    assert zk_time_seconds(dt.datetime(2000, 1, 1, 0, 0, 1)) == 1


def test_pending_device_gets_no_commands(cast):
    device = Device.objects.create(serial="PENDING-CMD", status=DeviceStatus.PENDING)
    DeviceCommand.objects.create(device=device, kind=CommandKind.INFO, text="INFO")

    assert getrequest("PENDING-CMD") == "OK"


# --- sao replay-upload -----------------------------------------------------------------------


def test_replay_upload_adds_only_missing(cast, capsys):
    device = active_device(SERIAL, cast.unit_a)
    post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
              case_bytes("BC-20_duplicates.attlog"))
    upload = RawUpload.objects.get(device=device)
    Punch.objects.filter(device=device, state=1).delete()  # simulate lost rows

    call_in_english("replay_upload", str(upload.pk))

    assert Punch.objects.filter(device=device).count() == 5
    assert "2 punches added, 5 duplicates" in capsys.readouterr().out


def test_replay_unknown_id(cast):
    with pytest.raises(CommandError, match="Raw upload 999 not found"):
        call_in_english("replay_upload", "999")


def test_replay_messages_in_indonesian(cast):
    with pytest.raises(CommandError, match="Unggahan mentah 999 tidak ditemukan"):
        call_command("replay_upload", "999")


def test_replay_pending_device_refused(cast):
    post_body(device_client(), "/iclock/cdata?SN=PEND-1&table=ATTLOG&Stamp=9999",
              case_bytes("BC-10_status_codes.attlog"))
    upload = RawUpload.objects.get(serial="PEND-1")

    with pytest.raises(CommandError, match="not active"):
        call_in_english("replay_upload", str(upload.pk))


# --- sao import-devices and import-pin-map ---------------------------------------------------


def test_import_devices_accepts_pending_and_ingests(cast, tmp_path, capsys):
    post_body(device_client(), "/iclock/cdata?SN=PEND-2&table=ATTLOG&Stamp=9999",
              case_bytes("BC-10_status_codes.attlog"))
    path = tmp_path / "devices.csv"
    path.write_text("serial,unit_code,model,time_zone,commissioned_on\n"
                    "PEND-2,UPT-A,X100-C,Asia/Makassar,2020-01-01\n"
                    "NEW-3,upt-b,X903,,\n")

    call_in_english("import_devices", str(path))

    pend = Device.objects.get(serial="PEND-2")
    new = Device.objects.get(serial="NEW-3")
    assert (pend.status, pend.unit, pend.model, pend.commissioned_on) == (
        DeviceStatus.ACTIVE, cast.unit_a, "X100-C", dt.date(2020, 1, 1))
    assert (new.status, new.unit, new.zone_name) == (DeviceStatus.ACTIVE, cast.unit_b,
                                                     "Asia/Makassar")
    assert Punch.objects.filter(device=pend).count() == 6
    assert "1 created, 1 updated" in capsys.readouterr().out

    call_in_english("import_devices", str(path))
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_import_devices_row_errors(cast, tmp_path):
    data = (b"serial,unit_code,model,time_zone,commissioned_on\n"
            b"OK-1,UPT-A,,,\n"
            b",UPT-A,,,\n"
            b"BAD-2,NOPE,,,\n"
            b"BAD-3,UPT-A,,Mars/Olympus,\n"
            b"BAD-4,UPT-A,,,04/03/2020\n"
            b"OK-1,UPT-A,,,\n")

    result = devices_import(data=data, filename="devices.csv", actor_label="test")

    assert [(e.line, e.column, e.value, e.code) for e in result.errors] == [
        (3, "serial", "", "serial_missing"),
        (4, "unit_code", "NOPE", "unit_unknown"),
        (5, "time_zone", "Mars/Olympus", "time_zone_unknown"),
        (6, "commissioned_on", "04/03/2020", "date_invalid"),
        (7, "serial", "OK-1", "serial_duplicate"),
    ]
    assert Device.objects.count() == 0


def test_import_devices_command_fails_on_row_errors(cast, tmp_path, capsys):
    path = tmp_path / "devices.csv"
    path.write_text("serial,unit_code,model,time_zone,commissioned_on\nX,NOPE,,,\n")

    with pytest.raises(CommandError, match="1 rows rejected, nothing imported"):
        call_in_english("import_devices", str(path))

    errors = capsys.readouterr().err
    assert "devices.csv" in errors
    assert "NOPE" in errors
    assert Device.objects.count() == 0


def test_import_pin_map_row_errors(cast):
    data = ("device_serial,unit_code,pin,nip,valid_from\n"
            "X,UPT-A,1,1,2024-01-01\n"
            "NOPE,,1,1,2024-01-01\n"
            ",UPT-A,,1,2024-01-01\n"
            ",UPT-A,5,000,2024-01-01\n"
            f",UPT-A,5,{cast.staff_a1.nip},18/03/2024\n").encode()

    result = pin_map_import(data=data, filename="pins.csv", actor_label="test")

    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (2, "device_serial", "target_ambiguous"),
        (3, "device_serial", "device_unknown"),
        (4, "pin", "pin_missing"),
        (5, "nip", "employee_unknown"),
        (6, "valid_from", "date_invalid"),
    ]
    assert PinMapping.objects.count() == 0


def test_import_pin_map_other_employee_rolls_back(cast, tmp_path):
    device = active_device(SERIAL, cast.unit_a)
    pin_mapping_create(employee=cast.staff_a2, pin="77", valid_from=dt.date(2024, 1, 1),
                       device=device, actor=cast.admin_bkd)
    data = ("device_serial,unit_code,pin,nip,valid_from\n"
            f",UPT-A,78,{cast.staff_a1.nip},2024-01-01\n"
            f"{SERIAL},,77,{cast.staff_a1.nip},2024-01-01\n").encode()

    result = pin_map_import(data=data, filename="pins.csv", actor_label="test")

    assert [(e.line, e.code) for e in result.errors] == [(3, "pin_taken")]
    assert result.created == 0
    assert not PinMapping.objects.filter(pin="78").exists()


def test_import_pin_map_attaches_stored_punches(cast, tmp_path, capsys):
    active_device(SERIAL, cast.unit_a)
    gede = make_employee(cast.unit_a, "Gede Prasetya", nip="198001012005011999")
    post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
              b"9999\t2024-03-18 07:30:00\t0\t1\t0\t0\n0012\t2024-03-18 07:31:00\t0\t1\t0\t0\n")
    path = tmp_path / "pins.csv"
    path.write_text("device_serial,unit_code,pin,nip,valid_from\n"
                    f"{SERIAL},,9999,198001012005011999,2024-03-18\n"
                    f",UPT-A,0012,{cast.staff_a1.nip},2024-01-01\n")

    call_in_english("import_pin_map", str(path))

    assert Punch.objects.get(pin="9999").employee == gede
    assert Punch.objects.get(pin="0012").employee == cast.staff_a1
    assert PinMapping.objects.get(pin="0012").unit == cast.unit_a
    assert "2 created, 0 unchanged; 2 stored punches attached" in capsys.readouterr().out
    call_in_english("import_pin_map", str(path))
    assert "0 created, 2 unchanged" in capsys.readouterr().out


def test_user_sync_sends_only_device_unit(cast):
    """PIN 1 is mapped in agency A and in UPT A below it, and each device gets only its unit's people."""
    upt_device = active_device(SERIAL, cast.unit_a)
    agency_device = active_device("CMD0000000002", cast.agency_a)
    start = dt.date(2024, 1, 1)
    pin_mapping_create(employee=cast.head_a, pin="1", valid_from=start, unit=cast.agency_a,
                       actor=cast.admin_bkd)
    agency_only = make_employee(cast.agency_a, "Hanya Kantor Dinas")
    pin_mapping_create(employee=agency_only, pin="3", valid_from=start, unit=cast.agency_a,
                       actor=cast.admin_bkd)
    pin_mapping_create(employee=cast.staff_a1, pin="1", valid_from=start, unit=cast.unit_a,
                       actor=cast.admin_bkd)
    pin_mapping_create(employee=cast.other_a, pin="2", valid_from=start, unit=cast.unit_a,
                       actor=cast.admin_bkd)
    # A device mapping wins over the unit mapping of the same PIN.
    pin_mapping_create(employee=cast.staff_a2, pin="2", valid_from=start, device=upt_device,
                       actor=cast.admin_bkd)
    # A mapping that ended before today is not sent.
    ended = make_employee(cast.unit_a, "Sudah Pindah")
    pin_mapping_create(employee=ended, pin="4", valid_from=start, unit=cast.unit_a,
                       actor=cast.admin_bkd)
    PinMapping.objects.filter(pin="4").update(valid_to=dt.date(2024, 6, 30))

    device_command_queue(device=upt_device, kind=CommandKind.USER_SYNC, actor=cast.operator_a)
    device_command_queue(device=agency_device, kind=CommandKind.USER_SYNC, actor=cast.admin_bkd)
    upt_reply = getrequest()
    agency_reply = getrequest("CMD0000000002")

    upt_lines = [line.split(":", 2)[2] for line in upt_reply.splitlines()]
    agency_lines = [line.split(":", 2)[2] for line in agency_reply.splitlines()]
    assert upt_lines == [
        "DATA UPDATE USERINFO PIN=1\tName=Staf A Satu\tPri=0",
        "DATA UPDATE USERINFO PIN=2\tName=Staf A Dua\tPri=0",
    ]
    assert agency_lines == [
        "DATA UPDATE USERINFO PIN=1\tName=Kepala A\tPri=0",
        "DATA UPDATE USERINFO PIN=3\tName=Hanya Kantor Dinas\tPri=0",
    ]
