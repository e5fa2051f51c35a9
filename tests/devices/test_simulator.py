"""The push simulator against a live server: real HTTP, the real iclock endpoints, real ingest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from sao.devices.models import Punch
from sao.devices.services import device_register
from sao.devices.simulator.push import DeviceSpec, device_drifts, generate_punches, simulate_push
from tests.conftest import make_unit

START = dt.date(2024, 3, 4)  # Monday
END = dt.date(2024, 3, 10)  # Sunday


def test_generated_days_follow_office_hours():
    spec = DeviceSpec("SIM0000000001", tuple(str(1000 + n) for n in range(50)))

    punches = generate_punches(spec=spec, start=START, end=END, seed=7)

    assert punches == generate_punches(spec=spec, start=START, end=END, seed=7)
    assert punches != generate_punches(spec=spec, start=START, end=END, seed=8)
    assert {punch.local_time.date().weekday() for punch in punches} <= {0, 1, 2, 3, 4}
    arrivals = [punch.local_time.time() for punch in punches if punch.state == 0]
    morning = [time for time in arrivals if dt.time(7) <= time < dt.time(8)]
    assert len(morning) / len(arrivals) > 0.8
    departures = [punch.local_time.time() for punch in punches if punch.state == 1]
    assert min(departures) >= dt.time(13)
    assert 400 < len(punches) < 520  # 50 people x 5 days x 2, less absences and forgotten punches


def test_drift_shifts_device_clock():
    spec = DeviceSpec("SIM0000000001", ("1001",))
    drift = device_drifts([spec], seed=3, max_drift_seconds=600)[spec.serial]

    plain = generate_punches(spec=spec, start=START, end=START, seed=3)
    drifted = generate_punches(spec=spec, start=START, end=START, seed=3, drift_seconds=drift)

    assert drift != 0
    assert [p.local_time - q.local_time for p, q in zip(drifted, plain, strict=True)] == \
        [dt.timedelta(seconds=drift)] * len(plain)


def test_clock_drift_grows_daily():
    spec = DeviceSpec("SIM0000000001", ("1001",))

    plain = generate_punches(spec=spec, start=START, end=START + dt.timedelta(days=2), seed=3)
    drifted = generate_punches(spec=spec, start=START, end=START + dt.timedelta(days=2), seed=3,
                               drift_per_day=30)

    offsets = {p.local_time.date() - START: p.local_time - q.local_time
               for p, q in zip(drifted, plain, strict=True)}
    assert offsets == {dt.timedelta(days=n): dt.timedelta(seconds=30 * n) for n in range(3)}


@pytest.mark.django_db(transaction=True)
def test_live_server_receives_every_punch_once(live_server):
    """Two devices, one week, dropped replies: every punch is stored once, resends add nothing."""
    province = make_unit("PROV", "province")
    unit = make_unit("OPD-S", "opd", province, name="Dinas S", time_zone="Asia/Makassar")
    specs = [DeviceSpec(f"SIM{number:010d}", tuple(str(1000 + n) for n in range(6)), "Asia/Makassar")
             for number in (1, 2)]
    for spec in specs:
        device_register(serial=spec.serial, unit=unit, time_zone=spec.time_zone,
                        commissioned_on=dt.date(2020, 1, 1), actor_label="test")
    expected = {spec.serial: len(generate_punches(spec=spec, start=START, end=END, seed=11))
                for spec in specs}

    # One sender at a time: the live server's in-memory SQLite test database uses a shared cache
    # whose table locks fail at once instead of waiting (a file or PostgreSQL database waits).
    workers = 2 if connection.vendor == "postgresql" else 1
    stats = simulate_push(url=live_server.url, devices=specs, start=START, end=END, seed=11,
                          batch_size=7, workers=workers, drop_rate=0.3, timeout=10)
    again = simulate_push(url=live_server.url, devices=specs, start=START, end=END, seed=11,
                          batch_size=50, workers=workers, timeout=10)

    assert stats.errors == 0, stats.error_samples
    assert stats.handshakes == 2
    assert stats.resends == stats.dropped_replies > 0
    assert stats.lines_acknowledged == stats.punches_generated == sum(expected.values())
    for spec in specs:
        assert Punch.objects.filter(device__serial=spec.serial).count() == expected[spec.serial]
    assert again.errors == 0
    assert Punch.objects.count() == sum(expected.values())
    first = Punch.objects.order_by("instant").first()
    assert first.instant == first.local_time - dt.timedelta(hours=8)  # WITA wall time to UTC


@pytest.mark.django_db(transaction=True)
def test_simulate_devices_command(live_server, capsys):
    """The console command registers its devices in a unit, then sends over HTTP."""
    province = make_unit("PROV", "province")
    make_unit("OPD-S", "opd", province, name="Dinas S", time_zone="Asia/Makassar")

    with translation.override("en"):
        call_command("simulate_devices", "--url", live_server.url, "--devices", "2", "--pins", "3",
                     "--days", "3", "--start", "2024-03-04", "--seed", "5", "--workers", "1",
                     "--register-unit", "OPD-S")

    output = capsys.readouterr().out
    assert "0 errors" in output
    assert Punch.objects.filter(device__serial="SIM0000000001").exists()
    assert Punch.objects.filter(device__serial="SIM0000000002").exists()
    assert Punch.objects.filter(device__unit__code="OPD-S").count() == Punch.objects.count()
