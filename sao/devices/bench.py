"""`sao bench ingest`: punches per second end to end, file import time and memory, raw limits.

What it measures, in one run against one database:
1. raw limits: `datetime.fromisoformat` parses per second, and requests per second of a bare
   Django view (full middleware stack, no database) under the same gunicorn set-up;
2. push ingest over HTTP: simulated devices post ATTLOG batches of 1, 50 and 500 lines to
   `/iclock/cdata` on a gunicorn server the benchmark starts on 127.0.0.1 and stops;
3. file import: a 100,000-line USB attlog.dat (500 PINs, two punches a day, 100 days)
   imported twice. Each run has its own process, so its peak memory (ru_maxrss) is its own.
   The second run must add nothing.

The database is a temporary SQLite file unless `--database-url` names another one. That
database is migrated, and rows of devices whose serial starts with BENCH are deleted first,
so use a scratch database. Database work runs in child processes
(`python -m sao.devices.bench ACTION`) because this process's settings are already loaded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

SERIAL_PREFIX = "BENCH"
UNIT_CODE = "BENCH-UNIT"
TIME_ZONE = "Asia/Makassar"
FILE_SERIAL = "BENCHUSB00001"
GUNICORN_WORKERS = 4
CLIENT_THREADS = 8
TARGET_PER_SECOND = 10_000
TARGET_FILE_SECONDS = 5.0
TARGET_PEAK_MB = 300


# --------------------------------------------------------------------------------------------
# The bare view: the ceiling of any Django view under this gunicorn set-up.


@csrf_exempt
def bare_view(request):
    return HttpResponse("OK", content_type="text/plain")


urlpatterns = [path("bare", bare_view)]


def bare_wsgi_application():
    """Return SAO's WSGI handler serving only the bare view (gunicorn app factory)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sao.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = __name__
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --------------------------------------------------------------------------------------------
# Helpers run in the parent process.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _child_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "sao.settings",
                "DEBUG": "false", "LOG_LEVEL": "WARNING", "HUEY_IMMEDIATE": "false"})
    return env


def _run_child(action: str, payload: dict, database_url: str) -> tuple[dict, float]:
    """Run `python -m sao.devices.bench ACTION` and return its JSON output and peak RSS in MB."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([sys.executable, "-m", "sao.devices.bench", action, json.dumps(payload)],
                                   env=_child_env(database_url), stdout=subprocess.PIPE, stderr=errors)
        stdout = process.stdout.read()
        process.stdout.close()
        # wait4 reports the peak memory of this child alone, unlike RUSAGE_CHILDREN.
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"bench child {action} failed:\n{message}")
    return json.loads(stdout.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


class Gunicorn:
    """A gunicorn server on 127.0.0.1 started and stopped by the benchmark, by its pid."""

    def __init__(self, app: str, database_url: str, *, workers: int = GUNICORN_WORKERS):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: nobody reads the server's log while it runs, and a full pipe blocks it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-class", "sync", "--backlog", "2048",
             "--log-level", "warning", "--timeout", "120"],
            env=_child_env(database_url), stdout=subprocess.DEVNULL, stderr=self.log)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                message = self.log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn failed to start: {message}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(1.0)  # let every worker finish loading Django
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not listen on port {self.port} within {seconds} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def measure_fromisoformat(count: int) -> float:
    """Return `datetime.fromisoformat` parses per second on punch-shaped strings."""
    texts = [f"2024-03-{1 + i % 28:02d} 07:{i % 60:02d}:{i * 7 % 60:02d}" for i in range(count)]
    started = time.perf_counter()
    for text in texts:
        dt.datetime.fromisoformat(text)
    return count / (time.perf_counter() - started)


def measure_bare_view(url: str, requests: int, threads: int = CLIENT_THREADS) -> float:
    """Return requests per second of GET /bare, one connection per request like a device."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    counter = iter(range(requests))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", "/bare", headers={"Connection": "close"})
            connection.getresponse().read()
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return requests / (time.perf_counter() - started)


def write_usb_file(path: Path, *, days: int, pins: int) -> int:
    """Write the BC-22 USB file: `days` x `pins` x 2 lines; returns the line count."""
    start = dt.date(2024, 1, 1)
    lines = 0
    with path.open("w", newline="") as handle:
        for day_index in range(days):
            day = start + dt.timedelta(days=day_index)
            for pin in range(1, pins + 1):
                minute = pin % 10
                for clock, state in ((f"07:2{minute}:00", 0), (f"16:0{minute}:00", 1)):
                    handle.write(f"{pin:9d}\t{day} {clock}\t1\t{state}\t1\t0\r\n")
                    lines += 1
    return lines


