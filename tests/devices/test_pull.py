"""Pull over the ZK binary protocol: pyzk against the project's own simulated device.

Each test starts a simulator on 127.0.0.1 with an ephemeral port and stops it afterwards.
Tests that clear the device use `transactional_db`, because clearing is allowed only once
the records are committed, which the test transaction of `db` would never do.
"""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import translation

from sao.devices import pull
from sao.devices.models import Device, Punch, QuarantinedRecord, RawUpload
from sao.devices.pull import PullStatus, decode_attlog, device_pull
from sao.devices.services import device_register
from sao.devices.simulator.zkdevice import DeviceState, SimulatedPunch, SimulatedUser, ZKDeviceSimulator
from tests.conftest import make_unit, shared_fixture

MONDAY = dt.date(2024, 3, 4)


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English; the default language of SAO is Indonesian."""
    with translation.override("en"):
        yield


def at(hour: int, minute: int, second: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second))


@pytest.fixture
def device(db) -> Device:
    province = make_unit("PROV", "province")
    unit = make_unit("OPD-P", "opd", province, name="Dinas P", time_zone="Asia/Makassar")
    registered, _created = device_register(serial="SIM0000000001", unit=unit, time_zone="Asia/Makassar",
                                           commissioned_on=dt.date(2020, 1, 1), actor_label="test")
    return registered


def five_punches() -> list[SimulatedPunch]:
    return [
        SimulatedPunch("1001", at(7, 28, 15), state=0),
        SimulatedPunch("1002", at(7, 41, 2), state=0),
        SimulatedPunch("1003", at(7, 55, 0), state=0),
        SimulatedPunch("1001", at(16, 3, 44), state=1),
        SimulatedPunch("1002", at(16, 10, 30), state=1),
    ]


def users() -> list[SimulatedUser]:
    return [SimulatedUser(1, "1001", "Ayu"), SimulatedUser(2, "1002", "Gede"),
            SimulatedUser(3, "1003", "Komang")]


def stored_pins_times(device: Device) -> list[tuple[str, dt.datetime, int]]:
    return [(punch.pin, punch.local_wall_time, punch.state)
            for punch in Punch.objects.filter(device=device).order_by("local_time", "pin")]


def test_decode_fixture_ignores_stale_count():
    """48 bytes with a reported count of 4 decode as three 16-byte records."""
    path = shared_fixture("cases/BC-04_pull_attlog_16byte.hex")
    hex_text = "".join(line.strip() for line in path.read_text().splitlines() if not line.startswith("#"))
    buffer = bytes.fromhex(hex_text)

    log = decode_attlog(buffer[4:], users={}, expected=4, latest=dt.datetime(2024, 12, 31))

    assert log.record_size == 16
    assert log.rejected == []
    assert [(r.pin, r.local_time, r.state, r.verify) for r in log.records] == [
        ("1001", at(7, 28, 15), 0, 1),
        ("1002", at(7, 41, 2), 0, 1),
        ("1001", at(16, 3, 44), 1, 1),
    ]


def test_pull_stale_count_stores_three(device):
    """End to end: the device reports 4, the buffer contains 3, and 3 are stored with a warning."""
    state = DeviceState(serial=device.serial, record_size=16, users=users(), reported_records=4,
                        punches=[SimulatedPunch("1001", at(7, 28, 15), 0),
                                 SimulatedPunch("1002", at(7, 41, 2), 0),
                                 SimulatedPunch("1001", at(16, 3, 44), 1)])

    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3)

    assert result.record_size == 16
    assert (result.expected, result.decoded, result.accepted) == (4, 3, 3)
    assert result.status == PullStatus.INCOMPLETE
    assert "reported 4 records but 3 were read" in " ".join(result.messages)
    assert stored_pins_times(device) == [
        ("1001", at(7, 28, 15), 0), ("1002", at(7, 41, 2), 0), ("1001", at(16, 3, 44), 1),
    ]
    assert not Punch.objects.exclude(local_time__year=2024).exists()


@pytest.mark.parametrize("record_size", [8, 16, 40])
def test_pull_each_record_layout(device, record_size):
    """The 8-, 16- and 40-byte layouts all decode to the same punches."""
    state = DeviceState(serial=device.serial, record_size=record_size, users=users(),
                        punches=five_punches())

    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3)

    assert result.status == PullStatus.COMPLETE
    assert result.record_size == record_size
    assert result.accepted == 5
    assert stored_pins_times(device)[0] == ("1001", at(7, 28, 15), 0)


def test_pull_over_udp(device):
    state = DeviceState(serial=device.serial, users=users(), punches=five_punches())

    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3,
                             force_udp=True)

    assert result.status == PullStatus.COMPLETE
    assert result.accepted == 5


def test_pull_raw_buffer_kept(device):
    """The buffer bytes go to the ledger before decoding, byte for byte."""
    state = DeviceState(serial=device.serial, users=users(), punches=five_punches())

    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3)

    upload = RawUpload.objects.get(pk=result.upload_id)
    assert upload.source == "pull"
    assert bytes(upload.body) == state.attlog_buffer()
    assert Punch.objects.filter(upload=upload).count() == 5


def test_pull_unknown_uid_not_a_pin(device):
    """In 8-byte records a deleted user's slot 7 is quarantined, not given to PIN 7."""
    state = DeviceState(serial=device.serial, record_size=8,
                        users=[SimulatedUser(5, "1005", "Wayan"), SimulatedUser(9, "7", "Nyoman")],
                        punches=[SimulatedPunch("1005", at(7, 29)),
                                 SimulatedPunch("deleted", at(7, 33), uid=7)])

    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3)

    assert stored_pins_times(device) == [("1005", at(7, 29), 0)]
    assert result.quarantined == 1
    assert QuarantinedRecord.objects.get(device=device).code == "unknown_uid"


