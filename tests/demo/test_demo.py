"""`sao demo` on the real database: size, valid identifiers, role logins, history, idempotency."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from sao.audit.models import AuditEntry
from sao.demo.logins import DEMO_PASSWORD
from sao.demo.units import SEED_FILE, UnitsFile, UnitsFileError, units_file_resolve
from sao.org.identifiers import NIP_LAYOUT_PPPK, nik_matches_nip, parse_nik, parse_nip
from sao.org.models import (
    Employee,
    EmployeeKind,
    LegalStatus,
    LegalStatusPeriod,
    Role,
    Unit,
    UnitAssignment,
    UnitKind,
    User,
)
from sao.org.scope import scope_queryset
from tests.conftest import shared_fixture

SIZE = 300


@pytest.fixture
def fast_passwords(settings):
    # The demo sets seven passwords per run; the default PBKDF2 cost would dominate the test time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--employees", str(SIZE), "--units", str(SEED_FILE), "--no-punches", *args,
                 stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def demo(db, fast_passwords) -> str:
    return run_demo()


def test_demo_requested_size(demo):
    assert Employee.objects.count() == SIZE
    assert UnitAssignment.objects.values("employee").distinct().count() == SIZE
    assert LegalStatusPeriod.objects.values("employee").distinct().count() == SIZE
    assert Unit.objects.filter(kind=UnitKind.SCHOOL).count() == 5
    assert Unit.objects.filter(source__startswith="demo data").count() == 7


def test_demo_console_output(demo):
    assert "units-seed.csv (from --units)" in demo
    assert f"Employees: {SIZE} planned, {SIZE} created, 0 already present." in demo
    assert f"DEMO ONLY: every login above has the password {DEMO_PASSWORD}." in demo
    assert demo.count(": transferred from ") == 2
    for username in ("admin.bkd", "operator.bkd", "operator.samsat-samarinda", "verifikator.bapenda",
                     "pimpinan.bapenda", "atasan.bapenda", "pegawai.bapenda"):
        assert username in demo


def test_every_nip_valid(demo):
    employees = list(Employee.objects.exclude(kind=EmployeeKind.NON_ASN))
    assert len(employees) > SIZE // 2

    for employee in employees:
        info = parse_nip(employee.nip)
        assert info.birth_date == employee.birth_date, employee.nip
        assert info.sex == employee.sex, employee.nip
        is_pppk = employee.kind in (EmployeeKind.PPPK, EmployeeKind.PPPK_PW)
        assert (info.layout == NIP_LAYOUT_PPPK) == is_pppk, employee.nip


def test_every_nik_valid(demo):
    employees = list(Employee.objects.all())

    for employee in employees:
        info = parse_nik(employee.nik)
        assert info.province_code == "64", employee.nik
        assert info.sex == employee.sex, employee.nik
        assert (info.birth_day, info.birth_month) == (employee.birth_date.day, employee.birth_date.month)
        if employee.nip:
            assert nik_matches_nip(info, parse_nip(employee.nip)), employee.nik


def test_non_asn_identified_by_nik(demo):
    non_asn = Employee.objects.filter(kind=EmployeeKind.NON_ASN)

    assert non_asn.exists()
    assert not non_asn.filter(nip__isnull=False).exists()
    assert not non_asn.filter(nik__isnull=True).exists()


def test_all_kinds_present(demo):
    kinds = set(Employee.objects.values_list("kind", flat=True))

    assert kinds == set(EmployeeKind.values)


def test_supervisor_chain_per_unit(demo):
    employees = Employee.objects.select_related("unit__parent", "supervisor__unit")
    top_level = {UnitKind.PROVINCE}

    for employee in employees:
        supervisor = employee.supervisor
        if supervisor is None:
            # Only agency heads directly under the province and hospital directors lack one.
            unit = employee.unit
            assert unit.kind == UnitKind.RSUD or unit.parent.kind in top_level, employee.position
            assert employee.echelon in ("I.b", "II.a", "II.b"), employee.position
        elif supervisor.unit != employee.unit:
            # A unit head reports to the head of the unit above.
            assert supervisor.unit == employee.unit.parent, employee.position
            assert not employee.unit.employees.filter(subordinates=employee).exists()


def test_kasubag_umum_per_agency(demo):
    agencies = Unit.objects.filter(kind__in=[UnitKind.OPD, UnitKind.RSUD, UnitKind.OFFICE])

    for agency in agencies:
        kasubag = Employee.objects.filter(unit=agency, position="Kepala Subbagian Umum dan Kepegawaian")
        assert kasubag.count() == 1, agency.code


def test_admin_login(demo):
    admin = User.objects.get(username="admin.bkd")

    assert admin.role == Role.ADMIN_BKD
    assert admin.unit is None
    assert admin.is_staff
    assert admin.check_password(DEMO_PASSWORD)


def test_operator_sees_only_upt(demo):
    operator = User.objects.get(username="operator.samsat-samarinda")
    visible = scope_queryset(user=operator, queryset=Employee.objects.all())

    assert operator.role == Role.OPERATOR_UNIT
    assert operator.unit.code == "UPT-BAPENDA-SAMARINDA"
    assert visible.count() == Employee.objects.filter(unit__path__startswith=operator.unit.path).count()
    assert visible.exists()
    assert not visible.exclude(unit=operator.unit).exists()
    assert visible.count() < Employee.objects.count()


def test_verifier_linked_to_kasubag(demo):
    verifier = User.objects.get(username="verifikator.bapenda")

    assert verifier.role == Role.VERIFIER
    assert verifier.unit.code == "OPD-BAPENDA"
    assert verifier.employee.unit == verifier.unit
    assert verifier.employee.position == "Kepala Subbagian Umum dan Kepegawaian"


def test_verifier_and_leader_see_agency(demo):
    agency = Unit.objects.get(code="OPD-BAPENDA")
    in_agency = Employee.objects.filter(unit__path__startswith=agency.path).count()

    for username in ("verifikator.bapenda", "pimpinan.bapenda"):
        user = User.objects.get(username=username)
        visible = scope_queryset(user=user, queryset=Employee.objects.all())
        assert visible.count() == in_agency, username
    assert User.objects.get(username="pimpinan.bapenda").role == Role.LEADER


def test_supervisor_has_subordinates(demo):
    supervisor = User.objects.get(username="atasan.bapenda")
    visible = scope_queryset(user=supervisor, queryset=Employee.objects.all())

    assert supervisor.role == Role.SUPERVISOR
    assert supervisor.employee.subordinates.exists()
    assert visible.count() == supervisor.employee.subordinates.count() + 1


def test_employee_sees_only_self(demo):
    user = User.objects.get(username="pegawai.bapenda")
    visible = scope_queryset(user=user, queryset=Employee.objects.all())

    assert user.role == Role.EMPLOYEE
    assert list(visible) == [user.employee]
    assert user.employee.supervisor == User.objects.get(username="atasan.bapenda").employee


def test_demo_password_logs_in(demo, client):
    response = client.post(reverse("login"), {"username": "admin.bkd", "password": DEMO_PASSWORD})
    assert response.status_code == 302

    assert client.get("/admin/").status_code == 200


def test_legal_status_history(demo):
    cltn = Employee.objects.filter(legal_status=LegalStatus.CLTN)
    study = Employee.objects.filter(legal_status=LegalStatus.STUDY)

    assert cltn.count() == 2
    assert study.count() == 2
    for employee in [*cltn, *study]:
        periods = list(employee.legal_statuses.order_by("valid_from"))
        assert [period.status for period in periods] == [LegalStatus.ACTIVE, employee.legal_status]
        assert periods[0].valid_to == periods[1].valid_from - dt.timedelta(days=1)


def test_mid_month_transfers(demo):
    moved = [employee for employee in Employee.objects.prefetch_related("assignments")
             if len(employee.assignments.all()) == 2]

    assert len(moved) == 2
    for employee in moved:
        first, second = sorted(employee.assignments.all(), key=lambda item: item.valid_from)
        assert second.valid_from.day == 16
        assert first.valid_to == second.valid_from - dt.timedelta(days=1)
        assert first.unit != second.unit
        assert employee.unit == second.unit
        assert employee.supervisor.unit == second.unit


def test_rerun_changes_nothing(demo):
    models = (Employee, UnitAssignment, LegalStatusPeriod, Unit, User, AuditEntry)
    before = {model.__name__: model.objects.count() for model in models}
    nips = set(Employee.objects.values_list("nip", "nik", "unit_id", "supervisor_id", "legal_status"))

    output = run_demo()

    after = {model.__name__: model.objects.count() for model in models}
    assert after == before
    assert set(Employee.objects.values_list("nip", "nik", "unit_id", "supervisor_id", "legal_status")) == nips
    assert f"Employees: {SIZE} planned, 0 created, {SIZE} already present." in output
    assert "transferred" not in output


def test_other_seed_adds_people(demo):
    run_demo("--seed", "7")

    assert Employee.objects.count() > SIZE


def test_too_few_employees_rejected(db, fast_passwords):
    with pytest.raises(CommandError, match="request at least"):
        call_command("demo", "--employees", "20", "--units", str(SEED_FILE), stdout=io.StringIO())

    assert Employee.objects.count() == 0


def test_missing_units_file_rejected(db, tmp_path):
    missing = tmp_path / "absent.csv"

    with pytest.raises(CommandError, match=r"absent\.csv"):
        call_command("demo", "--units", str(missing), stdout=io.StringIO())


def test_units_file_from_environment(tmp_path, monkeypatch):
    units_file = tmp_path / "units.csv"
    units_file.write_bytes(SEED_FILE.read_bytes())
    monkeypatch.setenv("SAO_UNITS_FILE", str(units_file))

    chosen = units_file_resolve()

    assert chosen == UnitsFile(units_file, "environment")


def test_units_file_environment_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("SAO_UNITS_FILE", str(tmp_path / "absent.csv"))

    with pytest.raises(UnitsFileError, match="SAO_UNITS_FILE"):
        units_file_resolve()


def test_units_file_falls_back_to_seed(tmp_path, monkeypatch, settings):
    # A repository with no ../shared beside it.
    monkeypatch.delenv("SAO_UNITS_FILE", raising=False)
    settings.BASE_DIR = tmp_path / "repository"

    chosen = units_file_resolve()

    assert chosen == UnitsFile(SEED_FILE, "bundled seed")


def test_units_file_prefers_shared(monkeypatch):
    shared = shared_fixture("kaltim-units.csv")
    monkeypatch.delenv("SAO_UNITS_FILE", raising=False)

    chosen = units_file_resolve()

    assert chosen.origin == "shared fixtures"
    assert chosen.path.resolve() == shared.resolve()


def test_seed_has_shared_units():
    shared = shared_fixture("kaltim-units.csv")

    def tree(path):
        with path.open(encoding="utf-8") as handle:
            return {row["code"]: (row["parent_code"], row["kind"], row["name"], row["city"])
                    for row in csv.DictReader(handle)}

    assert tree(SEED_FILE) == tree(shared)


def test_demo_on_shared_units(db, fast_passwords):
    units_file = shared_fixture("kaltim-units.csv")
    out = io.StringIO()

    call_command("demo", "--employees", str(SIZE), "--units", str(units_file), "--no-punches",
                 stdout=out, stderr=io.StringIO())

    assert "Units: 70 created, 0 updated, 0 unchanged, 0 rejected." in out.getvalue()
    assert Unit.objects.count() == 70 + 7
    assert Employee.objects.count() == SIZE
