"""A small province with one week of computed results, for the report tests.

Week of Monday 2026-06-01 to Sunday 2026-06-07, with Wednesday 2026-06-03 a holiday, so an active
employee has four working days (Mon, Tue, Thu, Fri). In UPT-A (agency OPD-A):

* `punctual`: on time Mon and Tue, 15 minutes late Thu (TL1), no punch Fri (TK): scheduled 4,
  present 3, compliant 2, TK 1.
* `on_cltn`: no punches, CLTN from Thu 06-04: scheduled 2 (Mon, Tue), TK 2.
* `studying`: tugas belajar since May: never scheduled.
* `newcomer`: TMT Fri 06-05, on time that day: scheduled 1, present 1, compliant 1.

UPT-A totals: scheduled 7, present 4, TK 3, compliant 3. In UPT-B (agency OPD-B), `steady` is on
time all four days: scheduled 4, present 4, compliant 4.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_unit, make_user

POLICY = Path(__file__).resolve().parent / "policy.yaml"
WEEK_START = dt.date(2026, 6, 1)
WEEK_END = dt.date(2026, 6, 7)
HOLIDAY = dt.date(2026, 6, 3)
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

_SERIALS = itertools.count(1)


def new_employee(unit, name: str, *, tmt: dt.date = dt.date(2020, 1, 1), nip: str | None = None):
    """Create an employee through the org service, with NIPs from this package's own counter."""
    from sao.org.services import employee_create

    serial = next(_SERIALS) % 1000
    values = {"nip": nip or f"19850505201001{1 + serial % 2}{serial:03d}", "name": name, "kind": "PNS"}
    return employee_create(values=values, unit=unit, valid_from=tmt, actor_label="test")


def ingest(*, unit, employee, pin: str, times: list[str], serial: str):
    """Store punches ("YYYY-MM-DD HH:MM:SS" WITA) through the devices app, mapped to `employee`."""
    from sao.devices.models import Device, PinMapping
    from sao.devices.records import PunchRecord
    from sao.devices.services import punches_ingest, raw_upload_store

    device, _created = Device.objects.get_or_create(
        serial=serial, defaults={"unit": unit, "status": "active", "time_zone": "Asia/Makassar"}
    )
    PinMapping.objects.get_or_create(
        device=device, pin=pin, employee=employee, defaults={"valid_from": dt.date(2020, 1, 1)}
    )
    lines = [f"{pin}\t{text}\t0\t1" for text in times]
    upload = raw_upload_store(
        body="\n".join(lines).encode(), source="file", serial=serial, device=device, filename="test.attlog"
    )
    records = [
        PunchRecord(
            pin=pin, local_time=dt.datetime.fromisoformat(text), state=0, verify=1, line=number, raw=line
        )
        for number, (text, line) in enumerate(zip(times, lines, strict=True), start=1)
    ]
    return punches_ingest(upload=upload, device=device, records=records)


@dataclass
class Week:
    province: object
    agency_a: object
    unit_a: object
    agency_b: object
    unit_b: object
    punctual: object
    on_cltn: object
    studying: object
    newcomer: object
    steady: object
    admin: object
    operator_a: object
    operator_b: object
    leader_a: object
    employee_user: object


@pytest.fixture
def week(db) -> Week:
    from sao.attendance.compute import recompute
    from sao.calendars.models import HolidayOverride
    from sao.calendars.services import policy_import
    from sao.org.services import employee_set_legal_status
    from sao.reports.services import unit_day_counts_refresh

    policy_import(document=POLICY.read_text(encoding="utf-8"), legal_basis="test", actor_label="test")
    HolidayOverride.objects.create(date=HOLIDAY, name="Libur uji", legal_basis="test")

    province = make_unit("PROV", "province", name="Provinsi Kalimantan Timur")
    agency_a = make_unit("OPD-A", "opd", province, name="Dinas A")
    unit_a = make_unit("UPT-A", "upt", agency_a, name="UPT A")
    agency_b = make_unit("OPD-B", "opd", province, name="Dinas B")
    unit_b = make_unit("UPT-B", "upt", agency_b, name="UPT B")

    punctual = new_employee(unit_a, "Ani Tepat")
    on_cltn = new_employee(unit_a, "Budi Cuti")
    employee_set_legal_status(
        employee=on_cltn, status="02", valid_from=dt.date(2026, 6, 4), actor_label="test"
    )
    studying = new_employee(unit_a, "Citra Belajar")
    employee_set_legal_status(
        employee=studying, status="03", valid_from=dt.date(2026, 5, 1), actor_label="test"
    )
    newcomer = new_employee(unit_a, "Dedi Baru", tmt=dt.date(2026, 6, 5))
    steady = new_employee(unit_b, "Eka Rajin")

    ingest(
        unit=unit_a,
        employee=punctual,
        pin="101",
        serial="CQZ-A",
        times=[
            "2026-06-01 07:20:00",
            "2026-06-01 16:05:00",
            "2026-06-02 07:25:00",
            "2026-06-02 16:01:00",
            "2026-06-04 07:45:00",
            "2026-06-04 16:10:00",
        ],
    )
    ingest(
        unit=unit_a,
        employee=newcomer,
        pin="104",
        serial="CQZ-A",
        times=["2026-06-05 07:00:00", "2026-06-05 16:40:00"],
    )
    ingest(
        unit=unit_b,
        employee=steady,
        pin="201",
        serial="CQZ-B",
        times=[
            "2026-06-01 07:10:00",
            "2026-06-01 16:10:00",
            "2026-06-02 07:10:00",
            "2026-06-02 16:10:00",
            "2026-06-04 07:10:00",
            "2026-06-04 16:10:00",
            "2026-06-05 07:10:00",
            "2026-06-05 16:40:00",
        ],
    )
    recompute(start=WEEK_START, end=WEEK_END, unit=province, now=LATER)
    unit_day_counts_refresh(start=WEEK_START, end=WEEK_END)

    return Week(
        province=province,
        agency_a=agency_a,
        unit_a=unit_a,
        agency_b=agency_b,
        unit_b=unit_b,
        punctual=punctual,
        on_cltn=on_cltn,
        studying=studying,
        newcomer=newcomer,
        steady=steady,
        admin=make_user("admin", "admin_bkd"),
        operator_a=make_user("opa", "operator_unit", unit=unit_a),
        operator_b=make_user("opb", "operator_unit", unit=unit_b),
        leader_a=make_user("leada", "leader", unit=agency_a),
        employee_user=make_user("ani", "employee", employee=punctual),
    )
