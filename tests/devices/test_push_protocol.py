"""The /iclock/ push endpoints through real HTTP requests of Django's test client.

Cases BC-03, BC-05, BC-07, BC-08, BC-09, BC-10 and BC-20 use the shared case files as sent;
the device registry is set up per test. Employees and units come from the named cast.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from sao.devices import iclock
from sao.devices.models import (
    Device,
    DeviceOperation,
    DeviceStatus,
    DeviceUser,
    Punch,
    QuarantinedRecord,
    RawUpload,
)
from sao.devices.services import device_resync_request
from tests.devices.push_support import (
    WITA,
    active_device,
    case_bytes,
    device_client,
    device_payload,
    freeze_now,
    http_request,
    post_body,
)

pytestmark = pytest.mark.django_db

SERIAL = "CQZ7231260012"


def punches_of(device):
    return list(Punch.objects.filter(device=device).order_by("local_time", "state")
                .values_list("pin", "local_time", "state", "verify", "workcode"))


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


# --- handshake -------------------------------------------------------------------------------


def test_handshake_minutes_profile(cast, monkeypatch):
    """BC-07: TimeZone from the device's zone in its unit; stamp from server state."""
    active_device(SERIAL, cast.unit_a, time_zone="Asia/Makassar", time_zone_format="minutes")
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 7, 0, tzinfo=WITA))
    method, target, _body = http_request("BC-07_handshake.http")

    response = device_client().generic(method, target)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    lines = response.content.decode().splitlines()
    assert lines[0] == f"GET OPTION FROM: {SERIAL}"
    assert [line for line in lines if line.startswith("TimeZone=")] == ["TimeZone=480"]
    _serial, options = iclock.parse_reply_options(response.content.decode())
    assert options["ATTLOGStamp"] == "0"  # new device: send every stored record
    assert "1709506800" not in response.content.decode()  # never the current Unix time


def test_handshake_hours_profile(cast):
    active_device(SERIAL, cast.unit_a, time_zone="Asia/Makassar", time_zone_format="hours")
    method, target, _body = http_request("BC-07_handshake.http")

    response = device_client().generic(method, target)

    lines = response.content.decode().splitlines()
    assert [line for line in lines if line.startswith("TimeZone=")] == ["TimeZone=8"]


