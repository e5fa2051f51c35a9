"""Simulated push-protocol (iclock) devices that send punches to a running SAO over real HTTP.

Each simulated device does what a ZKTeco push 2.4 terminal does: the handshake
`GET /iclock/cdata?SN=..&options=all&pushver=2.4.0`, a `getrequest` with INFO, then ATTLOG
posts of TAB-separated lines, with a `getrequest` between posts; queued commands are
acknowledged on `/iclock/devicecmd` with Return=0.

Punches follow office days in the unit's own time zone: arrivals spread around 07:00-08:00,
departures around 16:00 (16:30 on Fridays), no punches at weekends, and a few absences,
forgotten punches and double taps. A device may post each batch again after a dropped reply
(the reply is discarded, as if it timed out). Its clock may be off by a fixed error and drift
further by a number of seconds each day. Everything is
drawn from random generators seeded per device, so a seed gives the same punches and the
same resends on every run, whatever the thread scheduling.

`simulate_push` is the library entry point (the demo uses it); `sao simulate-devices` wraps it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

logger = logging.getLogger(__name__)

USER_AGENT = "iClock Proxy/1.09"
PUSH_VERSION = "2.4.0"
# Share of working days on which an employee does not come (leave, sickness, travel).
ABSENCE_RATE = 0.03
# Share of punches that are forgotten, and of punches that are tapped twice.
FORGOTTEN_RATE = 0.02
DOUBLE_TAP_RATE = 0.01


@dataclass(frozen=True)
class DeviceSpec:
    """One device to simulate: its serial, the PINs enrolled on it and its unit's time zone."""

    serial: str
    pins: Sequence[str]
    time_zone: str = "Asia/Makassar"


@dataclass
class PushStats:
    """Counts of one simulation run; `lines_sent` includes resent lines."""

    devices: int = 0
    punches_generated: int = 0
    lines_sent: int = 0
    lines_acknowledged: int = 0
    posts: int = 0
    resends: int = 0
    dropped_replies: int = 0
    handshakes: int = 0
    getrequests: int = 0
    commands_answered: int = 0
    errors: int = 0
    seconds: float = 0.0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def record_error(self, message: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(message)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "devices", "punches_generated", "lines_sent", "lines_acknowledged", "posts", "resends",
            "dropped_replies", "handshakes", "getrequests", "commands_answered", "errors", "seconds")}


@dataclass(frozen=True, order=True)
class GeneratedPunch:
    local_time: dt.datetime  # the wall time the device clock shows (drift included)
    pin: str
    state: int
    verify: int

    def line(self) -> str:
        # Layout of a Solution X100-C ATTLOG line: 7 fields and a trailing TAB.
        time_text = self.local_time.isoformat(sep=" ")
        return f"{self.pin}\t{time_text}\t{self.state}\t{self.verify}\t\t0\t0\t"


def _gauss_minutes(rng: random.Random, mean: float, sigma: float, low: float, high: float) -> float:
    return min(high, max(low, rng.gauss(mean, sigma)))


def generate_punches(*, spec: DeviceSpec, start: dt.date, end: dt.date, seed: int,
                     drift_seconds: int = 0, drift_per_day: float = 0.0) -> list[GeneratedPunch]:
    """Draw a device's punches for the days start..end (inclusive), in time order.

    The device clock shows the true time plus `drift_seconds` plus `drift_per_day` seconds
    for every day since `start`.
    """
    rng = random.Random(f"{seed}:{spec.serial}")
    punches: list[GeneratedPunch] = []
    day = start
    while day <= end:
        drift = dt.timedelta(seconds=round(drift_seconds + drift_per_day * (day - start).days))
        if day.weekday() < 5:
            friday = day.weekday() == 4
            for pin in spec.pins:
                if rng.random() < ABSENCE_RATE:
                    continue
                # Arrivals: mean 07:25, mostly 07:00-08:00; departures after the 16:00 (Fri 16:30) end.
                arrive = _gauss_minutes(rng, 7 * 60 + 25, 15, 6 * 60 + 15, 9 * 60 + 30)
                leave = _gauss_minutes(rng, (16 * 60 + 30 if friday else 16 * 60) + 12, 15,
                                       13 * 60, 19 * 60)
                verify = 15 if rng.random() < 0.3 else 1  # face or fingerprint
                for minutes, state in ((arrive, 0), (leave, 1)):
                    if rng.random() < FORGOTTEN_RATE:
                        continue
                    seconds = int(minutes * 60) + rng.randrange(60)
                    moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds) + drift
                    punches.append(GeneratedPunch(moment, pin, state, verify))
                    if rng.random() < DOUBLE_TAP_RATE:
                        tapped = moment + dt.timedelta(seconds=rng.randrange(1, 4))
                        punches.append(GeneratedPunch(tapped, pin, state, verify))
        day += dt.timedelta(days=1)
    punches.sort()
    return punches


