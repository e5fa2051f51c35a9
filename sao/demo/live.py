"""Live demo devices: heartbeats and today's punches while `sao serve` runs.

After `sao demo` the demo's devices would never contact the server again, so the fault check
would open a silence ticket for each of them within half an hour of working hours. The live
simulator plays every device the demo registered, over the real push protocol:

- a handshake (`GET /iclock/cdata?options=all`), whose `Delay` sets the heartbeat interval
  and whose `ATTLOGStamp` is the stamp of the last upload the server stored;
- a `getrequest` heartbeat every `Delay` seconds, staggered over the devices, with queued
  commands acknowledged on `/iclock/devicecmd`;
- each punch of today's punch plan (`sao.demo.punchplan.device_punches`, the seed of
  `sao demo`) posted as a realtime ATTLOG upload once its wall time in the unit's zone arrives.

Every upload carries the wall time of its newest line as `Stamp`. The server stores it and
returns it in the next handshake, so a restarted simulator resumes after the last punch the
server accepted instead of sending today's punches again, as a real terminal does. A
handshake without such a stamp (`sao demo` sends 9999) starts after the device's newest
pushed punch of today in the database.

An open fault decides what a device does: no power, no network or a damaged device (open)
stops all contact, and a broken sensor or a damaged device records nothing from the failure
until the ticket closes. The state is read again every minute, so a ticket resolved in the
web app brings its device back.

One thread schedules the work and reads the database; a small pool of threads sends the HTTP
requests, which never touch the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Max, Q
from django.utils import timezone

from sao.audit.models import AuditEntry
from sao.calendars.services import active_policy
from sao.demo.devices import _absent_ranges, _is_away, _pin_number, _site_of
from sao.demo.punchplan import device_punches
from sao.demo.services import ACTOR_LABEL, DEFAULT_SEED
from sao.devices.iclock import parse_reply_options
from sao.devices.models import Device, DeviceStatus, PinMapping, Punch, UploadSource
from sao.devices.services import wall_time
from sao.devices.simulator.push import GeneratedPunch, PushDeviceClient
from sao.faults.models import OPEN_STATUSES, FaultCause, FaultTicket
from sao.org.models import Employee, Unit

logger = logging.getLogger(__name__)

# Causes of an open ticket during which the device does not contact the server at all.
NO_CONTACT_CAUSES = frozenset({FaultCause.POWER, FaultCause.NETWORK, FaultCause.DAMAGED})
# Causes during which the device records no punch, from the failure until the ticket closes.
NO_RECORD_CAUSES = frozenset({FaultCause.SENSOR, FaultCause.DAMAGED})
# Heartbeat interval in seconds when the handshake reply has no valid `Delay`.
DEFAULT_DELAY_SECONDS = 30
# Seconds between attempts of a device whose handshake failed (server not up yet, or down).
RETRY_SECONDS = 10
# Seconds over which the first handshakes are spread, so the devices do not start at once.
START_SPREAD_SECONDS = 10
# Seconds between two reads of the open faults, and between two summary log lines.
REFRESH_SECONDS = 60
LOG_SECONDS = 60
HTTP_THREADS = 4
HTTP_TIMEOUT_SECONDS = 10
# A stamp below this is not a wall time sent by this simulator (the demo sends 9999, and a
# full re-send request is 0), so the device starts after its newest pushed punch of today.
MIN_WALL_STAMP = 10**9
FIRMWARE_INFO = "Ver 6.60 Apr 13 2022"


@dataclass
class LiveDevice:
    """One demo device as the simulator plays it: its PIN share, plan of the day and position."""

    serial: str
    zone: ZoneInfo
    unit: Unit
    pins: list[tuple[str, int]]  # (PIN, position in the unit's roster)
    plan_day: dt.date | None = None
    plan: list[GeneratedPunch] = field(default_factory=list)
    # Wall time (device clock) of the newest punch the server accepted, None before the first.
    position: dt.datetime | None = None
    connected: bool = False
    delay: dt.timedelta = dt.timedelta(seconds=DEFAULT_DELAY_SECONDS)
    next_attempt: dt.datetime | None = None  # next handshake while not connected
    next_heartbeat: dt.datetime | None = None
    no_contact: bool = False
    no_record_windows: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)
    failures: int = 0

    def wall_now(self, now: dt.datetime) -> dt.datetime:
        return now.astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def records(self, punch: GeneratedPunch) -> bool:
        """Tell whether the device recorded the punch, which a broken sensor prevents."""
        moment = punch.local_time.replace(tzinfo=self.zone)
        return not any(start <= moment and (end is None or moment <= end)
                       for start, end in self.no_record_windows)

    def due_punches(self, now: dt.datetime) -> list[GeneratedPunch]:
        wall = self.wall_now(now)
        return [punch for punch in self.plan
                if punch.local_time <= wall
                and (self.position is None or punch.local_time > self.position)
                and self.records(punch)]


@dataclass
class LiveStats:
    """Counts of a live run, in total and since the last summary line."""

    punches_sent: int = 0
    punches_since_log: int = 0
    heartbeats: int = 0
    handshakes: int = 0
    errors: int = 0


def demo_device_serials() -> list[str]:
    """Return the serials of the active devices that `sao demo` registered, sorted."""
    ids = AuditEntry.objects.filter(action="device.register", actor_label=ACTOR_LABEL,
                                    object_type=Device._meta.label_lower).values_list("object_id",
                                                                                     flat=True)
    device_ids = {int(value) for value in ids if value.isdigit()}
    return sorted(Device.objects.filter(pk__in=device_ids, status=DeviceStatus.ACTIVE,
                                        unit__isnull=False).values_list("serial", flat=True))


def live_devices_load(serials: Sequence[str] | None = None) -> list[LiveDevice]:
    """Return the demo devices, each with its share of PINs as `sao demo` split its site.

    This reads what `demo_devices_register` wrote and writes nothing: a site's employees are
    those whose current unit lies under it, ordered by id, with the PIN their unit mapping
    gives. A site with two devices splits them by PIN number, as the demo does.
    """
    requested = set(demo_device_serials() if serials is None else serials)
    devices = Device.objects.filter(serial__in=requested).select_related("unit")
    serials_by_unit: dict[int, list[Device]] = defaultdict(list)
    for device in devices:
        serials_by_unit[device.unit_id].append(device)
    if not serials_by_unit:
        return []

    units_by_id = {unit.pk: unit for unit in Unit.objects.all()}
    members: dict[int, list[int]] = defaultdict(list)
    for employee_id, unit_id in Employee.objects.order_by("pk").values_list("pk", "unit_id"):
        site = _site_of(units_by_id[unit_id], units_by_id)
        if site.pk in serials_by_unit:
            members[site.pk].append(employee_id)
    mappings = PinMapping.objects.filter(unit_id__in=serials_by_unit).order_by("valid_from", "pk")
    pins_by_unit: dict[int, dict[int, str]] = defaultdict(dict)
    for unit_id, employee_id, pin in mappings.values_list("unit_id", "employee_id", "pin"):
        pins_by_unit[unit_id][employee_id] = pin

    live: list[LiveDevice] = []
    for unit_id, site_devices in sorted(serials_by_unit.items()):
        unit = units_by_id[unit_id]
        pins = pins_by_unit[unit_id]
        enrolled = [employee_id for employee_id in members[unit_id] if employee_id in pins]
        positions = [(pins[employee_id], position) for position, employee_id in enumerate(enrolled)]
        ordered = sorted(site_devices, key=lambda device: device.serial)
        for index, device in enumerate(ordered):
            share = [(pin, position) for pin, position in positions
                     if _pin_number(pin) % len(ordered) == index]
            live.append(LiveDevice(serial=device.serial, zone=device.zone, unit=unit, pins=share))
    return live


def plans_build(devices: Sequence[LiveDevice], *, now: dt.datetime, seed: int) -> None:
    """Give each device whose local date changed the punches of its new day.

    The plan covers the day before too, because a night shift that starts then ends this
    morning. Only punches with a wall time of today are kept.
    """
    stale = [device for device in devices if device.plan_day != now.astimezone(device.zone).date()]
    if not stale:
        return
    policy = active_policy()
    days = {now.astimezone(device.zone).date() for device in stale}
    ranges = _absent_ranges(min(days) - dt.timedelta(days=1), max(days))
    owners_by_unit: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, pin, employee_id in (PinMapping.objects
                                      .filter(unit_id__in={device.unit.pk for device in stale})
                                      .order_by("valid_from", "pk")
                                      .values_list("unit_id", "pin", "employee_id")):
        owners_by_unit[unit_id][pin] = employee_id

    for device in stale:
        today = now.astimezone(device.zone).date()
        unit_owners = owners_by_unit[device.unit.pk]

        def is_away(pin: str, day: dt.date, unit_owners=unit_owners) -> bool:
            return _is_away(ranges.get(unit_owners.get(pin), ()), day)

        midnight = dt.datetime.combine(today, dt.time.min)
        end_of_day = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, device.zone)
        punches = device_punches(
            policy=policy, pins=device.pins, time_zone=device.unit.time_zone,
            schedule_profile=device.unit.schedule_profile, unit_code=device.unit.code,
            start=today - dt.timedelta(days=1), end=today, seed=seed, is_away=is_away,
            now=end_of_day,
        )
        device.plan = [punch for punch in punches if midnight <= punch.local_time]
        device.plan_day = today
        if device.position is not None and device.position < midnight:
            device.position = None


def fault_states_read(devices: Sequence[LiveDevice]) -> None:
    """Set each device's contact and recording state from its fault tickets."""
    by_serial = {device.serial: device for device in devices}
    for device in devices:
        device.no_contact = False
        device.no_record_windows = []
    tickets = FaultTicket.objects.filter(device__serial__in=by_serial).filter(
        Q(status__in=OPEN_STATUSES) | Q(cause__in=NO_RECORD_CAUSES)
        | Q(reported_cause__in=NO_RECORD_CAUSES)
    ).values_list("device__serial", "status", "cause", "reported_cause", "failure_started_at",
                  "closed_at")
    for serial, status, cause, reported_cause, started, closed in tickets:
        device = by_serial[serial]
        causes = {cause, reported_cause}
        is_open = status in OPEN_STATUSES
        if is_open and causes & NO_CONTACT_CAUSES:
            device.no_contact = True
        if causes & NO_RECORD_CAUSES and started is not None:
            device.no_record_windows.append((started, None if is_open else closed))


