"""Live demo devices against a live server: heartbeats, today's punches once, restart, fault check.

A fake clock drives both the simulator and the server: django.utils.timezone.now is patched, and
the live server runs in this process. So a working day plays in seconds, and the server's device
clock check compares each punch with the simulated time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from sao.demo.devices import demo_devices_register
from sao.demo.live import (
    LiveSimulator,
    live_devices_load,
    plans_build,
    position_stamp,
    stamp_position,
)
from sao.demo.services import ACTOR_LABEL, DEFAULT_SEED
from sao.devices.models import Device, Punch, RawUpload
from sao.devices.services import wall_time
from sao.devices.simulator.push import PushDeviceClient
from sao.faults.models import FaultCause, FaultTicket
from sao.faults.services import fault_report, faults_check
from tests.conftest import make_employee, make_unit, make_user

WITA = ZoneInfo("Asia/Makassar")
STEP = dt.timedelta(minutes=2)


class FakeClock:
    """A clock that the test moves by hand, returning aware datetimes."""

    def __init__(self, start: dt.datetime):
        self.current = start

    def now(self) -> dt.datetime:
        return self.current


def last_midweek_day() -> dt.date:
    """Return the latest Wednesday before today (WITA), usually a full office day."""
    day = timezone.now().astimezone(WITA).date() - dt.timedelta(days=1)
    while day.weekday() != 2:
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture
def world(live_server, monkeypatch):
    """Register demo devices for two agencies; return (live serials, control serial, clock)."""
    province = make_unit("PROV", "province")
    live_agency = make_unit("OPD-LIVE", "opd", province)
    control_agency = make_unit("OPD-CONTROL", "opd", province)
    for number in range(8):
        make_employee(live_agency, f"Pegawai Live {number}")
    for number in range(3):
        make_employee(control_agency, f"Pegawai Kontrol {number}")
    demo_devices_register(commissioned_on=dt.date(2026, 1, 1), actor_label=ACTOR_LABEL)

    clock = FakeClock(dt.datetime.combine(last_midweek_day(), dt.time(6, 30), WITA))
    monkeypatch.setattr(timezone, "now", clock.now)
    live = sorted(Device.objects.filter(unit=live_agency).values_list("serial", flat=True))
    control = Device.objects.get(unit=control_agency).serial
    return live, control, clock


def simulator_for(serials, clock, url) -> LiveSimulator:
    # One HTTP thread: the in-memory SQLite test database rejects concurrent writers.
    return LiveSimulator(url=url, devices=live_devices_load(serials), clock=clock.now, threads=1)


def run_until(simulator: LiveSimulator, clock: FakeClock, until: dt.datetime) -> None:
    while clock.current < until:
        clock.current = min(until, clock.current + STEP)
        simulator.step()


def stored_punches(serials) -> list[tuple[str, str, dt.datetime]]:
    return sorted(Punch.objects.filter(device__serial__in=serials)
                  .values_list("device__serial", "pin", "local_time"))


def planned_punches(simulator: LiveSimulator, until: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    wall = until.astimezone(WITA).replace(tzinfo=None)
    return sorted((device.serial, punch.pin, wall_time(punch.local_time))
                  for device in simulator.devices for punch in device.plan
                  if punch.local_time <= wall)


def duplicates(serials) -> int:
    total = RawUpload.objects.filter(device__serial__in=serials, table="ATTLOG").aggregate(
        total=Sum("duplicate_count"))["total"]
    return total or 0


def test_stamp_round_trip():
    wall = dt.datetime(2026, 12, 2, 7, 31, 5)

    assert stamp_position(position_stamp(wall)) == wall
    assert stamp_position("9999") is None
    assert stamp_position("0") is None
    assert stamp_position("") is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_day_restart_and_fault_check(world, live_server):
    live, control, clock = world
    day = clock.current.date()
    simulator = simulator_for(live, clock, live_server.url)

    # Handshakes, spread over the first seconds, then heartbeats at the handshake's Delay.
    run_until(simulator, clock, clock.current + dt.timedelta(minutes=4))
    contacts = dict(Device.objects.filter(serial__in=live).values_list("serial", "last_contact_at"))
    assert set(contacts) == set(live)
    for serial, contact in contacts.items():
        assert contact == clock.current, serial
    assert sum(len(device.plan) for device in simulator.devices) > 0, f"no punches planned on {day}"

    # Morning arrivals as realtime uploads, then a restart in the middle of them.
    arrivals = sorted(punch.local_time for device in simulator.devices for punch in device.plan
                      if punch.state == 0)
    restart_at = arrivals[len(arrivals) // 2].replace(tzinfo=WITA) + dt.timedelta(seconds=1)
    run_until(simulator, clock, restart_at)
    sent_before_restart = simulator.stats.punches_sent
    assert sent_before_restart > 0
    assert stored_punches(live) == planned_punches(simulator, restart_at)
    simulator.close()

    restarted = simulator_for(live, clock, live_server.url)
    clock.current += dt.timedelta(seconds=11)
    restarted.step()
    assert restarted.stats.handshakes == len(live)
    assert restarted.stats.punches_sent == 0
    for device in restarted.devices:
        assert device.position is not None, device.serial

    working_time = dt.datetime.combine(day, dt.time(10, 0), WITA)
    run_until(restarted, clock, working_time)
    assert restarted.stats.punches_sent > 0
    assert stored_punches(live) == planned_punches(restarted, working_time)
    assert duplicates(live) == 0
    assert Device.objects.filter(serial__in=live, clock_suspect=True).count() == 0

    # The fault check at 10:01 finds the live devices in contact. The control device, silent
    # since 07:00, gets its ticket, which shows that the check runs.
    Device.objects.filter(serial=control).update(
        last_contact_at=dt.datetime.combine(day, dt.time(7, 0), WITA))
    summary = faults_check(now=working_time + dt.timedelta(minutes=1))
    silent = set(FaultTicket.objects.filter(cause=FaultCause.SILENT)
                 .values_list("device__serial", flat=True))
    assert summary.opened
    assert control in silent
    assert not silent & set(live)

    # Departures after the office day, each stored once.
    evening = dt.datetime.combine(day, dt.time(18, 0), WITA)
    run_until(restarted, clock, evening)
    assert stored_punches(live) == planned_punches(restarted, evening)
    assert duplicates(live) == 0
    assert restarted.stats.errors == 0
    restarted.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_first_start_after_demo_push(world, live_server):
    live, _control, clock = world
    device = live_devices_load(live)[0]
    plans_build([device], now=clock.current, seed=DEFAULT_SEED)
    morning = [punch for punch in device.plan if punch.state == 0]
    assert len(morning) >= 4, f"too few arrivals planned on {clock.current.date()}"
    # `sao demo` pushes with Stamp=9999, which carries no position for the simulator.
    early = morning[:len(morning) // 2]
    clock.current = early[-1].local_time.replace(tzinfo=WITA) + dt.timedelta(minutes=1)
    client = PushDeviceClient(live_server.url, device.serial)
    status, reply = client.post_attlog([punch.line() for punch in early])
    assert (status, reply.strip()[:2]) == (200, "OK")

    simulator = simulator_for(live, clock, live_server.url)
    until = morning[-1].local_time.replace(tzinfo=WITA)
    clock.current = until
    simulator.step()
    clock.current += dt.timedelta(seconds=11)
    simulator.step()

    assert simulator.stats.punches_sent == len(planned_punches(simulator, until)) - len(early)
    assert stored_punches(live) == planned_punches(simulator, until)
    assert duplicates(live) == 0
    simulator.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_power_fault_silences_device(world, live_server):
    live, _control, clock = world
    silent_device = Device.objects.get(serial=live[0])
    operator = make_user("operator.bkd.live", "operator_bkd")
    fault_report(device=silent_device, actor=operator, cause=FaultCause.POWER,
                 description="Listrik kantor padam.", now=clock.current,
                 stated_started_at=clock.current)
    simulator = simulator_for(live, clock, live_server.url)

    run_until(simulator, clock, clock.current + dt.timedelta(minutes=4))

    silent_device.refresh_from_db()
    assert silent_device.last_contact_at is None
    assert [device.no_contact for device in simulator.devices] == [True]
    simulator.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_run_loop_real_clock(live_server, monkeypatch):
    province = make_unit("PROV", "province")
    agency = make_unit("OPD-LOOP", "opd", province)
    make_employee(agency, "Pegawai Loop")
    demo_devices_register(commissioned_on=dt.date(2026, 1, 1), actor_label=ACTOR_LABEL)
    monkeypatch.setattr("sao.demo.live.START_SPREAD_SECONDS", 0)
    simulator = LiveSimulator(url=live_server.url, devices=live_devices_load(), threads=1)
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop,), kwargs={"tick": 0.1})

    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not simulator.stats.heartbeats:
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=10)
    simulator.close()

    assert not thread.is_alive()
    assert simulator.stats.heartbeats >= 1
    assert Device.objects.get(unit=agency).last_contact_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_sensor_fault_keeps_heartbeats(world, live_server):
    live, _control, clock = world
    day = clock.current.date()
    broken_at = dt.datetime.combine(day, dt.time(7, 0), WITA)
    operator = make_user("operator.bkd.sensor", "operator_bkd")
    fault_report(device=Device.objects.get(serial=live[0]), actor=operator, cause=FaultCause.SENSOR,
                 description="Sensor sidik jari tidak membaca.", now=broken_at,
                 stated_started_at=broken_at)
    simulator = simulator_for(live, clock, live_server.url)

    working_time = dt.datetime.combine(day, dt.time(10, 0), WITA)
    run_until(simulator, clock, working_time)

    recorded = [entry for entry in planned_punches(simulator, working_time)
                if entry[2] < wall_time(broken_at.replace(tzinfo=None))]
    assert len(recorded) < len(planned_punches(simulator, working_time))
    assert stored_punches(live) == recorded
    assert Device.objects.get(serial=live[0]).last_contact_at == working_time
    simulator.close()
