"""Devices, PIN mappings and punches of the demo province, sent through the real push protocol.

`demo_devices_register` registers one or two devices per site (OPD, RSUD, UPT or school with
employees) and maps every employee of the site to a PIN on all its devices.
`push_server` starts gunicorn on a free loopback port and stops it by its pid, and
`demo_punches_simulate` lets the push simulator post ATTLOG batches to it as firmware does.
Ingestion, deduplication and the raw-upload store run exactly as for real devices, so a second
run adds no punches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from sao.absences.models import AbsenceRequest, RequestStatus
from sao.calendars.services import active_policy, roster_apply
from sao.demo.punchplan import device_punches, punches_send, roster_codes
from sao.devices.models import Device, PinMapping
from sao.devices.services import device_register, pin_mapping_create
from sao.devices.simulator.push import DeviceSpec, GeneratedPunch, PushStats
from sao.org.models import Employee, LegalStatus, LegalStatusPeriod, Unit, UnitKind

logger = logging.getLogger(__name__)

# Units that get their own devices. Employees of an office (bidang, bagian) punch at the
# devices of the nearest such unit above it.
SITE_KINDS = {UnitKind.OPD, UnitKind.RSUD, UnitKind.UPT, UnitKind.SCHOOL}
# A site with more employees than this, or a hospital, gets a second device.
SECOND_DEVICE_HEADCOUNT = 300
# (model, serial prefix) of the terminals the province buys, ZKTeco and Solution.
DEVICE_MODELS = [
    ("ZKTeco SpeedFace-V5L", "CKUH"),
    ("ZKTeco MB460", "AF6D"),
    ("Solution X100-C", "FIO6"),
    ("Solution X105-ID", "BOCK"),
]
GUNICORN_WORKERS = 2
PUSH_THREADS = 4
PUSH_BATCH_SIZE = 200


@dataclass
class DeviceSite:
    """A unit with devices: its serials and the PIN of every employee enrolled there."""

    unit: Unit
    serials: list[str] = field(default_factory=list)
    pins: dict[int, str] = field(default_factory=dict)  # employee id -> PIN


@dataclass
class DevicesResult:
    sites: list[DeviceSite] = field(default_factory=list)
    devices_created: int = 0
    mappings_created: int = 0


def _site_of(unit: Unit, units_by_id: dict[int, Unit]) -> Unit:
    current = unit
    while current.kind not in SITE_KINDS and current.parent_id is not None:
        current = units_by_id[current.parent_id]
    return current if current.kind in SITE_KINDS else unit


def _serials(unit: Unit, count: int, used_serials: set[str]) -> list[tuple[str, str]]:
    """Return (serial, model) pairs derived from the unit code, so every run gives the same ones."""
    number = zlib.crc32(unit.code.encode())
    model, prefix = DEVICE_MODELS[number % len(DEVICE_MODELS)]
    pairs = []
    for index in range(count):
        sequence = (number // len(DEVICE_MODELS) + index) % 1_000_000
        serial = f"{prefix}2{2 + index}{sequence:06d}"
        while serial in used_serials:
            sequence = (sequence + 1) % 1_000_000
            serial = f"{prefix}2{2 + index}{sequence:06d}"
        used_serials.add(serial)
        pairs.append((serial, model))
    return pairs


def demo_devices_register(*, commissioned_on: dt.date, actor_label: str) -> DevicesResult:
    """Register the devices of every site with employees and map each employee to a PIN.

    PINs are 1, 2, 3 ... in the order of employee ids within a site, and one unit mapping
    covers every device of the site. Devices and mappings that already exist are kept.
    """
    result = DevicesResult()
    units_by_id = {unit.pk: unit for unit in Unit.objects.all()}
    # NOTE: an employee is enrolled only at the site of their current unit, from the
    # commissioning date, so one transferred mid-range punches there before the transfer too.
    members: dict[int, list[int]] = defaultdict(list)
    for employee_id, unit_id in Employee.objects.order_by("pk").values_list("pk", "unit_id"):
        members[_site_of(units_by_id[unit_id], units_by_id).pk].append(employee_id)

    used_serials = set(Device.objects.values_list("serial", flat=True))
    existing = defaultdict(list)
    for serial, unit_id in Device.objects.filter(serial__in=used_serials).values_list("serial", "unit_id"):
        existing[unit_id].append(serial)
    mapped = set(PinMapping.objects.filter(unit__isnull=False).values_list("unit_id", "employee_id"))
    employees = Employee.objects.in_bulk([pk for ids in members.values() for pk in ids])

    for unit_id, employee_ids in sorted(members.items()):
        unit = units_by_id[unit_id]
        site = DeviceSite(unit=unit)
        device_count = 2 if unit.kind == UnitKind.RSUD or len(employee_ids) > SECOND_DEVICE_HEADCOUNT else 1
        site.serials = sorted(existing[unit_id])[:device_count]
        for serial, model in _serials(unit, device_count - len(site.serials), used_serials):
            _device, created = device_register(serial=serial, unit=unit, model=model,
                                               time_zone=unit.time_zone,
                                               commissioned_on=commissioned_on,
                                               actor_label=actor_label)
            result.devices_created += created
            site.serials.append(serial)

        used_pins = dict(PinMapping.objects.filter(unit=unit).values_list("employee_id", "pin"))
        next_pin = max((int(pin) for pin in used_pins.values() if pin.isdigit()), default=0) + 1
        for employee_id in employee_ids:
            if (unit_id, employee_id) in mapped:
                site.pins[employee_id] = used_pins.get(employee_id, "")
                continue
            pin = str(next_pin)
            next_pin += 1
            pin_mapping_create(employee=employees[employee_id], pin=pin, unit=unit,
                               valid_from=commissioned_on, actor_label=actor_label,
                               reason="Demo enrolment on the unit's devices.")
            result.mappings_created += 1
            site.pins[employee_id] = pin
        result.sites.append(site)
    return result


def _absent_ranges(start: dt.date, end: dt.date) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """Return the periods in which each employee has a legal status other than active or is
    on an approved absence, so sends no punches."""
    ranges: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    periods = LegalStatusPeriod.objects.exclude(status=LegalStatus.ACTIVE).filter(valid_from__lte=end)
    for employee_id, valid_from, valid_to in periods.values_list("employee_id", "valid_from", "valid_to"):
        if valid_to is None or valid_to >= start:
            ranges[employee_id].append((valid_from, valid_to))
    absences = AbsenceRequest.objects.filter(status=RequestStatus.APPROVED, start_date__lte=end,
                                             end_date__gte=start)
    for employee_id, first, last in absences.values_list("employee_id", "start_date", "end_date"):
        ranges[employee_id].append((first, last))
    return ranges


def _is_away(periods, day: dt.date) -> bool:
    return any(valid_from <= day and (valid_to is None or day <= valid_to)
               for valid_from, valid_to in periods)


def _pin_number(pin: str) -> int:
    return int(pin) if pin.isdigit() else zlib.crc32(pin.encode())


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    database = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    env.setdefault("DJANGO_SETTINGS_MODULE", "sao.settings")
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def push_server() -> Iterator[str]:
    """Run gunicorn with SAO on 127.0.0.1 and a free port, yield its URL, then stop it by pid."""
    port = _free_port()
    # Gunicorn must see the rows this process committed, and SQLite allows one writer at a time.
    connections.close_all()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sao.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(GUNICORN_WORKERS), "--worker-class", "sync", "--log-level", "warning",
             "--timeout", "120"],
            env=_server_env(), stdout=subprocess.DEVNULL, stderr=log,
        )
        logger.info("demo push server started on 127.0.0.1:%s, pid %s", port, process.pid)
        try:
            _wait_listening(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            logger.info("demo push server pid %s stopped", process.pid)


def _wait_listening(process: subprocess.Popen, port: int, log, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("gunicorn failed to start: "
                               + log.read().decode(errors="replace")[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)  # let every worker finish loading Django
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on 127.0.0.1:{port} within {seconds} s")


def demo_rosters_apply(*, sites: list[DeviceSite], start: dt.date, end: dt.date,
                       actor_label: str) -> int:
    """Write the repeating roster of every employee of a rostered unit (RSUD) for start..end.

    Returns the number of shifts written. The roster replaces the days it covers, so a re-run
    writes the same rows and records no audit entry.
    """
    policy = active_policy()
    entries = []
    for site in sites:
        profile = policy.profile_for(schedule_profile=site.unit.schedule_profile, unit_code=site.unit.code)
        if not profile.rostered:
            continue
        for position, employee_id in enumerate(site.pins):
            day = start
            while day <= end:
                entries.append((employee_id, day, roster_codes(position, day)))
                day += dt.timedelta(days=1)
    if not entries:
        return 0
    shifts, _days_off = roster_apply(entries=entries, actor_label=actor_label,
                                     reason="Demo roster of a hospital unit.")
    return shifts


def demo_punches_simulate(
    *, base_url: str, sites: list[DeviceSite], start: dt.date, end: dt.date, seed: int,
    withhold: Callable[[str, GeneratedPunch], bool] | None = None,
) -> PushStats:
    """Push the punches of `start` to `end` for every site's devices to the server at `base_url`.

    Punches follow the schedule of each unit under the active policy and, for rostered units,
    the roster of `demo_rosters_apply`. An employee on a legal status such as CLTN or tugas
    belajar sends nothing on those days. On a site with two devices the employees are split
    between them by PIN, so each punch is sent once. A punch for which `withhold(serial, punch)`
    is true is not sent (the demo's device faults). Returns the counts of the simulator.
    """
    policy = active_policy()
    ranges = _absent_ranges(start, end)
    now = timezone.now()
    plans = []
    for site in sites:
        positions = {employee_id: position for position, employee_id in enumerate(site.pins)}
        pin_owner = {pin: employee_id for employee_id, pin in site.pins.items() if pin}
        pins = [(pin, positions[employee_id]) for pin, employee_id in pin_owner.items()]

        def is_away(pin: str, day: dt.date, pin_owner=pin_owner) -> bool:
            return _is_away(ranges.get(pin_owner[pin], ()), day)

        for index, serial in enumerate(site.serials):
            # The PIN number picks the device, so adding employees moves nobody to another one.
            share = [(pin, position) for pin, position in pins
                     if _pin_number(pin) % len(site.serials) == index]
            punches = device_punches(
                policy=policy, pins=share, time_zone=site.unit.time_zone,
                schedule_profile=site.unit.schedule_profile, unit_code=site.unit.code,
                start=start, end=end, seed=seed, is_away=is_away, now=now,
            )
            if withhold is not None:
                punches = [punch for punch in punches if not withhold(serial, punch)]
            plans.append((DeviceSpec(serial, tuple(pin for pin, _position in share),
                                     site.unit.time_zone), punches))
    started = time.monotonic()
    stats = punches_send(url=base_url, plans=plans, seed=seed, batch_size=PUSH_BATCH_SIZE,
                         workers=PUSH_THREADS)
    stats.seconds = round(time.monotonic() - started, 3)
    logger.info("demo punches sent in %.1f s: %s generated, %s lines, %s errors", stats.seconds,
                stats.punches_generated, stats.lines_sent, stats.errors)
    return stats