def stamp_position(stamp: str) -> dt.datetime | None:
    """Return the wall time that an `ATTLOGStamp` of this simulator encodes, or None."""
    stamp = stamp.strip()
    if not stamp.isdigit() or int(stamp) < MIN_WALL_STAMP:
        return None
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC).replace(tzinfo=None)


def position_stamp(wall: dt.datetime) -> str:
    """Return the upload stamp of a wall time: its seconds since 1970 as if it were UTC."""
    return str(int(wall.replace(tzinfo=dt.UTC).timestamp()))


def latest_pushed_punch(serial: str, *, since: dt.datetime) -> dt.datetime | None:
    """Return the wall time of the device's newest pushed punch from `since` on, or None."""
    newest = (Punch.objects.filter(device__serial=serial, source=UploadSource.PUSH,
                                   local_time__gte=wall_time(since))
              .aggregate(newest=Max("local_time"))["newest"])
    return None if newest is None else newest.replace(tzinfo=None)


def commands_parse(reply: str) -> list[tuple[str, str]]:
    """Parse the `C:<id>:<command>` lines of a getrequest reply into (id, first word)."""
    commands = []
    for line in reply.splitlines():
        if line.startswith("C:") and line.count(":") >= 2:
            _prefix, command_id, text = line.split(":", 2)
            commands.append((command_id, text.split(" ", 1)[0]))
    return commands