def _http_sizes(quick: bool) -> list[tuple[int, int, int, int]]:
    """(batch size, devices, pins per device, days) per HTTP run."""
    if quick:
        return [(1, 2, 10, 5), (50, 4, 50, 5), (500, 4, 50, 5)]
    # About 3,800 punches for batch 1 and about 95,000 for batches of 50 and 500.
    return [(1, 16, 25, 5), (50, 20, 250, 10), (500, 20, 250, 10)]


# --------------------------------------------------------------------------------------------
# Entry point of `sao bench ingest`.


def run(*, options: dict, stdout) -> None:
    from sao.devices.simulator.push import DeviceSpec, simulate_push

    quick = bool(options.get("quick"))
    workdir = Path(tempfile.mkdtemp(prefix="sao-bench-ingest-"))
    database_url = options.get("database_url") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    vendor = "postgresql" if database_url.startswith(("postgres", "postgresql")) else "sqlite"
    report: dict = {"database": vendor, "quick": quick, "cpus": os.cpu_count(),
                    "gunicorn_workers": GUNICORN_WORKERS, "client_threads": CLIENT_THREADS}
    out = stdout.write

    try:
        out(f"Database: {vendor} ({_redact(database_url)}); work directory {workdir}")
        runs = _http_sizes(quick)
        specs_by_batch = {
            batch: [DeviceSpec(f"{SERIAL_PREFIX}B{batch:03d}D{number:05d}",
                               tuple(str(1000 + pin) for pin in range(pins)), TIME_ZONE)
                    for number in range(1, devices + 1)]
            for batch, devices, pins, _days in runs
        }
        serials = [spec.serial for specs in specs_by_batch.values() for spec in specs] + [FILE_SERIAL]
        _run_child("setup", {"serials": serials}, database_url)
        out(f"Migrated and registered {len(serials)} devices.")

        report["fromisoformat_per_s"] = int(measure_fromisoformat(200_000 if quick else 1_000_000))
        out("fromisoformat: {} parses/s".format(report["fromisoformat_per_s"]))

        with Gunicorn("sao.devices.bench:bare_wsgi_application()", database_url) as server:
            report["bare_view_per_s"] = int(measure_bare_view(server.url, 1000 if quick else 5000))
        out("bare Django view under gunicorn: {} requests/s".format(report["bare_view_per_s"]))

        report["http"] = []
        with Gunicorn("sao.wsgi:application", database_url) as server:
            for batch, _devices, _pins, days in runs:
                start = dt.date(2024, 1, 1)
                stats = simulate_push(url=server.url, devices=specs_by_batch[batch], start=start,
                                      end=start + dt.timedelta(days=days * 7 // 5 - 1), seed=1,
                                      batch_size=batch, workers=CLIENT_THREADS, timeout=60)
                stored, _memory = _run_child("count", {"prefix": f"{SERIAL_PREFIX}B{batch:03d}"},
                                             database_url)
                row = {"batch": batch, "devices": stats.devices, "punches": stats.punches_generated,
                       "stored": stored["punches"], "posts": stats.posts, "errors": stats.errors,
                       "seconds": stats.seconds,
                       "punches_per_s": int(stats.punches_generated / stats.seconds) if stats.seconds else 0,
                       "posts_per_s": int(stats.posts / stats.seconds) if stats.seconds else 0}
                report["http"].append(row)
                out("HTTP batch {batch}: {punches} punches ({stored} stored) in {posts} posts, "
                    "{seconds} s, {punches_per_s} punches/s, {posts_per_s} posts/s, "
                    "{errors} errors".format(**row))

        raw, _memory = _run_child("raw_insert", {"rows": 20_000 if quick else 100_000}, database_url)
        report["raw_insert_per_s"] = raw["rows_per_s"]
        out("raw deduplicated inserts without the ORM, rows/s: {}".format(raw["rows_per_s"]))

        usb_path = workdir / "big_1_attlog.dat"
        lines = write_usb_file(usb_path, days=5 if quick else 100, pins=500)
        report["file"] = []
        for attempt in (1, 2):
            result, peak_mb = _run_child("import", {"path": str(usb_path), "serial": FILE_SERIAL},
                                         database_url)
            result.update({"run": attempt, "lines": lines, "peak_mb": round(peak_mb, 1)})
            report["file"].append(result)
            out("USB file run {run}: {lines} lines, {accepted} accepted, {duplicates} "
                "duplicates, {seconds} s, peak memory {peak_mb} MB".format(**result))

        _print_verdict(report, out)
        out("JSON: " + json.dumps(report))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _redact(url: str) -> str:
    head, _at, tail = url.rpartition("@")
    if not head:
        return url
    scheme = head.split("//")[0]
    return f"{scheme}//***@{tail}"


def _print_verdict(report: dict, out) -> None:
    fifty = next((row for row in report["http"] if row["batch"] == 50), None)
    if fifty is not None:
        rate = fifty["punches_per_s"]
        verdict = "met" if rate >= TARGET_PER_SECOND else "missed"
        out(f"Target {TARGET_PER_SECOND} punches/s in 50-line batches: {verdict} "
            f"({int(rate * 100 / TARGET_PER_SECOND)}% of it)")
    slowest = max(row["seconds"] for row in report["file"])
    peak = max(row["peak_mb"] for row in report["file"])
    time_verdict = "met" if slowest < TARGET_FILE_SECONDS else "missed"
    memory_verdict = "met" if peak < TARGET_PEAK_MB else "missed"
    out(f"Target file import under {TARGET_FILE_SECONDS} s: {time_verdict} (slowest run {slowest} s); "
        f"peak memory under {TARGET_PEAK_MB} MB: {memory_verdict} ({peak} MB)")


# --------------------------------------------------------------------------------------------
# Child-process actions (database work under the benchmark's DATABASE_URL).


def _child_setup(serials: list[str]) -> dict:
    from django.core.management import call_command

    from sao.devices.models import Device, Punch, QuarantinedRecord, RawUpload
    from sao.devices.services import device_register
    from sao.org.models import Unit

    call_command("migrate", verbosity=0, interactive=False)
    old = Device.objects.filter(serial__startswith=SERIAL_PREFIX)
    Punch.objects.filter(device__in=old).delete()
    QuarantinedRecord.objects.filter(device__in=old).delete()
    RawUpload.objects.filter(device__in=old).delete()

    unit = Unit.objects.filter(code=UNIT_CODE).first()
    if unit is None:
        unit = Unit(code=UNIT_CODE, kind="opd", name="Benchmark unit", time_zone=TIME_ZONE)
        unit.compute_path()
        unit.save()
    for serial in serials:
        device_register(serial=serial, unit=unit, time_zone=TIME_ZONE,
                        commissioned_on=dt.date(2020, 1, 1), actor_label="bench")
    return {"devices": len(serials)}


def _child_count(prefix: str) -> dict:
    from sao.devices.models import Punch

    return {"punches": Punch.objects.filter(device__serial__startswith=prefix).count()}


def _child_import(path: str, serial: str) -> dict:
    from sao.devices.files import punch_file_import

    data = Path(path).read_bytes()
    started = time.perf_counter()
    summary = punch_file_import(data=data, filename=Path(path).name, serial=serial)
    seconds = time.perf_counter() - started
    return {"accepted": summary.accepted, "duplicates": summary.duplicates,
            "quarantined": summary.quarantined, "status": summary.status, "seconds": round(seconds, 2)}


def _child_raw_insert(rows: int) -> dict:
    """Time deduplicating inserts of punch-shaped rows into a scratch table, without the ORM.

    Three ways: one executemany, multi-row VALUES statements of 1,000 rows, and (PostgreSQL
    only) COPY into a staging table merged with INSERT ... SELECT ... ON CONFLICT DO NOTHING.
    """
    from django.db import connection, transaction

    columns = "device_id, pin, local_time, state, verify, workcode"
    values = [(1 + i % 500, str(1000 + i % 500),
               f"2024-01-01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00", i % 2, 1, 0)
              for i in range(rows)]
    results = {}

    def timed(name: str, insert) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw_punch")
            cursor.execute("CREATE TABLE bench_raw_punch (device_id integer, pin varchar(32), "
                           "local_time varchar(40), state smallint, verify smallint, workcode integer, "
                           "UNIQUE (device_id, pin, local_time, state))")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            insert(cursor)
        results[name] = int(rows / (time.perf_counter() - started))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_raw_punch")

    def executemany(cursor) -> None:
        cursor.executemany("INSERT INTO bench_raw_punch VALUES (%s, %s, %s, %s, %s, %s) "
                           "ON CONFLICT DO NOTHING", values)

    def multi_row(cursor) -> None:
        for start in range(0, rows, 1000):
            chunk = values[start:start + 1000]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute("INSERT INTO bench_raw_punch VALUES " + placeholders  # noqa: S608
                           + " ON CONFLICT DO NOTHING", [value for row in chunk for value in row])

    def copy_merge(cursor) -> None:
        cursor.execute("CREATE TEMP TABLE bench_raw_stage (LIKE bench_raw_punch) ON COMMIT DROP")
        with cursor.connection.cursor().copy(f"COPY bench_raw_stage ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute("INSERT INTO bench_raw_punch SELECT * FROM bench_raw_stage ON CONFLICT DO NOTHING")

    timed("executemany", executemany)
    timed("multi_row_values", multi_row)
    if connection.vendor == "postgresql":
        timed("copy_merge", copy_merge)
    return {"rows_per_s": results}


def _child_main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sao.settings")
    django.setup()
    action, payload = argv[0], json.loads(argv[1])
    handlers = {"setup": _child_setup, "count": _child_count, "import": _child_import,
                "raw_insert": _child_raw_insert}
    print(json.dumps(handlers[action](**payload)))


if __name__ == "__main__":
    _child_main(sys.argv[1:])
