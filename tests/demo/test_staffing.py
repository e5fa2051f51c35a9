"""The staffing plan at full size, without the database: headcounts, identifiers, determinism."""

from __future__ import annotations

import csv
import random
from collections import Counter

import pytest

from sao.demo.staffing import StaffingError, UnitInfo, allocate_headcount, staffing_plan
from sao.demo.units import DEMO_UNITS, SEED_FILE
from sao.org.identifiers import NIP_LAYOUT_PNS, NIP_LAYOUT_PPPK, nik_matches_nip, parse_nik, parse_nip
from sao.org.models import EmployeeKind, UnitKind

FULL_SIZE = 3000


def seed_units() -> list[UnitInfo]:
    with SEED_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units = [
        UnitInfo(code=row["code"], parent_code=row["parent_code"] or None, kind=row["kind"],
                 name=row["name"], city=row["city"].rstrip("?"),
                 employee_estimate=int(row["employee_estimate"]) if row["employee_estimate"] else None)
        for row in rows
    ]
    units += [
        UnitInfo(code=code, parent_code=parent, kind=kind, name=name, city=city, employee_estimate=None)
        for code, parent, kind, name, _short, city, _profile in DEMO_UNITS
    ]
    return units


@pytest.fixture(scope="module")
def full_plan():
    return staffing_plan(seed_units(), total=FULL_SIZE, rng=random.Random(2026))


def test_allocation_sums_to_total():
    units = [unit for unit in seed_units() if unit.kind != UnitKind.PROVINCE]

    counts = allocate_headcount(units, total=FULL_SIZE, minimums={"OPD-BAPENDA": 16})

    assert sum(counts.values()) == FULL_SIZE
    assert counts["OPD-BAPENDA"] >= 16
    assert min(counts.values()) >= 2


def test_allocation_uses_estimate():
    units = [unit for unit in seed_units() if unit.kind != UnitKind.PROVINCE]

    counts = allocate_headcount(units, total=FULL_SIZE)

    # RSUD Kanujoso has an estimate of 2,000 in the unit file; RSUD AWS has none.
    assert counts["RSUD-KANUJOSO"] > counts["RSUD-AWS"]
    assert counts["UPT-BAPENDA-BERAU"] < counts["OPD-BAPENDA"]


def test_allocation_too_small():
    units = [unit for unit in seed_units() if unit.kind != UnitKind.PROVINCE]

    with pytest.raises(StaffingError, match="request at least"):
        allocate_headcount(units, total=len(units))


def test_hospitals_and_education_largest(full_plan):
    counts = Counter(spec.unit_code for spec in full_plan)
    largest = [code for code, _count in counts.most_common(10)]

    assert all(code.startswith(("RSUD-", "RSJD-", "RS-", "SCH-", "OPD-DISDIKBUD")) for code in largest)


def test_plan_size_and_unique_keys(full_plan):
    nips = [spec.identity.nip for spec in full_plan if spec.identity.nip]
    niks = [spec.identity.nik for spec in full_plan]

    assert len(full_plan) == FULL_SIZE
    assert len(set(nips)) == len(nips)
    assert len(set(niks)) == len(niks)
    assert len({spec.key for spec in full_plan}) == FULL_SIZE


def test_plan_identifiers_valid(full_plan):
    for spec in full_plan:
        identity = spec.identity
        nik = parse_nik(identity.nik)
        assert nik.province_code == "64", identity.nik
        assert nik.sex == identity.sex, identity.nik
        if spec.kind == EmployeeKind.NON_ASN:
            assert identity.nip is None
            continue

        nip = parse_nip(identity.nip)
        assert nip.birth_date == identity.birth_date, identity.nip
        assert nik_matches_nip(nik, nip), identity.nik
        pppk = spec.kind in (EmployeeKind.PPPK, EmployeeKind.PPPK_PW)
        assert nip.layout == (NIP_LAYOUT_PPPK if pppk else NIP_LAYOUT_PNS), identity.nip


def test_plan_kind_shares(full_plan):
    shares = Counter(spec.kind for spec in full_plan)

    assert 0.40 < shares[EmployeeKind.PNS] / FULL_SIZE < 0.65
    assert 0.15 < shares[EmployeeKind.PPPK] / FULL_SIZE < 0.40
    assert 0.03 < shares[EmployeeKind.PPPK_PW] / FULL_SIZE < 0.20
    assert 0.03 < shares[EmployeeKind.NON_ASN] / FULL_SIZE < 0.15
    assert 0 < shares[EmployeeKind.CPNS] / FULL_SIZE < 0.08


def test_plan_titles(full_plan):
    doctors = [spec for spec in full_plan if spec.position.startswith("Dokter A")]
    teachers = [spec for spec in full_plan if spec.position.startswith("Guru")]

    assert doctors
    assert all(spec.front_title == "dr." for spec in doctors)
    assert teachers
    assert all(spec.unit_code.startswith("SCH-") for spec in teachers)


def test_plan_supervisors_known(full_plan):
    keys = {spec.key for spec in full_plan}

    for spec in full_plan:
        assert spec.supervisor_key is None or spec.supervisor_key in keys
        assert spec.supervisor_key != spec.key


def test_plan_deterministic(full_plan):
    again = staffing_plan(seed_units(), total=FULL_SIZE, rng=random.Random(2026))

    assert [spec.key for spec in again] == [spec.key for spec in full_plan]
    assert [spec.identity.name for spec in again] == [spec.identity.name for spec in full_plan]