@dataclass
class RequestResult:
    """Outcome of one device's requests in a step, applied by the scheduling thread."""

    device: LiveDevice
    kind: str  # "handshake", "upload" or "heartbeat"
    ok: bool
    detail: str = ""
    options: dict[str, str] = field(default_factory=dict)
    sent: list[GeneratedPunch] = field(default_factory=list)


class LiveSimulator:
    """Simulator of the demo devices for the server at `url`, driven by `step` or `run`."""

    def __init__(self, *, url: str, devices: Sequence[LiveDevice], seed: int = DEFAULT_SEED,
                 clock: Callable[[], dt.datetime] = timezone.now, threads: int = HTTP_THREADS,
                 timeout: float = HTTP_TIMEOUT_SECONDS):
        self.url = url
        self.devices = list(devices)
        self.seed = seed
        self.clock = clock
        self.timeout = timeout
        self.stats = LiveStats()
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="demo-live")
        self.faults_read_at: dt.datetime | None = None
        self.logged_at: dt.datetime | None = None
        PushDeviceClient(url, "probe")  # rejects a URL that is not http://host:port

        started = clock()
        count = max(1, len(self.devices))
        for index, device in enumerate(self.devices):
            device.next_attempt = started + dt.timedelta(seconds=START_SPREAD_SECONDS * index / count)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def step(self, now: dt.datetime | None = None) -> list[RequestResult]:
        """Send every request due at `now` (default: the clock) and wait for the replies."""
        now = now or self.clock()
        if self.faults_read_at is None or now - self.faults_read_at >= dt.timedelta(seconds=REFRESH_SECONDS):
            fault_states_read(self.devices)
            self.faults_read_at = now
        plans_build(self.devices, now=now, seed=self.seed)

        futures = []
        for device in self.devices:
            if device.no_contact:
                device.connected = False
                device.next_attempt = now
                continue
            if not device.connected:
                if device.next_attempt is None or device.next_attempt <= now:
                    futures.append(self.pool.submit(self._handshake, device))
                continue
            due = device.due_punches(now)
            heartbeat = device.next_heartbeat is None or device.next_heartbeat <= now
            if due or heartbeat:
                futures.append(self.pool.submit(self._exchange, device, due, heartbeat))

        results = [result for future in futures for result in future.result()]
        for result in results:
            self._apply(result, now)
        self._log_summary(now)
        return results

    def run(self, stop: threading.Event, *, tick: float = 1.0) -> None:
        """Call `step` every `tick` seconds until `stop` is set."""
        logger.info("Live demo devices started: %s devices against %s", len(self.devices), self.url)
        failed_steps = 0
        try:
            while not stop.is_set():
                try:
                    self.step()
                except Exception:
                    # A database error (a locked SQLite file, a policy without the unit's
                    # profile) must not end the demo's devices, so the next tick tries again.
                    # Only the first failure of a run is logged with its traceback.
                    failed_steps += 1
                    if failed_steps == 1:
                        logger.exception("Live demo step failed; retrying every %s s", tick)
                else:
                    if failed_steps:
                        logger.info("Live demo steps succeed again after %s failed steps", failed_steps)
                    failed_steps = 0
                stop.wait(tick)
        finally:
            # The database connection of this thread is not closed by the request cycle.
            connections.close_all()
        logger.info("Live demo devices stopped: %s punches sent, %s heartbeats, %s errors",
                    self.stats.punches_sent, self.stats.heartbeats, self.stats.errors)

    # Requests, run in the pool threads: HTTP only, no database access.

    def _client(self, device: LiveDevice) -> PushDeviceClient:
        return PushDeviceClient(self.url, device.serial, timeout=self.timeout)

    def _handshake(self, device: LiveDevice) -> list[RequestResult]:
        client = self._client(device)
        try:
            status, reply = client.handshake()
        except OSError as exc:
            return [RequestResult(device, "handshake", False, f"handshake failed: {exc}")]
        if status != 200 or not reply.startswith("GET OPTION FROM:"):
            return [RequestResult(device, "handshake", False,
                                  f"handshake rejected: HTTP {status} {reply[:120]!r}")]
        _serial, options = parse_reply_options(reply)
        results = [RequestResult(device, "handshake", True, options=options)]
        info = f"{FIRMWARE_INFO},{len(device.pins)},0,{len(device.plan)},127.0.0.1,10,-1,-12,101"
        results.append(self._heartbeat(client, device, info=info))
        return results

    def _exchange(self, device: LiveDevice, due: list[GeneratedPunch],
                  heartbeat: bool) -> list[RequestResult]:
        client = self._client(device)
        results = []
        if due:
            stamp = position_stamp(due[-1].local_time)
            lines = "".join(punch.line() + "\n" for punch in due).encode()
            path = f"/iclock/cdata?SN={device.serial}&table=ATTLOG&Stamp={stamp}"
            try:
                status, reply = client.request("POST", path, lines)
            except OSError as exc:
                status, reply = 0, str(exc)
            ok = status == 200 and reply.strip().startswith("OK")
            results.append(RequestResult(device, "upload", ok,
                                         "" if ok else f"ATTLOG upload of {len(due)} lines failed: "
                                                       f"HTTP {status} {reply[:120]!r}",
                                         sent=due if ok else []))
        if heartbeat:
            results.append(self._heartbeat(client, device))
        return results

    def _heartbeat(self, client: PushDeviceClient, device: LiveDevice, *, info: str = "") -> RequestResult:
        try:
            status, reply = client.getrequest(info=info)
            if status != 200:
                return RequestResult(device, "heartbeat", False,
                                     f"getrequest failed: HTTP {status} {reply[:120]!r}")
            commands = commands_parse(reply)
            if commands:
                # NOTE: every command is acknowledged with Return=0 and no data, so a
                # DATA QUERY ATTLOG backfill gets no punches; the plan's punches after the
                # position are sent by the next realtime upload anyway.
                client.post_command_results(commands)
        except OSError as exc:
            return RequestResult(device, "heartbeat", False, f"getrequest failed: {exc}")
        return RequestResult(device, "heartbeat", True)

    # Results, applied in the scheduling thread.

    def _apply(self, result: RequestResult, now: dt.datetime) -> None:
        device = result.device
        if not result.ok:
            self._fail(device, result.detail, now)
            return
        if device.failures:
            logger.info("Demo device %s reached the server again after %s failed requests",
                        device.serial, device.failures)
            device.failures = 0

        if result.kind == "handshake":
            self.stats.handshakes += 1
            device.connected = True
            delay = result.options.get("Delay", "")
            seconds = int(delay) if delay.isdigit() and int(delay) > 0 else DEFAULT_DELAY_SECONDS
            device.delay = dt.timedelta(seconds=seconds)
            stamped = stamp_position(result.options.get("ATTLOGStamp", ""))
            midnight = dt.datetime.combine(now.astimezone(device.zone).date(), dt.time.min)
            if stamped is None:
                # The first start after `sao demo`, which may have pushed this morning's
                # night-shift check-outs already.
                stamped = latest_pushed_punch(device.serial, since=midnight)
            device.position = stamped if stamped is not None and stamped >= midnight else None
        elif result.kind == "upload":
            self.stats.punches_sent += len(result.sent)
            self.stats.punches_since_log += len(result.sent)
            device.position = result.sent[-1].local_time
        else:
            self.stats.heartbeats += 1
            device.next_heartbeat = now + device.delay

    def _fail(self, device: LiveDevice, detail: str, now: dt.datetime) -> None:
        self.stats.errors += 1
        device.failures += 1
        if device.failures == 1:
            # Later failures of the same run are counted and reported when the device
            # reaches the server again, so a stopped server does not flood the log.
            logger.warning("Demo device %s: %s", device.serial, detail)
        device.connected = False
        jitter = random.Random(f"{device.serial}:{device.failures}").uniform(0, RETRY_SECONDS / 2)
        device.next_attempt = now + dt.timedelta(seconds=RETRY_SECONDS + jitter)

    def _log_summary(self, now: dt.datetime) -> None:
        if self.logged_at is not None and now - self.logged_at < dt.timedelta(seconds=LOG_SECONDS):
            return
        self.logged_at = now
        alive = sum(1 for device in self.devices if device.connected)
        silent = sum(1 for device in self.devices if device.no_contact)
        logger.info("Live demo devices: %s of %s in contact, %s silent by an open fault; punches "
                    "sent %s in the last minute, %s in total; %s errors", alive, len(self.devices),
                    silent, self.stats.punches_since_log, self.stats.punches_sent, self.stats.errors)
        self.stats.punches_since_log = 0


def wait_listening(host: str, port: int, *, seconds: float, stop: threading.Event) -> bool:
    """Wait until the server accepts connections on host:port; False if it timed out or stopped."""
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            stop.wait(0.5)
    return False
