"""Helpers for attendance tests: the KANTOR and RS test profiles and schedule builders."""

from __future__ import annotations

import datetime as dt
import itertools
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sao.attendance.engine import HolidayInput, PunchInput, compute_days
from sao.calendars.policy import Policy, parse_policy

PROFILES = Path(__file__).resolve().parent / "profiles"
WITA = ZoneInfo("Asia/Makassar")
# Evaluation time long after every test date, so no result is BELUM_FINAL unless a test sets `now`.
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@cache
def profile_policy(name: str) -> Policy:
    """Return the parsed test profile tests/attendance/profiles/NAME.yaml."""
    return parse_policy((PROFILES / f"{name}.yaml").read_text(encoding="utf-8"))


def wita(text: str) -> dt.datetime:
    """Return the aware instant of a WITA wall time written "YYYY-MM-DD HH:MM:SS"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=WITA)


def punches(*texts: str, suspect: bool = False) -> list[PunchInput]:
    return [PunchInput(instant=wita(text), suspect=suspect) for text in texts]


def kantor_days(start: dt.date, end: dt.date):
    policy = profile_policy("kantor")
    profile = policy.profiles["KANTOR"]
    days = []
    day = start
    while day <= end:
        days.append(policy.office_day(profile, day, "Asia/Makassar"))
        day += dt.timedelta(days=1)
    return days


def rs_shifts(*entries: tuple[str, str]):
    """Return shift schedules from (date, shift code) pairs under the RS profile."""
    policy = profile_policy("rs")
    profile = policy.profiles["RS"]
    return [
        policy.shift_day(profile, code, dt.date.fromisoformat(day), "Asia/Makassar") for day, code in entries
    ]


def compute_kantor(start: str, end: str, punch_texts=(), *, holidays=(), absences=(), now=LATER, **kwargs):
    """Compute KANTOR days start..end and return the results by ISO date."""
    days = kantor_days(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    holiday_inputs = [HolidayInput(date=dt.date.fromisoformat(day), name="Libur") for day in holidays]
    results = compute_days(
        days, punches=punches(*punch_texts), holidays=holiday_inputs, absences=absences, now=now, **kwargs
    )
    return {result.work_date.isoformat(): result for result in results}


def local_hhmm(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(WITA).strftime("%H:%M")


_SERIALS = itertools.count(1)


def new_employee(unit, name: str, *, nip: str | None = None, supervisor=None):
    """Create an employee through the org service with a NIP from this module's own counter.

    The shared make_employee draws from a session-wide pool of 998 NIPs. The attendance tests
    create many employees, so they use their own numbers, unique within a test's transaction.
    """
    from sao.org.services import employee_create

    serial = next(_SERIALS) % 1000
    values = {
        "nip": nip or f"19900101201501{1 + serial % 2}{serial:03d}",
        "name": name,
        "kind": "PNS",
        "supervisor_id": supervisor.pk if supervisor else None,
    }
    return employee_create(values=values, unit=unit, valid_from=dt.date(2020, 1, 1), actor_label="test")
