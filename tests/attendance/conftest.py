from __future__ import annotations

import pytest

from tests.conftest import shared_fixture


def read_attlog(relative: str) -> list[str]:
    """Return the "YYYY-MM-DD HH:MM:SS" times of an ATTLOG fixture under ../shared/fixtures/cases."""
    path = shared_fixture(f"cases/{relative}")
    return [line.split("\t")[1] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def shared_attlog():
    return read_attlog


@pytest.fixture
def cast(db):
    """The shared named cast, built with this package's own NIP counter (see helpers.new_employee)."""
    from tests.conftest import Cast, make_unit, make_user

    from .helpers import new_employee

    province = make_unit("PROV", "province")
    agency_a = make_unit("OPD-A", "opd", province, name="Dinas A")
    unit_a = make_unit("UPT-A", "upt", agency_a, name="UPT A")
    agency_b = make_unit("OPD-B", "opd", province, name="Dinas B")
    unit_b = make_unit("UPT-B", "upt", agency_b, name="UPT B")

    head_a = new_employee(agency_a, "Kepala A")
    staff_a1 = new_employee(unit_a, "Staf A Satu", supervisor=head_a)
    staff_a2 = new_employee(unit_a, "Staf A Dua", supervisor=staff_a1)
    other_a = new_employee(unit_a, "Lain A")
    person_b = new_employee(unit_b, "Pegawai B")

    return Cast(
        province=province,
        agency_a=agency_a,
        unit_a=unit_a,
        agency_b=agency_b,
        unit_b=unit_b,
        head_a=head_a,
        staff_a1=staff_a1,
        staff_a2=staff_a2,
        other_a=other_a,
        person_b=person_b,
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
