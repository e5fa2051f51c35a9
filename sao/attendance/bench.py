"""`sao bench compute`: a month of results for generated employees, and one late punch.

The benchmark generates (once per database) a province of 30 agencies with 30,000 employees
(1,000 with --quick), each with two punches on most working days of April 2026, under the Kaltim
policy seeded by the migrations. It then measures:

1. the full recompute of April 2026 (first run inserts, second run upserts),
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
    """Store one punch, mark its day and recompute the queue. Returns the seconds until visible."""
    from sao.attendance.compute import recompute_dirty
    from sao.attendance.dirty import mark_punches_dirty
    from sao.attendance.models import DailyResult
    from sao.devices.models import Device, Punch

    device = Device.objects.filter(serial__startswith="BENCH").order_by("serial").first()
    employee_id = (
        Punch.objects.filter(device=device)
        .order_by("employee_id")
        .values_list("employee_id", flat=True)
        .first()
    )
    stamp = timezone.now()
    wall = dt.datetime.combine(
        dt.date(2026, 4, 15), dt.time(12, stamp.minute, stamp.second, stamp.microsecond)
    )
    instant = wall.replace(tzinfo=WITA).astimezone(dt.UTC)

    began = time.monotonic()
    with transaction.atomic():
        Punch.objects.create(
            device=device,
            pin=str(employee_id),
            local_time=wall.replace(tzinfo=dt.UTC),
            instant=instant,
            state=0,
            verify=1,
            source="file",
            employee_id=employee_id,
            received_at=timezone.now(),
        )
        transaction.on_commit(lambda: mark_punches_dirty(punches=[(employee_id, instant)]))
    recompute_dirty()
    row = DailyResult.objects.get(employee_id=employee_id, date=dt.date(2026, 4, 15), shift_code="")
    elapsed = time.monotonic() - began
    used = {item[0] for item in row.explanation[0]["params"]["punches"]}
    if instant.isoformat() not in used:
        stdout.write(f"WARNING: the late punch {instant.isoformat()} is missing from its day's result.")
    return elapsed


def run(*, options, stdout) -> None:
    """Run the compute benchmark and print its figures."""
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
    runs = [("first run", 1), ("second run", 1)]
    if connection.vendor == "postgresql":
        runs.append(("two worker processes", 2))
    for label, workers in runs:
        cpu = time.process_time()
        stats = recompute(start=MONTH_START, end=MONTH_END, unit=province, workers=workers)
        cpu = time.process_time() - cpu
        statuses = ", ".join(f"{code} {count}" for code, count in sorted(stats.by_status.items()))
        stdout.write(
            f"Month {MONTH_START:%Y-%m}, {label}: {stats.results} results for {stats.employees} "
            f"employees from {stats.punches} punches in {stats.seconds:.1f} s wall, {cpu:.1f} s CPU "
            f"of the main process; phases: load {stats.load_seconds:.1f} s, engine and rows "
            f"{stats.engine_seconds:.1f} s, write {stats.write_seconds:.1f} s ({statuses})."
        )

    late = _late_punch(stdout=stdout)
    stdout.write(f"Late punch visible in its day's result after {late:.3f} s.")
    stdout.write(f"Peak resident memory of the process: {_peak_rss_mb():.0f} MB.")