def test_handshake_reply_field_by_field(cast):
    active_device(SERIAL, cast.unit_a)

    response = device_client().get(
        f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.0&language=73")

    assert response.content.decode() == (
        f"GET OPTION FROM: {SERIAL}\n"
        "ATTLOGStamp=0\n"
        "OPERLOGStamp=9999\n"
        "ATTPHOTOStamp=9999\n"
        "ErrorDelay=60\n"
        "Delay=30\n"
        "TransTimes=00:00;14:05\n"
        "TransInterval=1\n"
        "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\n"
        "TimeZone=8\n"
        "Realtime=1\n"
        "Encrypt=0\n"
        "Timeout=60\n"
        "SyncTime=3600\n"
        "ServerVer=2.4.1\n"
        "PushProtVer=2.4.1\n"
        "SupportPing=1\n"
        "MaxPostSize=4194304\n"
    )
    device = Device.objects.get(serial=SERIAL)
    assert (device.push_version, device.language) == ("2.4.0", "73")


def test_handshake_uses_per_device_options(cast):
    active_device(SERIAL, cast.unit_a, delay_seconds=10, error_delay_seconds=30,
                  realtime=False, time_zone="Asia/Jakarta")

    response = device_client().get(f"/iclock/cdata?SN={SERIAL}&options=ALL&pushver=2.4.0"
                                   "&PushOptionsFlag=1")

    _serial, options = iclock.parse_reply_options(response.content.decode())
    assert (options["Delay"], options["ErrorDelay"], options["Realtime"]) == ("10", "30", "0")
    assert options["TimeZone"] == "7"
    assert options["PushOptionsFlag"] == "1"
    assert "~DeviceName" in options["PushOptions"]


def test_handshake_legacy_keys_without_pushver(cast):
    active_device(SERIAL, cast.unit_a)

    response = device_client().get(f"/iclock/cdata?SN={SERIAL}&options=all")

    _serial, options = iclock.parse_reply_options(response.content.decode())
    assert options["Stamp"] == "0"
    assert options["OpStamp"] == "9999"
    assert "ATTLOGStamp" not in options
    assert "ServerVer" not in options


def test_stamp_echoed_after_data_and_reset_by_resync(cast):
    device = active_device(SERIAL, cast.unit_a)
    client = device_client()
    post_body(client, f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
              b"1001\t2024-03-04 07:28:15\t0\t1\t0\t0\t0\n")

    first = iclock.parse_reply_options(
        client.get(f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.0").content.decode())[1]
    device_resync_request(device=device, actor=cast.admin_bkd, reason="lost punches")
    second = iclock.parse_reply_options(
        client.get(f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.0").content.decode())[1]
    third = iclock.parse_reply_options(
        client.get(f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.0").content.decode())[1]

    assert first["ATTLOGStamp"] == "9999"
    assert second["ATTLOGStamp"] == "0"
    assert third["ATTLOGStamp"] == "9999"  # the request is cleared once a reply carried it


def test_time_query(cast, monkeypatch):
    active_device(SERIAL, cast.unit_a)
    freeze_now(monkeypatch, dt.datetime(2024, 3, 4, 0, 5, 30, tzinfo=dt.UTC))

    response = device_client().get(f"/iclock/cdata?SN={SERIAL}&type=time")

    assert response.content == b"Time=2024-03-04T08:05:30+08:00\n"


def test_realtime_punch_after_handshake_offset_near_zero(cast, monkeypatch):
    """BC-07: after the handshake, a realtime punch shows clock offset 0 ± 1 min."""
    active_device(SERIAL, cast.unit_a)
    client = device_client()
    now = dt.datetime(2024, 3, 4, 7, 28, 10, tzinfo=WITA)
    freeze_now(monkeypatch, now)
    client.get(f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.1")

    # The punch of 07:28:15 is made after the handshake and sent 5 s later.
    freeze_now(monkeypatch, now + dt.timedelta(seconds=10))
    post_body(client, f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
              b"1001\t2024-03-04 07:28:15\t0\t1\t0\t0\t0\n")

    device = Device.objects.get(serial=SERIAL)
    assert device.clock_offset_seconds is not None
    assert abs(device.clock_offset_seconds) <= 60
    assert device.clock_suspect is False
    assert Punch.objects.get(device=device).suspect is False


# --- ATTLOG ----------------------------------------------------------------------------------


def test_attlog_body_shapes(cast):
    """BC-08: 7, 7 with empty workcode, 10 and 11 fields, and a blank line."""
    device = active_device(SERIAL, cast.unit_a)
    method, target, body = http_request("BC-08_push_attlog.http")

    response = device_client().generic(method, target, data=body, content_type="text/plain")

    assert response.status_code == 200
    assert response.content == b"OK: 4"
    assert punches_of(device) == [
        ("1001", utc(2024, 3, 8, 7, 28, 15), 0, 1, 0),
        ("1002", utc(2024, 3, 8, 7, 41, 2), 0, 15, 0),
        ("A17", utc(2024, 3, 8, 7, 45, 30), 0, 25, 0),
        ("0012", utc(2024, 3, 8, 7, 52, 9), 1, 1, 0),
    ]
    instants = list(Punch.objects.filter(device=device).order_by("instant")
                    .values_list("instant", flat=True))
    assert instants[0] == utc(2024, 3, 7, 23, 28, 15)  # 07:28:15 WITA
    assert QuarantinedRecord.objects.count() == 0


def test_status_codes_all_stored(cast):
    """BC-10: states 255, 2, 3 and swapped 0/1 are kept as sent."""
    device = active_device(SERIAL, cast.unit_a)

    response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
                         case_bytes("BC-10_status_codes.attlog"))

    assert response.content == b"OK: 6"
    assert [(pin, state) for pin, _t, state, _v, _w in punches_of(device)] == [
        ("2001", 255), ("2002", 1), ("2001", 2), ("2001", 3), ("2002", 0), ("2001", 255),
    ]


def test_duplicates_collapse(cast):
    """BC-20: a triple collapses, same-second out/in stays; a resend adds nothing."""
    device = active_device(SERIAL, cast.unit_a)
    client = device_client()
    body = case_bytes("BC-20_duplicates.attlog")
    path = f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999"

    first = post_body(client, path, body)
    second = post_body(client, path, body)

    assert first.content == b"OK: 7"  # 5 stored + 2 recognised duplicates
    assert second.content == b"OK: 7"
    assert [(t.time().isoformat(), state) for _p, t, state, _v, _w in punches_of(device)] == [
        ("07:28:15", 0), ("07:28:17", 0), ("12:00:00", 0), ("12:00:00", 1), ("16:03:44", 1),
    ]
    uploads = RawUpload.objects.filter(device=device).order_by("id")
    assert [(u.accepted_count, u.duplicate_count) for u in uploads] == [(5, 2), (0, 7)]


def test_pins_stay_text(cast):
    """BC-03: 0012, 12 and A17 are three people; nothing is stored as PIN 0."""
    from sao.devices.services import pin_mapping_create

    device = active_device(SERIAL, cast.unit_a)
    people = {"0012": cast.staff_a1, "12": cast.staff_a2, "A17": cast.other_a}
    for pin, employee in people.items():
        pin_mapping_create(employee=employee, pin=pin, valid_from=dt.date(2024, 1, 1),
                           device=device, actor=cast.admin_bkd)
    body = "".join(
        f"{pin}\t2024-03-04 {time}\t{state}\t1\t0\t0\n"
        for pin, time, state in [("0012", "07:29:00", 0), ("12", "07:35:00", 0),
                                 ("A17", "07:31:00", 0), ("0012", "16:01:00", 1),
                                 ("12", "16:00:00", 1), ("A17", "16:02:00", 1)]
    ).encode()

    post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999", body)

    for pin, employee in people.items():
        assert Punch.objects.filter(pin=pin, employee=employee).count() == 2, pin
    assert not Punch.objects.filter(pin__in=["0", "12.0", ""]).exists()
    assert Punch.objects.count() == 6


def test_invalid_lines_quarantined(cast, monkeypatch):
    """BC-05: two accepted, four quarantined with their reasons, no error reply."""
    device = active_device(SERIAL, cast.unit_a, commissioned_on=dt.date(2020, 1, 1))
    freeze_now(monkeypatch, dt.datetime(2024, 3, 6, 16, 5, tzinfo=WITA))

    response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
                         case_bytes("BC-05_invalid_lines.attlog"))

    assert response.status_code == 200
    assert response.content == b"OK: 6"
    assert [(p, t.time().isoformat()) for p, t, *_rest in punches_of(device)] == [
        ("1001", "07:27:33"), ("1001", "16:02:10")]
    reasons = dict(QuarantinedRecord.objects.filter(device=device).values_list("line", "code"))
    assert reasons == {2: "empty_pin", 3: "before_commissioning", 4: "invalid_date", 5: "future"}
    upload = RawUpload.objects.get(device=device)
    assert (upload.accepted_count, upload.quarantined_count) == (2, 4)


def test_crash_after_commit_then_resend(cast, monkeypatch):
    """The reply path fails after the commit; the device resends; nothing is stored twice."""
    from sao.devices import iclock_views

    device = active_device(SERIAL, cast.unit_a)
    method, target, body = http_request("BC-08_push_attlog.http")

    def failing_reply(outcome, *, table):
        raise ConnectionResetError("connection lost before the reply")

    monkeypatch.setattr(iclock_views, "push_reply", failing_reply)
    with pytest.raises(ConnectionResetError):
        device_client().generic(method, target, data=body, content_type="text/plain")
    assert Punch.objects.filter(device=device).count() == 4
    monkeypatch.undo()

    response = device_client().generic(method, target, data=body, content_type="text/plain")

    assert response.content == b"OK: 4"
    assert Punch.objects.filter(device=device).count() == 4
    uploads = RawUpload.objects.filter(device=device).order_by("id")
    assert [(u.accepted_count, u.duplicate_count) for u in uploads] == [(4, 0), (0, 4)]


def test_raw_body_kept_byte_exact(cast):
    active_device(SERIAL, cast.unit_a)
    body = device_payload("attlog_push240_crlf_trailing_tab.txt")

    post_body(device_client(), f"/iclock/cdata.aspx?SN={SERIAL}&table=ATTLOG&Stamp=9999", body)

    upload = RawUpload.objects.get(serial=SERIAL)
    assert bytes(upload.body) == body
    assert upload.size == len(body)
    assert upload.table == "ATTLOG"
    assert upload.query_string == f"SN={SERIAL}&table=ATTLOG&Stamp=9999"
    assert upload.source == "push"


def test_body_over_cap_rejected_and_logged(cast, settings, caplog):
    active_device(SERIAL, cast.unit_a)
    settings.SAO_PUSH_MAX_BODY_BYTES = 64
    body = b"1001\t2024-03-04 07:28:15\t0\t1\t0\t0\t0\n" * 3

    with caplog.at_level(logging.WARNING, logger="sao.devices.iclock_views"):
        response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTLOG", body)

    assert response.status_code == 413
    assert RawUpload.objects.count() == 0
    assert "the cap is 64 bytes" in caplog.text


def test_missing_serial_is_400():
    response = device_client().post("/iclock/cdata?table=ATTLOG", data=b"x",
                                    content_type="text/plain")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain"


def test_iclock_skips_web_middleware(cast):
    """Device requests get no session, CSRF or language handling, only the device reply."""
    active_device(SERIAL, cast.unit_a)

    response = device_client().get(f"/iclock/getrequest?SN={SERIAL}")

    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Length"] == "2"  # never chunked
    assert "Content-Language" not in response  # set by the per-user language middleware
    assert "X-Frame-Options" not in response  # set by the clickjacking middleware
    assert not response.cookies


def test_iclock_keeps_host_check(cast, settings):
    settings.ALLOWED_HOSTS = ["sao.example"]

    response = device_client().get(f"/iclock/getrequest?SN={SERIAL}", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert not Device.objects.filter(serial=SERIAL).exists()


def test_iclock_unknown_path_is_404(cast):
    assert device_client().post("/iclock/registry?SN=X", data=b"",
                                content_type="text/plain").status_code == 404


def test_devicecmd_get_is_405(cast):
    response = device_client().get(f"/iclock/devicecmd?SN={SERIAL}")

    assert response.status_code == 405


def test_push10_without_table(cast):
    """Push 1.0: Stamp= means ATTLOG, OpStamp= means OPERLOG."""
    device = active_device(SERIAL, cast.unit_a)
    client = device_client()

    attlog = post_body(client, f"/iclock/cdata?SN={SERIAL}&Stamp=82983982",
                       b"982\t2008-02-25 12:08:21\t1\t0\t9001\n")
    operlog = post_body(client, f"/iclock/cdata?SN={SERIAL}&OpStamp=82983982",
                        device_payload("x100c_operlog_user_post.txt"))

    assert attlog.content == b"OK: 1"
    assert punches_of(device) == [("982", utc(2008, 2, 25, 12, 8, 21), 1, 0, 9001)]
    assert operlog.content == b"OK: 1"
    assert DeviceUser.objects.get(device=device, pin="1160").name == "Abc004"


def test_unknown_table_answered_ok_and_kept(cast):
    active_device(SERIAL, cast.unit_a)

    response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=ATTPHOTO&Stamp=1",
                         b"PIN=20240304072815-1001\nSN=x\nsize=3\nCMD=uploadphoto\x00\xff\xd8\xff")

    assert response.status_code == 200
    assert response.content == b"OK"
    assert bytes(RawUpload.objects.get(table="ATTPHOTO").body).endswith(b"\x00\xff\xd8\xff")


def test_ping_and_fdata(cast):
    device = active_device(SERIAL, cast.unit_a)
    client = device_client()

    ping = client.get(f"/iclock/ping?SN={SERIAL}")
    fdata = post_body(client, f"/iclock/fdata?SN={SERIAL}&table=BIOPHOTO", b"\x00\x01binary")

    assert (ping.status_code, ping.content) == (200, b"OK")
    assert (fdata.status_code, fdata.content) == (200, b"OK")
    assert RawUpload.objects.get(device=device).table == "fdata:BIOPHOTO"
    assert Device.objects.get(pk=device.pk).last_contact_at is not None


# --- OPERLOG and options -----------------------------------------------------------------------


def test_operlog_updates_users_not_punches(cast):
    """BC-09: a USER line names PIN 1001 on that device; no punch is created."""
    device = active_device(SERIAL, cast.unit_a)
    method, target, body = http_request("BC-09_push_operlog.http")

    response = device_client().generic(method, target, data=body, content_type="text/plain")

    assert response.status_code == 200
    assert response.content == b"OK: 2"
    assert Punch.objects.count() == 0
    user = DeviceUser.objects.get(device=device, pin="1001")
    assert user.name == "Ayu Lestari"
    assert DeviceOperation.objects.get(device=device).code == 4


def test_operlog_fp_capture_and_tamper_alert(cast):
    device = active_device(SERIAL, cast.unit_a)

    response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=OPERLOG&Stamp=9999",
                         device_payload("operlog_oplog_fp_push240.txt"))

    assert response.status_code == 200
    assert DeviceOperation.objects.filter(device=device).count() == 28
    assert list(DeviceOperation.objects.filter(device=device, alert=True)
                .values_list("code", flat=True)) == [13]
    assert Punch.objects.count() == 0


def test_operlog_resend_stores_operations_once(cast):
    device = active_device(SERIAL, cast.unit_a)
    body = device_payload("x100c_operlog_two_lines_and_reply.txt")
    client = device_client()

    first = post_body(client, f"/iclock/cdata?SN={SERIAL}&table=OPERLOG&OpStamp=9999", body)
    post_body(client, f"/iclock/cdata?SN={SERIAL}&table=OPERLOG&OpStamp=9999", body)

    assert first.content == b"OK: 2"  # the reply the X100-C accepted for these two lines
    assert DeviceOperation.objects.filter(device=device).count() == 2
    assert Device.objects.get(pk=device.pk).operlog_stamp == "9999"


def test_options_post_fills_registry(cast):
    device = active_device(SERIAL, cast.unit_a)

    response = post_body(device_client(), f"/iclock/cdata?SN={SERIAL}&table=options",
                         device_payload("solution_x903_options_post.txt"))

    device.refresh_from_db()
    assert response.status_code == 200
    assert (device.model, device.user_count, device.record_count) == ("X903", 8, 71)
    assert device.device_options["~OEMVendor"] == "Solution"


# --- pending devices -------------------------------------------------------------------------


def test_unknown_serial_held_pending_then_accepted(cast):
    client = device_client()
    body = case_bytes("BC-10_status_codes.attlog")

    response = post_body(client, "/iclock/cdata?SN=NEW0000000001&table=ATTLOG&Stamp=9999", body)

    device = Device.objects.get(serial="NEW0000000001")
    assert response.status_code == 200
    assert response.content == b"OK"
    assert device.status == DeviceStatus.PENDING
    assert Punch.objects.count() == 0
    assert RawUpload.objects.get(device=device).parsed_at is None

    from sao.devices.services import device_accept

    device_accept(device=device, unit=cast.unit_a, actor=cast.admin_bkd)

    assert Punch.objects.filter(device=device).count() == 6
    assert RawUpload.objects.get(device=device).parsed_at is not None
