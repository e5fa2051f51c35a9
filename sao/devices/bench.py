"""`sao bench ingest`: punches per second end to end, file import time and memory, raw limits.

What it measures, in one run against one database:
1. raw limits: `datetime.fromisoformat` parses per second, and requests per second of a bare
   Django view (full middleware stack, no database) under the same gunicorn set-up;
2. push ingest over HTTP: simulated devices post ATTLOG batches of 1, 50 and 500 lines to
   `/iclock/cdata` on a gunicorn server the benchmark starts on 127.0.0.1 and stops;
3. file import: a 100,000-line USB attlog.dat (500 PINs, two punches a day, 100 days)
   imported twice. Each run has its own process, so its peak memory (ru_maxrss) is its own.
   The second run must add nothing.

For each HTTP run it also prints the CPU time one POST cost the server, the simulator and
PostgreSQL (read from /proc), so that a run on a busy machine still shows the cost of a POST.
SAO_BENCH_PORT sets the first of the two ports the servers listen on (default: free ports).

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
# The set-up of `sao serve`: 2 gthread workers with 4 threads each. On the 2-core development
# machine it served 50-line POSTs 1.5 to 2 times as fast as 4 sync workers, run by run in turn,
# because the threads overlap the wait for each commit.
GUNICORN_WORKERS = 2
GUNICORN_WORKER_CLASS = "gthread"
GUNICORN_THREADS = 4
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
# CPU accounting from Linux /proc, so that a run on a busy machine still shows what one POST
# costs. Other operating systems get no CPU figures.

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """Return the fields of /proc/PID/stat after the command name, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pids) -> float:
    """Return the user plus system CPU seconds the given processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime and stime are fields 14 and 15 of the stat line, and fields[0] is field 3.
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def child_pids(parent: int) -> list[int]:
    """Return the ids of the processes whose parent is `parent` (gunicorn's workers)."""
    children = []
    for entry in PROC.glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def postgres_backend_pids(database: str) -> list[int]:
    """Return the ids of the PostgreSQL server processes connected to `database` on this host.

    A backend's command line reads `postgres: [CLUSTER:] USER DATABASE HOST(PORT) STATE`;
    Debian's clusters set the CLUSTER part, such as `15/main:`.
    """
    pids = []
    for entry in PROC.glob("[0-9]*"):
        try:
            words = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().split()
        except (OSError, UnicodeDecodeError):
            continue
        if not words or words[0] != "postgres:":
            continue
        if len(words) > 1 and words[1].endswith(":"):
            words = words[1:]
        if len(words) >= 3 and words[2] == database:
            pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds used during a run by the server, this process (the simulator) and PostgreSQL.

    NOTE: a database backend that exits during the run takes its CPU time with it, so the
    PostgreSQL figure is a lower bound. It stays empty on SQLite or without /proc.
    """

    def __init__(self, *, server_pid: int, database: str):
        self.server_pid = server_pid
        self.database = database

    def _sample(self) -> tuple[dict[int, float], float, dict[int, float]]:
        server = [self.server_pid, *child_pids(self.server_pid)]
        backends = postgres_backend_pids(self.database) if self.database else []
        return ({pid: cpu_seconds([pid]) for pid in server}, time.process_time(),
                {pid: cpu_seconds([pid]) for pid in backends})

    def __enter__(self) -> CpuMeter:
        self.before = self._sample()
        return self

    def __exit__(self, *exc_info) -> None:
        self.after = self._sample()

    def seconds(self) -> dict[str, float]:
        """Return CPU seconds used by "server", "simulator" and "postgresql" during the run.

        The "postgresql" entry is missing on SQLite, whose work the server's figure includes.
        """
        (server_before, client_before, db_before), (server_after, client_after, db_after) = (
            self.before, self.after)
        used = {
            "server": sum(value - server_before.get(pid, 0.0) for pid, value in server_after.items()),
            "simulator": client_after - client_before,
        }
        if self.database:
            used["postgresql"] = sum(value - db_before.get(pid, 0.0)
                                     for pid, value in db_after.items())
        return used


def _database_name(database_url: str) -> str:
    if not database_url.startswith(("postgres", "postgresql")):
        return ""
    return database_url.rsplit("/", 1)[-1].split("?", 1)[0]


# --------------------------------------------------------------------------------------------
# Helpers run in the parent process.


def _server_port(offset: int) -> int:
    """Return SAO_BENCH_PORT + offset, or a free port the system picks when it is unset."""
    first = os.environ.get("SAO_BENCH_PORT", "").strip()
    if first:
        try:
            return int(first) + offset
        except ValueError:
            raise SystemExit(f"SAO_BENCH_PORT={first!r} is not a port number; give a whole "
                             "number such as 8820, or unset it.") from None
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

    def __init__(self, app: str, database_url: str, *, port: int,
                 workers: int = GUNICORN_WORKERS, worker_class: str = GUNICORN_WORKER_CLASS,
                 threads: int = GUNICORN_THREADS):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: nobody reads the server's log while it runs, and a full pipe blocks it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-class", worker_class,
             "--threads", str(threads), "--backlog", "2048",
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
                    "gunicorn_workers": GUNICORN_WORKERS, "gunicorn_worker_class": GUNICORN_WORKER_CLASS,
                    "gunicorn_threads": GUNICORN_THREADS, "client_threads": CLIENT_THREADS}
    out = stdout.write

    try:
        out(f"Database: {vendor} ({_redact(database_url)}); work directory {workdir}")
        out(f"Server: gunicorn, {GUNICORN_WORKERS} {GUNICORN_WORKER_CLASS} workers with "
            f"{GUNICORN_THREADS} threads each; simulator: {CLIENT_THREADS} client threads; "
            f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.1f}.")
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

        with Gunicorn("sao.devices.bench:bare_wsgi_application()", database_url,
                      port=_server_port(0)) as server:
            report["bare_view_per_s"] = int(measure_bare_view(server.url, 1000 if quick else 5000))
        out("bare Django view under gunicorn: {} requests/s".format(report["bare_view_per_s"]))

        report["http"] = []
        with Gunicorn("sao.wsgi:application", database_url, port=_server_port(1)) as server:
            for batch, _devices, _pins, days in runs:
                start = dt.date(2024, 1, 1)
                load_before = os.getloadavg()[0]
                with CpuMeter(server_pid=server.process.pid,
                              database=_database_name(database_url)) as meter:
                    stats = simulate_push(
                        url=server.url, devices=specs_by_batch[batch], start=start,
                        end=start + dt.timedelta(days=days * 7 // 5 - 1), seed=1,
                        batch_size=batch, workers=CLIENT_THREADS, timeout=60)
                stored, _memory = _run_child("count", {"prefix": f"{SERIAL_PREFIX}B{batch:03d}"},
                                             database_url)
                row = {"batch": batch, "devices": stats.devices, "punches": stats.punches_generated,
                       "stored": stored["punches"], "posts": stats.posts, "errors": stats.errors,
                       "seconds": stats.seconds,
                       "punches_per_s": int(stats.punches_generated / stats.seconds) if stats.seconds else 0,
                       "posts_per_s": int(stats.posts / stats.seconds) if stats.seconds else 0,
                       "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
                       "cpu_ms_per_post": {name: round(seconds * 1000 / max(stats.posts, 1), 2)
                                           for name, seconds in meter.seconds().items()}}
                report["http"].append(row)
                out("HTTP batch {batch}: {punches} punches ({stored} stored) in {posts} posts, "
                    "{seconds} s, {punches_per_s} punches/s, {posts_per_s} posts/s, "
                    "{errors} errors".format(**row))
                out(_cpu_line(row, batch))

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


def _cpu_line(row: dict, batch: int) -> str:
    """Describe the CPU cost of one POST and the rate two idle cores could reach (an estimate)."""
    cpu = row["cpu_ms_per_post"]
    total = sum(cpu.values())
    cores = os.cpu_count() or 1
    estimate = int(cores * 1000 / total) if total else 0
    database = f", PostgreSQL {cpu['postgresql']} ms" if "postgresql" in cpu else ""
    return (f"  CPU per POST: server {cpu['server']} ms, simulator {cpu['simulator']} ms"
            f"{database}; load average {row['load_average'][0]} before, "
            f"{row['load_average'][1]} after. Estimate if nothing else ran on the {cores} "
            f"cores: {estimate} posts/s, {estimate * batch} punches/s.")


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
        cpu_total = sum(fifty["cpu_ms_per_post"].values())
        estimate = int((os.cpu_count() or 1) * 1000 / cpu_total * 50) if cpu_total else 0
        out(f"Target {TARGET_PER_SECOND} punches/s in 50-line batches: {verdict} "
            f"({int(rate * 100 / TARGET_PER_SECOND)}% of it at a load average of "
            f"{fifty['load_average'][0]} to {fifty['load_average'][1]}; from the CPU per POST, "
            f"about {estimate} punches/s if nothing else ran)")
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
