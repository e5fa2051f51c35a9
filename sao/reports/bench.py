"""`sao bench reports`: report timings on a generated province with a year of daily results.

The benchmark generates (once per database) a province REPORT-PROV of 30 OPDs, each with 3 UPTs,
and 30,000 employees (600 with --quick). It writes one daily result per employee and working day
of 2025 directly, because the rules engine has its own benchmark (`sao bench compute`). The
largest OPD contains a tenth of the employees. It then measures, through Django's test client as the BKD
administrator (so middleware, templates and queries all count):

1. the refresh of the per-unit, per-day counts of the year (what the nightly task does),
2. the dashboard for December 2025 (p50 and p95 of 20 requests),
3. the monthly recap screen of the largest OPD (first page) and its XLSX download,
4. the yearly rates report on screen and as XLSX for the whole province,
5. the peak resident memory of the process (ru_maxrss).

Run it on a database of its own: the generated rows stay there for the next run.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import statistics
import time

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

YEAR = 2025
AGENCIES = 30
UPTS_PER_AGENCY = 3
BATCH = 20_000
REQUESTS = 20
WITA_OFFSET = dt.timedelta(hours=8)


def _use_database(url: str) -> None:
    """Point the default connection at `url` (the --database-url option).

    NOTE: with a SQLite URL the run hung in the generation step until a 600 s timeout. The same run
    with DATABASE_URL set in the environment finished in 69 s, so use DATABASE_URL for SQLite.
    """
    import dj_database_url

    connections.close_all()
    settings_dict = dj_database_url.parse(url)
    current = connections.databases["default"]
    current.update(settings_dict)
    # OPTIONS of the configured engine (SQLite's init_command) would be invalid for another one.
    current["OPTIONS"] = settings_dict.get("OPTIONS", {})
    del connections["default"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _working_days() -> list[dt.date]:
    day = dt.date(YEAR, 1, 1)
    days = []
    while day.year == YEAR:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _result_row(rng: random.Random, employee_id: int, unit_id: int, day: dt.date, computed_at) -> tuple:
    """Return one DailyResult row: 90% on time, 4% late (TL1-TL2), 3% DL, 3% TK."""
    draw = rng.random()
    start = dt.datetime.combine(day, dt.time(7, 30), dt.UTC) - WITA_OFFSET
    status, late, late_code, check_in, check_out = "HADIR", None, "", None, None
    if draw < 0.03:
        status = "TK"
    elif draw < 0.06:
        status = "DL"
    else:
        late = rng.randrange(1, 60) if draw < 0.10 else 0
        if late >= 31:
            late_code = "TL2"
        elif late:
            late_code = "TL1"
        check_in = start + dt.timedelta(minutes=late if late else -10)
        check_out = start + dt.timedelta(hours=8, minutes=40)
    return (
        employee_id,
        day,
        "",
        unit_id,
        status,
        True,
        check_in,
        check_out,
        late or None,
        None,
        late_code,
        "",
        None,
        "[]",
        "DL" if status == "DL" else "",
        "",
        "bench",
        computed_at,
    )


COLUMNS = (
    "employee_id",
    "date",
    "shift_code",
    "unit_id",
    "status",
    "is_working_day",
    "check_in",
    "check_out",
    "late_minutes",
    "early_minutes",
    "late_code",
    "early_code",
    "worked_minutes",
    "flags",
    "absence_code",
    "holiday_name",
    "rule_version",
    "computed_at",
)


def _generate(*, employees: int, stdout) -> None:
    """Create the units, employees and a year of results unless they already exist."""
    from sao.org.models import Employee, Unit, User

    existing = Employee.objects.filter(unit__path__startswith="/REPORT-PROV/").count()
    if existing == employees:
        stdout.write(f"Using the {existing} report-bench employees already in the database.")
        return
    if existing:
        raise SystemExit(
            f"The database contains {existing} report-bench employees, not {employees}; "
            "use an empty database for this size."
        )

    began = time.monotonic()
    rng = random.Random(2025)
    with transaction.atomic():
        province = Unit(code="REPORT-PROV", kind="province", name="Report bench province")
        province.compute_path()
        province.save()
        leaves = []
        for number in range(AGENCIES):
            agency = Unit(code=f"REPORT-OPD-{number:02d}", kind="opd", name=f"OPD {number}", parent=province)
            agency.compute_path()
            agency.save()
            leaves.append(agency)
            for upt_number in range(UPTS_PER_AGENCY):
                upt = Unit(
                    code=f"REPORT-UPT-{number:02d}-{upt_number}",
                    kind="upt",
                    name=f"UPT {number}.{upt_number}",
                    parent=agency,
                )
                upt.compute_path()
                upt.save()
                leaves.append(upt)
        if not User.objects.filter(username="report-bench").exists():
            User.objects.create_user(username="report-bench", role="admin_bkd")  # no usable password

    # The largest OPD (the first) takes a tenth of the employees; the rest spread evenly.
    largest = employees // 10
    units = [leaves[0]] * largest + [
        leaves[(serial % (len(leaves) - 1)) + 1] for serial in range(employees - largest)
    ]
    rows = [
        Employee(nip=f"1975010120000{serial:05d}", name=f"Pegawai {serial:05d}", kind="PNS", unit=unit)
        for serial, unit in enumerate(units)
    ]
    for offset in range(0, len(rows), BATCH):
        Employee.objects.bulk_create(rows[offset : offset + BATCH])
    people = list(
        Employee.objects.filter(unit__path__startswith="/REPORT-PROV/").values_list("pk", "unit_id")
    )

    days = _working_days()
    computed_at = timezone.now()
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY attendance_dailyresult ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for employee_id, unit_id in people:
                    for day in days:
                        copy.write_row(_result_row(rng, employee_id, unit_id, day, computed_at))
                        count += 1
        else:
            # COLUMNS is a constant of this module; the values go through parameters.
            sql = (
                f"INSERT INTO attendance_dailyresult ({', '.join(COLUMNS)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
            )
            batch = []
            for employee_id, unit_id in people:
                for day in days:
                    batch.append(_result_row(rng, employee_id, unit_id, day, computed_at))
                    if len(batch) == BATCH:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
            cursor.executemany(sql, batch)
            count += len(batch)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE attendance_dailyresult")
    stdout.write(
        f"Generated {len(people)} employees and {count} daily results of {YEAR} in "
        f"{time.monotonic() - began:.1f} s."
    )


def _refresh_counts(*, stdout) -> None:
    """Build the per-unit, per-day counts of the year, as the nightly task does, and time it."""
    from sao.reports.services import unit_day_counts_refresh

    began = time.monotonic()
    rows = unit_day_counts_refresh(start=dt.date(YEAR, 1, 1), end=dt.date(YEAR, 12, 31))
    stdout.write(f"Refreshed {rows} unit day counts of {YEAR} in {time.monotonic() - began:.1f} s.")

    if connection.vendor == "postgresql":
        # Each run rewrites the year's counts. Without a vacuum the timings would read the dead rows
        # of earlier runs, because autovacuum had not run between benchmark runs.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE reports_unitdaycount")
            cursor.execute("ANALYZE org_employee")
            cursor.execute("ANALYZE org_unit")


def _timed(client, path: str, params: dict, runs: int) -> list[float]:
    timings = []
    for _run in range(runs):
        began = time.perf_counter()
        response = client.get(path, params)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        timings.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} {params} returned {response.status_code}; the benchmark stops.")
    return timings


def _p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _report(stdout, label: str, timings: list[float]) -> None:
    stdout.write(
        f"{label}: p50 {statistics.median(timings) * 1000:.0f} ms, p95 {_p95(timings) * 1000:.0f} ms "
        f"({len(timings)} requests)."
    )


def run(*, options, stdout) -> None:
    """Generate the bench province if needed, then time the dashboard, the recap and the rates."""
    from django.test import Client

    if options.get("database_url"):
        _use_database(options["database_url"])
    employees = 600 if options.get("quick") else 30_000
    runs = 3 if options.get("quick") else REQUESTS
    call_command("migrate", verbosity=0)
    stdout.write(f"Database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    _generate(employees=employees, stdout=stdout)
    _refresh_counts(stdout=stdout)

    from django.conf import settings

    from sao.org.models import User

    client = Client(
        HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".")
    )
    client.force_login(User.objects.get(username="report-bench"))
    month = f"{YEAR}-12"

    _report(stdout, "Dashboard, December", _timed(client, "/reports/dashboard/", {"month": month}, runs))
    _report(
        stdout,
        "Monthly recap of the largest OPD, first page",
        _timed(client, "/reports/recap/", {"unit": "REPORT-OPD-00", "month": month}, runs),
    )
    _report(stdout, "Yearly rates report, screen", _timed(client, "/reports/rates/", {"year": YEAR}, runs))
    recap_xlsx = _timed(
        client, "/reports/recap/", {"unit": "REPORT-OPD-00", "month": month, "format": "xlsx"}, 1
    )
    stdout.write(f"Monthly recap of the largest OPD as XLSX: {recap_xlsx[0]:.1f} s.")
    rates_xlsx = _timed(client, "/reports/rates/", {"year": YEAR, "format": "xlsx"}, 1)
    stdout.write(f"Yearly rates report of the province as XLSX: {rates_xlsx[0]:.1f} s.")
    stdout.write(f"Peak resident memory: {_peak_rss_mb():.0f} MB.")
