"""Golden-file tests: every payload in fixtures/devices/ through the push parsers.

Expected values are written out by hand from the fixture bytes, so a parser that splits on
whitespace, casts PINs to int or drops trailing fields fails here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sao.devices import iclock
from tests.devices.push_support import device_payload

T = dt.datetime


def test_attlog_crlf_trailing_tab():
    records, rejected = iclock.parse_attlog(device_payload("attlog_push240_crlf_trailing_tab.txt"))

    assert rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify, r.workcode, r.line) for r in records] == [
        ("1", T(2024, 7, 28, 1, 25, 24), 0, 1, 0, 1),
        ("1", T(2024, 7, 28, 10, 41, 21), 0, 1, 0, 2),
        ("4", T(2024, 7, 28, 10, 41, 31), 0, 1, 0, 3),
    ]
    assert records[0].raw == "1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t"


def test_attlog_x100c_post():
    body = device_payload("x100c_attlog_post.txt")
    records, rejected = iclock.parse_attlog(body)

    assert len(body) == 35
    assert rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify, r.workcode) for r in records] == [
        ("1156", T(2024, 8, 5, 12, 40, 57), 1, 1, 0),
    ]


def test_attlog_x903_ten_fields():
    records, rejected = iclock.parse_attlog(device_payload("solution_x903_attlog_line.txt"))

    assert rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify, r.workcode) for r in records] == [
        ("7", T(2024, 7, 7, 1, 29, 1), 0, 1, 0),
    ]


def test_attlog_trailing_empty_fields():
    records, rejected = iclock.parse_attlog(
        device_payload("attlog_line_trailing_empty_fields.txt"))

    assert rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify, r.workcode) for r in records] == [
        ("5415", T(2022, 9, 3, 11, 54, 24), 0, 1, 0),
    ]


@pytest.mark.parametrize(("line", "code"), [
    (b"1001\t2024-03-04 07:28:15\t0", "too_few_columns"),
    (b"1001\t2024-02-30 07:30:00\t0\t1", "invalid_date"),
    (b"1001\tyesterday\t0\t1", "bad_time"),
    (b"1001\t2024-03-04 07:28:15\tIN\t1", "bad_number"),
])
def test_attlog_rejected_lines(line, code):
    records, rejected = iclock.parse_attlog(b"1\t2024-03-04 07:00:00\t0\t1\n" + line + b"\n")

    assert len(records) == 1
    assert [(item.line, item.code) for item in rejected] == [(2, code)]
    assert rejected[0].raw == line.decode()


def test_attlog_sixteen_columns_and_names_with_spaces():
    line = "\t".join(["0012", "2024-03-04 07:28:15", "255", "15"] + ["0"] * 12)
    records, rejected = iclock.parse_attlog(line.encode() + b"\r\n\r\n")

    assert rejected == []
    assert [(r.pin, r.state, r.verify) for r in records] == [("0012", 255, 15)]


def test_operlog_oplog_and_fp_lines():
    parsed = iclock.parse_operlog(device_payload("operlog_oplog_fp_push240.txt"))

    assert len(parsed.operations) == 28
    assert parsed.users == []
    first = parsed.operations[0]
    assert (first.code, first.admin_pin, first.local_time) == (13, "0", T(2024, 3, 12, 11, 3, 28))
    enrol = parsed.operations[-1]
    assert (enrol.code, enrol.local_time, enrol.objects) == (
        6, T(2024, 6, 13, 12, 55, 42), ["1", "0", "1", "1218"])
    assert parsed.fingerprints == {"1": 2}
    # The template fragments broken by CR LF inside TMP= are no records; they are skipped.
    assert len(parsed.ignored) == 1


def test_operlog_x100c_oplog_post():
    parsed = iclock.parse_operlog(device_payload("x100c_operlog_oplog_post.txt"))

    assert [(op.code, op.admin_pin, op.local_time, op.objects) for op in parsed.operations] == [
        (70, "0", T(2024, 8, 5, 16, 8, 50), ["1157", "0", "0", "0"]),
    ]


def test_operlog_x100c_two_lines():
    parsed = iclock.parse_operlog(device_payload("x100c_operlog_two_lines_and_reply.txt"))

    assert [(op.code, op.objects[0]) for op in parsed.operations] == [(30, "1160"), (6, "1160")]


def test_operlog_x100c_user_line():
    parsed = iclock.parse_operlog(device_payload("x100c_operlog_user_post.txt"))

    assert [(u.pin, u.name, u.privilege, u.card, u.group, u.has_password)
            for u in parsed.users] == [("1160", "Abc004", 0, "", "1", False)]


def test_operlog_x903_user_line():
    parsed = iclock.parse_operlog(device_payload("solution_x903_operlog_user_line.txt"))

    assert [(u.pin, u.name, u.privilege, u.group, u.has_password) for u in parsed.users] == [
        ("6", "Abcd", 0, "1", True),
    ]


def test_operlog_x903_oplog_lines():
    parsed = iclock.parse_operlog(device_payload("solution_x903_operlog_oplog_lines.txt"))

    assert [(op.code, op.admin_pin, op.objects[0]) for op in parsed.operations] == [
        (0, "0", "0"), (3, "0", "54"), (4, "0", "1"),
    ]


def test_options_x903():
    options = iclock.parse_options(device_payload("solution_x903_options_post.txt"))

    assert options["~DeviceName"] == "X903"
    assert options["TransactionCount"] == "71"
    assert options["UserCount"] == "8"
    assert options["FPCount"] == "19"
    assert options["~OEMVendor"] == "Solution"
    assert options["~Platform"] == "ZMM510_TFT"
    assert options["PushVersion"] == "Ver 2.0.33S-20211012"


def test_options_value_with_commas():
    options = iclock.parse_options(b"~OEMVendor=ZKTECO CO., LTD.,UserCount=3")

    assert options == {"~OEMVendor": "ZKTECO CO., LTD.", "UserCount": "3"}


def test_handshake_request_push240_query():
    line = device_payload("handshake_request_push240.txt").decode().strip()
    query = parse_qs(urlsplit(line.split(" ", 1)[1]).query)

    assert query["SN"] == ["ABCD123456789"]
    assert query["options"] == ["all"]
    assert query["pushver"] == ["2.4.0"]
    assert query["PushOptionsFlag"] == ["1"]
    assert query["DeviceType"] == ["middle east"]


@pytest.mark.parametrize(("name", "serial", "expected"), [
    ("x100c_handshake_exchange.txt", "SERIAL87654321",
     {"TimeZone": "7", "Realtime": "1", "Delay": "10", "TransInterval": "1",
      "OPERLOGStamp": "1722836442", "ErrorDelay": "30"}),
    ("handshake_reply_push2_thai_zkt.txt", "ABCD123456789",
     {"TimeZone": "7", "ServerVer": "2.4.1", "SupportPing": "1", "MaxPostSize": "1048576"}),
    ("handshake_reply_push3_thai_zkt.txt", "ABCD123456789",
     {"ServerVer": "3.1.2", "PushProtVer": "3.1.2", "Stamp": "1716809648.0"}),
    ("handshake_reply_legacy_keys_saifulcoder.txt", "ABCD123456789",
     {"Stamp": "9999", "OpStamp": "1722836442", "TransFlag": "1111000000", "Encrypt": "0"}),
])
def test_reference_handshake_replies(name, serial, expected):
    found_serial, options = iclock.parse_reply_options(device_payload(name).decode())

    assert found_serial == serial
    for key, value in expected.items():
        assert options[key] == value, key


def test_push3_reply_parses_as_options():
    lines = device_payload("push_reply_v3_thai_zkt.txt").decode().splitlines()
    options = dict(line.split("=", 1) for line in lines)

    assert options["TransTables"] == "User Transaction"
    assert options["RequestDelay"] == "2"


def test_our_reply_has_every_option_the_x100c_accepted():
    """Field-by-field: each option of the reply an X100-C accepted appears in ours."""
    _serial, accepted = iclock.parse_reply_options(
        device_payload("x100c_handshake_exchange.txt").decode())
    ours = iclock.handshake_reply(iclock.HandshakeOptions(
        serial="SERIAL87654321", legacy=False, attlog_stamp="9999", operlog_stamp="9999",
        attphoto_stamp="9999", error_delay=30, delay=10, trans_times="00:00;23:59",
        trans_interval=1, trans_flag="TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP"
        "\tChgFP\tFPImag", time_zone="7", realtime=True, max_post_size=1048576,
        push_options=False,
    ))
    serial, options = iclock.parse_reply_options(ours)
    accepted_keys = {key.upper() for key in accepted}
    our_keys = {key.upper() for key in options}

    assert serial == "SERIAL87654321"
    # STAMP is the legacy key the X100-C got besides ATTLOGSTAMP; 2.x replies use ATTLOGStamp.
    assert accepted_keys - our_keys == {"STAMP"}
    for key in ("ErrorDelay", "Delay", "TransTimes", "TransInterval", "TransFlag", "TimeZone",
                "Realtime"):
        assert options[key] == accepted[key], key
    assert options["Encrypt"] == "0"  # the X100-C got "None"; the spec value for plain is 0


@pytest.mark.parametrize(("zone", "unit", "expected"), [
    ("Asia/Makassar", "hours", "8"),
    ("Asia/Makassar", "minutes", "480"),
    ("Asia/Makassar", "hhmm", "+08:00"),
    ("Asia/Jakarta", "hours", "7"),
    ("Asia/Jayapura", "minutes", "540"),
    ("Asia/Kolkata", "hours", "5.5"),
    ("America/New_York", "hhmm", "-05:00"),
])
def test_time_zone_value(zone, unit, expected):
    at = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)

    assert iclock.time_zone_value(ZoneInfo(zone), unit=unit, at=at) == expected


def test_info_parameter():
    info = iclock.parse_info("Ver 6.60 Apr 28 2017, 2, 3 ,1218,192.168.1.201,10,-1,-12,101")

    assert (info.firmware, info.user_count, info.fingerprint_count, info.record_count,
            info.ip_address) == ("Ver 6.60 Apr 28 2017", 2, 3, 1218, "192.168.1.201")


def test_command_results_several_lines_and_info_payload():
    body = (b"ID=17&Return=0&CMD=DATA\n"
            b"ID=18&Return=0&CMD=INFO\nFWVersion=Ver 6.60\nUserCount=42\n"
            b"ID=19&Return=-1002&CMD=SET OPTIONS\n")
    results = iclock.parse_command_results(body)

    assert [(r.command_id, r.return_code, r.cmd) for r in results] == [
        (17, 0, "DATA"), (18, 0, "INFO"), (19, -1002, "SET OPTIONS")]
    assert results[1].payload == ["FWVersion=Ver 6.60", "UserCount=42"]


def test_command_result_shell_form():
    body = b"ID=5\nSN=ABCD123456789\nReturn=-22\nCMD=Shell\nFILENAME=shellout.txt\nContent=x\n"
    results = iclock.parse_command_results(body)

    assert [(r.command_id, r.return_code, r.cmd) for r in results] == [(5, -22, "Shell")]
    assert results[0].payload == ["FILENAME=shellout.txt", "Content=x"]


pins = st.text(alphabet="0123456789ABZ", min_size=1, max_size=9)
times = st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2037, 12, 31)
                     ).map(lambda moment: moment.replace(microsecond=0))
records_strategy = st.lists(
    st.tuples(pins, times, st.sampled_from([0, 1, 2, 3, 4, 5, 255]), st.integers(0, 25),
              st.integers(0, 4), st.sampled_from(["\n", "\r\n"]), st.booleans()),
    min_size=1, max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(records_strategy)
def test_attlog_round_trip(rows):
    """Any 4 to 16 columns, LF or CRLF and a trailing TAB give back the same records."""
    body = "".join(
        "\t".join([pin, moment.isoformat(sep=" "), str(state), str(verify)] + ["0"] * extra)
        + ("\t" if trailing_tab else "") + ending
        for pin, moment, state, verify, extra, ending, trailing_tab in rows
    ).encode()

    records, rejected = iclock.parse_attlog(body)

    assert rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify) for r in records] == [
        (pin, moment, state, verify) for pin, moment, state, verify, *_rest in rows]