class PushDeviceClient:
    """HTTP client of one simulated device, with one request per connection like the firmware."""

    def __init__(self, url: str, serial: str, *, timeout: float = 30):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"URL {url!r} must be http://host:port of a running SAO server.")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.serial = serial
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
            if method == "POST":
                headers["Content-Type"] = "text/plain"
            connection.request(method, self.prefix + path, body=body if method == "POST" else None,
                               headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()

    def handshake(self) -> tuple[int, str]:
        query = f"SN={quote(self.serial)}&options=all&pushver={PUSH_VERSION}&language=69"
        return self.request("GET", "/iclock/cdata?" + query)

    def getrequest(self, *, info: str = "") -> tuple[int, str]:
        query = f"SN={quote(self.serial)}"
        if info:
            query += "&INFO=" + quote(info)
        return self.request("GET", "/iclock/getrequest?" + query)

    def post_attlog(self, lines: Sequence[str]) -> tuple[int, str]:
        body = ("\n".join(lines) + "\n").encode()
        return self.request("POST", f"/iclock/cdata?SN={quote(self.serial)}&table=ATTLOG&Stamp=9999",
                            body)

    def post_command_results(self, results: Sequence[tuple[str, str]]) -> tuple[int, str]:
        body = "\n".join(f"ID={command_id}&Return=0&CMD={name}" for command_id, name in results)
        return self.request("POST", f"/iclock/devicecmd?SN={quote(self.serial)}", body.encode())


def acknowledged_count(reply: str, sent: int) -> int:
    """Return n of an `OK: n` reply, or the lines sent for a plain `OK`."""
    text = reply.strip()
    if not text.startswith("OK"):
        return 0
    _ok, _colon, number = text.partition(":")
    return int(number) if number.strip().isdigit() else sent


def _commands(reply: str) -> list[tuple[str, str]]:
    """Parse `C:<id>:<command>` lines into (id, first word of the command)."""
    commands = []
    for line in reply.splitlines():
        if line.startswith("C:"):
            _c, command_id, text = line.split(":", 2)
            commands.append((command_id, text.split(" ", 1)[0]))
    return commands


def _batches(lines: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(lines), size):
        yield list(lines[start:start + size])


def run_device(*, url: str, spec: DeviceSpec, punches: Sequence[GeneratedPunch], stats: PushStats,
               seed: int, batch_size: int = 50, drop_rate: float = 0.0, poll_every: int = 10,
               max_attempts: int = 5, retry_delay: float = 0.2, timeout: float = 30) -> None:
    """Send one device's punches: handshake, INFO, batches of ATTLOG lines, getrequest polls."""
    rng = random.Random(f"{seed}:{spec.serial}:network")
    client = PushDeviceClient(url, spec.serial, timeout=timeout)

    try:
        status, reply = client.handshake()
        stats.add(handshakes=1)
        if status != 200 or not reply.startswith("GET OPTION FROM:"):
            stats.record_error(f"{spec.serial} handshake: HTTP {status} {reply[:80]!r}")
            return
        # INFO: firmware, users, fingerprints, records, IP, FP and face algorithms, faces, features.
        client.getrequest(info=f"Ver 6.60 Apr 13 2022,{len(spec.pins)},0,{len(punches)},"
                               "127.0.0.1,10,-1,-12,101")
        stats.add(getrequests=1)
    except OSError as exc:
        stats.record_error(f"{spec.serial} handshake: {exc}")
        return

    lines = [punch.line() for punch in punches]
    for number, batch in enumerate(_batches(lines, batch_size), start=1):
        for attempt in range(1, max_attempts + 1):
            try:
                status, reply = client.post_attlog(batch)
            except OSError as exc:
                status, reply = 0, str(exc)
            stats.add(posts=1, lines_sent=len(batch), resends=1 if attempt > 1 else 0)
            if status != 200:
                stats.record_error(f"{spec.serial} batch {number} attempt {attempt}: "
                                   f"HTTP {status} {reply[:80]!r}")
                time.sleep(retry_delay)
                continue
            if drop_rate and rng.random() < drop_rate:
                # The reply never reaches the device, which posts the same lines again.
                stats.add(dropped_replies=1)
                continue
            stats.add(lines_acknowledged=acknowledged_count(reply, len(batch)))
            break

        if number % poll_every == 0:
            _poll(client, stats)
    _poll(client, stats)


def _poll(client: PushDeviceClient, stats: PushStats) -> None:
    try:
        status, reply = client.getrequest()
        stats.add(getrequests=1)
        commands = _commands(reply) if status == 200 else []
        if commands:
            client.post_command_results(commands)
            stats.add(commands_answered=len(commands))
    except OSError as exc:
        stats.record_error(f"{client.serial} getrequest: {exc}")


def device_drifts(specs: Sequence[DeviceSpec], *, seed: int, max_drift_seconds: int) -> dict[str, int]:
    """Draw a clock error per device, uniformly within +-max_drift_seconds."""
    if not max_drift_seconds:
        return {spec.serial: 0 for spec in specs}
    return {spec.serial: random.Random(f"{seed}:{spec.serial}:clock")
            .randint(-max_drift_seconds, max_drift_seconds) for spec in specs}


def simulate_push(*, url: str, devices: Sequence[DeviceSpec | tuple[str, Sequence[str], str]],
                  start: dt.date, end: dt.date, seed: int = 0, batch_size: int = 50,
                  workers: int = 4, drop_rate: float = 0.0, max_drift_seconds: int = 0,
                  drift_per_day: float = 0.0, timeout: float = 30) -> PushStats:
    """Send generated punches of every device for start..end to the server at `url`.

    `devices` contains DeviceSpec values or (serial, pins, time zone) tuples. Devices run in
    `workers` threads, and each device sends its own batches in order. Returns the counts.
    """
    specs = [spec if isinstance(spec, DeviceSpec) else DeviceSpec(spec[0], tuple(spec[1]), spec[2])
             for spec in devices]
    drifts = device_drifts(specs, seed=seed, max_drift_seconds=max_drift_seconds)
    plans = [(spec, generate_punches(spec=spec, start=start, end=end, seed=seed,
                                     drift_seconds=drifts[spec.serial], drift_per_day=drift_per_day))
             for spec in specs]
    stats = PushStats(devices=len(specs), punches_generated=sum(len(punches) for _spec, punches in plans))
    logger.info("Simulating %s devices, %s punches, %s to %s, against %s", len(specs),
                stats.punches_generated, start, end, url)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="push-sim") as pool:
        futures = [pool.submit(run_device, url=url, spec=spec, punches=punches, stats=stats, seed=seed,
                               batch_size=batch_size, drop_rate=drop_rate, timeout=timeout)
                   for spec, punches in plans]
        for future in futures:
            future.result()
    stats.seconds = round(time.monotonic() - started, 3)

    logger.info("Simulation done in %.2f s: %s lines sent in %s posts, %s resends, %s errors",
                stats.seconds, stats.lines_sent, stats.posts, stats.resends, stats.errors)
    return stats
