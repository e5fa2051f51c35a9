"""`sao bench compute`: a month of results for generated employees, and one late punch.

The benchmark generates (once per database) a province of 30 agencies with 30,000 employees
(1,000 with --quick), each with two punches on most working days of April 2026, under the Kaltim
policy seeded by the migrations. It then measures:

1. the full recompute of April 2026: the first run writes every row that is missing or
   different, the second run finds every row unchanged and writes none, and on PostgreSQL a third
   run does the same with two worker processes,
2. a late punch: the time from storing one punch and marking its day to that day's result
   showing it, through the same queue the Huey task drains (run in this process),
3. the peak resident memory of the process (ru_maxrss).

Run it on a database of its own: the generated rows stay there for the next run.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

MONTH_START = dt.date(2026, 4, 1)
MONTH_END = dt.date(2026, 4, 30)
AGENCIES = 30
ABSENT_SHARE = 0.05
BATCH = 10_000
WITA = ZoneInfo("Asia/Makassar")


def _use_database(url: str) -> None:
    import dj_database_url

    connections.close_all()
    settings_dict = dj_database_url.parse(url)
    connections.databases["default"].update(settings_dict)
    del connections["default"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(*, employees: int, stdout) -> None:
    """Create the bench units, employees, devices and punches unless they already exist."""
    from sao.devices.models import Device, Punch
    from sao.org.models import Employee, Unit

    existing = Employee.objects.filter(unit__path__startswith="/BENCH-PROV/").count()
    if existing == employees:
        stdout.write(f"Using the {existing} bench employees already in the database.")
        return
    if existing:
        raise SystemExit(
            f"The database contains {existing} bench employees, not {employees}; "
            "use an empty database for this size."
        )

    began = time.monotonic()
    rng = random.Random(20260401)
    with transaction.atomic():
        province = Unit(code="BENCH-PROV", kind="province", name="Bench province")
        province.compute_path()
        province.save()
        agencies = []
        for number in range(AGENCIES):
            agency = Unit(
                code=f"BENCH-OPD-{number:02d}", kind="opd", name=f"Bench agency {number}", parent=province
            )
            agency.compute_path()
            agency.save()
            agencies.append(agency)
        devices = [
            Device.objects.create(
                serial=f"BENCH{number:08d}", unit=agency, status="active", time_zone="Asia/Makassar"
            )
            for number, agency in enumerate(agencies)
        ]

    rows = [
        Employee(
            nip=f"1980010120050{serial:05d}",
            name=f"Bench employee {serial}",
            kind="PNS",
            unit=agencies[serial % AGENCIES],
        )
        for serial in range(employees)
    ]
    for offset in range(0, len(rows), BATCH):
        Employee.objects.bulk_create(rows[offset : offset + BATCH])
    employee_rows = list(
        Employee.objects.filter(unit__path__startswith="/BENCH-PROV/").values_list("pk", "unit_id")
    )
    device_by_unit = {device.unit_id: device for device in devices}

    received = timezone.now()
    punches: list[Punch] = []
    count = 0
    day = MONTH_START
    working_days = []
    while day <= MONTH_END:
        if day.weekday() < 5:
            working_days.append(day)
        day += dt.timedelta(days=1)
    for employee_id, unit_id in employee_rows:
        for day in working_days:
            if rng.random() < ABSENT_SHARE:
                continue
            if day.weekday() == 4:  # Friday WFA windows 06:30-07:30 and 11:00-13:00
                first = dt.datetime.combine(day, dt.time(6, 30)) + dt.timedelta(minutes=rng.randrange(60))
                times = [first.time(), dt.time(11, rng.randrange(60))]
            else:
                times = [dt.time(7, rng.randrange(45)), dt.time(16, rng.randrange(40))]
            for state, wall in enumerate(times):
                local = dt.datetime.combine(day, wall)
                punches.append(
                    Punch(
                        device=device_by_unit[unit_id],
                        pin=str(employee_id),
                        local_time=local.replace(tzinfo=dt.UTC),
                        instant=local.replace(tzinfo=WITA).astimezone(dt.UTC),
                        state=state,
                        verify=1,
                        source="file",
                        employee_id=employee_id,
                        received_at=received,
                    )
                )
        if len(punches) >= BATCH:
            Punch.objects.bulk_create(punches)
            count += len(punches)
            punches = []
    Punch.objects.bulk_create(punches)
    count += len(punches)
    stdout.write(f"Generated {employees} employees and {count} punches in {time.monotonic() - began:.1f} s.")


def _late_punch(*, stdout) -> float:
    """Store one punch, mark its day and recompute the queue. Returns the seconds until visible.

    The punch comes one second after the employee's last punch of Wednesday 15 April (17:00 WITA
    at the earliest), so it becomes the day's check-out and the stored result shows it.
    """
    from sao.attendance.compute import recompute_dirty
    from sao.attendance.dirty import mark_punches_dirty
    from sao.attendance.models import DailyResult
    from sao.devices.models import Device, Punch

    day = dt.date(2026, 4, 15)
    device = Device.objects.filter(serial__startswith="BENCH").order_by("serial").first()
    employee_id = (
        Punch.objects.filter(device=device)
        .order_by("employee_id")
        .values_list("employee_id", flat=True)
        .first()
    )
    day_start = dt.datetime.combine(day, dt.time(0), WITA)
    last = (
        Punch.objects.filter(
            employee_id=employee_id, instant__gte=day_start, instant__lt=day_start + dt.timedelta(days=1)
        )
        .order_by("-instant")
        .values_list("instant", flat=True)
        .first()
    )
    earliest = dt.datetime.combine(day, dt.time(17, 0), WITA)
    instant = max(earliest, last + dt.timedelta(seconds=1)) if last else earliest
    instant = instant.replace(microsecond=timezone.now().microsecond).astimezone(dt.UTC)
    wall = instant.astimezone(WITA).replace(tzinfo=None)

    began = time.monotonic()
    with transaction.atomic():
        Punch.objects.create(
            device=device,
            pin=str(employee_id),
            local_time=wall.replace(tzinfo=dt.UTC),
            instant=instant,
            state=1,
            verify=1,
            source="file",
            employee_id=employee_id,
            received_at=timezone.now(),
        )
        transaction.on_commit(lambda: mark_punches_dirty(punches=[(employee_id, instant)]))
    recompute_dirty()
    row = DailyResult.objects.get(employee_id=employee_id, date=day, shift_code="")
    elapsed = time.monotonic() - began
    if row.check_out != instant:
        stdout.write(
            f"WARNING: the late punch {instant.isoformat()} is not the check-out of its day's result "
            f"({row.check_out})."
        )
    return elapsed


def run(*, options, stdout) -> None:
    """Run the compute benchmark and print its figures."""
    import os

    from sao.attendance.compute import recompute

    if options.get("database_url"):
        _use_database(options["database_url"])
    employees = 1_000 if options.get("quick") else 30_000
    call_command("migrate", verbosity=0)
    stdout.write(f"Database: {connection.vendor} {connection.settings_dict.get('NAME')}")

    _generate(employees=employees, stdout=stdout)

    from sao.org.models import Unit

    province = Unit.objects.get(code="BENCH-PROV")
    from sao.attendance.models import DailyResult

    stored = DailyResult.objects.filter(unit__path__startswith=province.path).count()
    stdout.write(f"Results already stored for the bench province before the runs: {stored}.")
    runs = [("first run", 1), ("second run, inputs unchanged", 1)]
    if connection.vendor == "postgresql":
        runs.append(("two worker processes, inputs unchanged", 2))
    month_seconds = {}
    for label, workers in runs:
        cpu = time.process_time()
        stats = recompute(start=MONTH_START, end=MONTH_END, unit=province, workers=workers)
        cpu = time.process_time() - cpu
        month_seconds[label] = stats.seconds
        statuses = ", ".join(f"{code} {count}" for code, count in sorted(stats.by_status.items()))
        stdout.write(
            f"Month {MONTH_START:%Y-%m}, {label}: {stats.results} results for {stats.employees} "
            f"employees from {stats.punches} punches in {stats.seconds:.1f} s wall, {cpu:.1f} s CPU "
            f"of the main process; {stats.written} rows written, {stats.unchanged} unchanged, "
            f"{stats.fast_results} by the fast path; phases: load {stats.load_seconds:.1f} s, engine "
            f"and rows {stats.engine_seconds:.1f} s, write {stats.write_seconds:.1f} s ({statuses}); "
            f"load average {os.getloadavg()[0]:.1f}."
        )

    late = _late_punch(stdout=stdout)
    stdout.write("Summary:")
    for label, seconds in month_seconds.items():
        stdout.write(
            f"  month of {employees} employees, {label}: {seconds:.1f} s (target < 10 s on PostgreSQL)"
        )
    stdout.write(f"  late punch visible in its day's result: {late:.3f} s (target < 2 s)")
    stdout.write(f"  peak resident memory of the process: {_peak_rss_mb():.0f} MB (target < 1 GB)")
    stdout.write(f"  load average (1, 5, 15 min): {', '.join(f'{value:.1f}' for value in os.getloadavg())}")