@pytest.mark.django_db(transaction=True)
def test_short_read_detected_then_completed(device):
    """5 expected, 3 arrive before the device stops answering; the rerun gets all 5."""
    # The buffer is a 4-byte size then 16-byte records: 3 whole records end at byte 52.
    state = DeviceState(serial=device.serial, users=users(), punches=five_punches(), serve_bytes=52)

    with ZKDeviceSimulator(state) as simulator:
        first = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=0.5,
                            chunk_size=16, clear=True)
        state.serve_bytes = None
        second = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3,
                             chunk_size=16)

    assert first.status == PullStatus.INCOMPLETE
    assert (first.expected, first.decoded, first.accepted) == (5, 3, 3)
    assert "reported 5 records but 3 were read" in " ".join(first.messages)
    assert first.cleared is False
    assert state.clear_count == 0
    assert second.status == PullStatus.COMPLETE
    assert (second.accepted, second.duplicates) == (2, 3)
    assert Punch.objects.filter(device=device).count() == 5


@pytest.mark.django_db(transaction=True)
def test_failed_store_never_clears(device, monkeypatch):
    """The write fails on record 3: nothing is committed and the device keeps its log."""
    state = DeviceState(serial=device.serial, users=users(), punches=five_punches()[:4])
    real_ingest = pull.punches_ingest

    def fail_on_third(*, upload, device, records, rejected=()):
        real_ingest(upload=upload, device=device, records=records[:2], rejected=rejected)
        raise OperationalError("injected failure while writing record 3")

    with ZKDeviceSimulator(state) as simulator:
        monkeypatch.setattr(pull, "punches_ingest", fail_on_third)
        failed = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3,
                             clear=True)
        assert Punch.objects.count() == 0
        assert state.clear_count == 0
        assert len(state.punches) == 4

        monkeypatch.setattr(pull, "punches_ingest", real_ingest)
        retried = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3,
                              clear=True)

    assert failed.status == PullStatus.FAILED
    assert failed.cleared is False
    assert retried.status == PullStatus.COMPLETE
    assert retried.accepted == 4
    assert Punch.objects.filter(device=device).count() == 4
    assert retried.cleared is True
    assert state.clear_count == 1
    assert state.punches == []


def test_clear_refused_inside_transaction(device):
    with pytest.raises(RuntimeError, match="outside a transaction"):
        device_pull(device=device, host="127.0.0.1", port=9, clear=True)


def test_unreachable_device_fails_cleanly(device):
    """A closed port gives a FAILED result with the address, not an exception."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    result = device_pull(device=device, host="127.0.0.1", port=closed_port, timeout=1)

    assert result.status == PullStatus.FAILED
    assert f"127.0.0.1:{closed_port}" in result.messages[0]
    assert Punch.objects.count() == 0


def test_comm_key_required(device):
    state = DeviceState(serial=device.serial, comm_key=1234, users=users(), punches=five_punches())

    with ZKDeviceSimulator(state) as simulator:
        refused = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=2)
        accepted = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=2,
                               comm_key=1234)

    assert refused.status == PullStatus.FAILED
    assert accepted.status == PullStatus.COMPLETE


def test_pull_devices_command(device, capsys):
    state = DeviceState(serial=device.serial, users=users(), punches=five_punches())

    with ZKDeviceSimulator(state) as simulator:
        call_command("pull_devices", "--serial", device.serial, "--host", "127.0.0.1",
                     "--port", str(simulator.port), "--timeout", "3")

    output = capsys.readouterr().out
    assert "SIM0000000001" in output
    assert "complete" in output
    assert "5 accepted" in output
    assert Punch.objects.filter(device=device).count() == 5


def test_pending_device_not_pulled(db):
    """A device waiting for acceptance is not contacted and gets no punches."""
    from sao.devices.services import device_for_serial

    pending = device_for_serial(serial="PEND000000001")

    result = device_pull(device=pending, host="127.0.0.1", port=9, timeout=1)

    assert result.status == PullStatus.FAILED
    assert "not active" in result.messages[0]
    assert RawUpload.objects.count() == 0


def test_stored_buffer_replays_as_duplicates(device):
    """Replaying a stored pull decodes the same records, slot numbers included, and adds nothing."""
    from sao.devices.services import raw_upload_replay

    state = DeviceState(serial=device.serial, record_size=8, users=users(), punches=five_punches())
    with ZKDeviceSimulator(state) as simulator:
        result = device_pull(device=device, host="127.0.0.1", port=simulator.port, timeout=3)

    outcome = raw_upload_replay(upload=RawUpload.objects.get(pk=result.upload_id))

    assert result.accepted == 5
    assert outcome.handled is True
    assert (outcome.ingest.accepted, outcome.ingest.duplicates) == (0, 5)
    assert Punch.objects.filter(device=device).count() == 5
