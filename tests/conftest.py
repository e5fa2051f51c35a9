"""Shared fixtures: the shared fixture folder and a small named cast of users.

The cast (see `cast`): operator_a runs unit A (a UPT under agency A), operator_b runs
unit B in another agency, verifier_a and leader_a see all of agency A, supervisor_a
sees themselves and their subordinates, employee_a sees only themselves, and the BKD
admin and operator see the whole province.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at production strength costs about 0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
FIXTURES = SHARED / "fixtures"


def shared_fixture(relative: str) -> Path:
    """Return a file under ../shared/fixtures, skipping the test when that folder is absent."""
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(
            f"../shared/fixtures/{relative} is absent; clone the shared folder beside "
            "the repository to run this test"
        )
    return path


@dataclass
class Cast:
    province: object
    agency_a: object
    unit_a: object
    agency_b: object
    unit_b: object
    head_a: object  # supervises staff_a1, who supervises staff_a2
    staff_a1: object
    staff_a2: object
    other_a: object  # in unit A but outside the supervisor chain
    person_b: object
    admin_bkd: object
    operator_bkd: object
    operator_a: object
    operator_b: object
    verifier_a: object
    leader_a: object
    supervisor_a: object
    employee_a: object
    outsider: object  # a role that needs a unit but has none: sees nothing


def make_unit(code, kind, parent=None, **extra):
    from sao.org.models import Unit

    unit = Unit(code=code, kind=kind, parent=parent, name=extra.pop("name", code), **extra)
    unit.compute_path()
    unit.save()
    return unit


# Each test's database is rolled back, so serials may repeat across tests.
NIP_SERIAL = itertools.cycle(range(1, 999))


def make_employee(unit, name, *, supervisor=None, nip=None, kind="PNS"):
    from sao.org.services import employee_create

    serial = next(NIP_SERIAL)
    values = {
        "nip": nip or f"19800101200501{1 + serial % 2}{serial:03d}",
        "name": name,
        "kind": kind,
        "supervisor_id": supervisor.pk if supervisor else None,
    }
    return employee_create(values=values, unit=unit, valid_from=dt.date(2020, 1, 1),
                           actor_label="test")


def make_user(username, role, *, unit=None, employee=None):
    from sao.org.models import User

    return User.objects.create_user(username=username, password="secret-pass-123", role=role,
                                    unit=unit, employee=employee)


@pytest.fixture
def cast(db) -> Cast:
    province = make_unit("PROV", "province")
    agency_a = make_unit("OPD-A", "opd", province, name="Dinas A")
    unit_a = make_unit("UPT-A", "upt", agency_a, name="UPT A")
    agency_b = make_unit("OPD-B", "opd", province, name="Dinas B")
    unit_b = make_unit("UPT-B", "upt", agency_b, name="UPT B")

    head_a = make_employee(agency_a, "Kepala A")
    staff_a1 = make_employee(unit_a, "Staf A Satu", supervisor=head_a)
    staff_a2 = make_employee(unit_a, "Staf A Dua", supervisor=staff_a1)
    other_a = make_employee(unit_a, "Lain A")
    person_b = make_employee(unit_b, "Pegawai B")

    return Cast(
        province=province, agency_a=agency_a, unit_a=unit_a, agency_b=agency_b, unit_b=unit_b,
        head_a=head_a, staff_a1=staff_a1, staff_a2=staff_a2, other_a=other_a, person_b=person_b,
        admin_bkd=make_user("admin", "admin_bkd"),
        operator_bkd=make_user("opbkd", "operator_bkd"),
        operator_a=make_user("opa", "operator_unit", unit=unit_a),
        operator_b=make_user("opb", "operator_unit", unit=unit_b),
        verifier_a=make_user("vera", "verifier", unit=agency_a),
        leader_a=make_user("leada", "leader", unit=agency_a),
        supervisor_a=make_user("supa", "supervisor", employee=head_a),
        employee_a=make_user("empa", "employee", employee=staff_a2),
        outsider=make_user("nobody", "employee"),
    )
