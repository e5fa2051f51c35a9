"""Monthly TPP amounts: the import column, the dated service, the admin inline, all audited."""

import datetime as dt
from decimal import Decimal

import pytest

from sao.audit.models import AuditEntry
from sao.org.importing.employees import employees_apply, employees_plan, parse_rupiah
from sao.org.models import Employee, EmployeeTpp
from sao.org.services import MasterDataError, employee_tpp_set, tpp_amount_on, tpp_amounts_on
from tests.conftest import make_unit, make_user

HEADER = "nip,nama,jenis_pegawai,kode_unit,tpp_amount,tmt_tpp\n"
ANDI = "198609262015051001"
BUDI = "197502102000031002"
TODAY = dt.date(2026, 12, 10)


@pytest.fixture
def bkd(db):
    province = make_unit("PROV-KALTIM", "province")
    return make_unit("OPD-BKD", "opd", province, name="Badan Kepegawaian Daerah")


def plan_of(text: str):
    return employees_plan(data=text.encode(), filename="pegawai.csv", today=TODAY)


def test_import_creates_amounts(bkd):
    plan = plan_of(
        HEADER + f"{ANDI},Andi,PNS,OPD-BKD,Rp 5.250.000,2026-07-01\n{BUDI},Budi,PNS,OPD-BKD,4100000,\n"
    )

    employees_apply(plan=plan, actor_label="test")

    andi = Employee.objects.get(nip=ANDI)
    budi = Employee.objects.get(nip=BUDI)
    assert list(andi.tpp_amounts.values_list("amount", "valid_from")) == [
        (Decimal(5250000), dt.date(2026, 7, 1))
    ]
    # Without tmt_tpp the amount starts on the first day of the import's month.
    assert list(budi.tpp_amounts.values_list("amount", "valid_from")) == [
        (Decimal(4100000), dt.date(2026, 12, 1))
    ]
    created = AuditEntry.objects.get(action="employee.create", object_id=str(andi.pk))
    assert created.new_value["tpp_amount"] == "5250000"
    assert created.new_value["tpp_valid_from"] == "2026-07-01"


def test_reimport_with_new_amount_is_an_update(bkd):
    first = plan_of(HEADER + f"{ANDI},Andi,PNS,OPD-BKD,5000000,2026-01-01\n")
    employees_apply(plan=first, actor_label="test")

    plan = plan_of(HEADER + f"{ANDI},Andi,PNS,OPD-BKD,5.500.000,2026-12-01\n")
    result = employees_apply(plan=plan, actor_label="test")

    assert [row.action for row in plan.rows] == ["update"]
    assert plan.rows[0].changes["tpp_amount"] == (Decimal(5000000), Decimal(5500000))
    assert result.updated == 1
    andi = Employee.objects.get(nip=ANDI)
    assert tpp_amount_on(employee=andi, day=dt.date(2026, 11, 30)) == Decimal(5000000)
    assert tpp_amount_on(employee=andi, day=dt.date(2026, 12, 1)) == Decimal(5500000)
    entry = AuditEntry.objects.get(action="employee.tpp_amount")
    assert entry.old_value == {"tpp_amount": "5000000"}
    assert entry.new_value == {"tpp_amount": "5500000", "valid_from": "2026-12-01"}


def test_reimport_same_amount_is_unchanged(bkd):
    first = plan_of(HEADER + f"{ANDI},Andi,PNS,OPD-BKD,5000000,2026-01-01\n")
    employees_apply(plan=first, actor_label="test")

    plan = plan_of(HEADER + f"{ANDI},Andi,PNS,OPD-BKD,5000000,2026-12-01\n")

    assert [row.action for row in plan.rows] == ["unchanged"]


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("5250000", 5250000),
        ("5.250.000", 5250000),
        ("5,250,000", 5250000),
        ("Rp 5.250.000,00", 5250000),
        ("Rp. 750.000", 750000),
        ("0", 0),
    ],
)
def test_rupiah_spellings(cell, amount):
    assert parse_rupiah(cell, "tpp_amount") == Decimal(amount)


def test_rupiah_number_cells():
    assert parse_rupiah(5250000.0, "tpp_amount") == Decimal(5250000)
    assert parse_rupiah(None, "tpp_amount") is None


@pytest.mark.parametrize("cell", ["5.250.000,50", "lima juta", "-100", "5250000.5", "1.2.3"])
def test_bad_amount_rejected_with_fix(bkd, cell):
    plan = plan_of(HEADER + f'{ANDI},Andi,PNS,OPD-BKD,"{cell}",\n')

    assert [(error.line, error.column, error.code) for error in plan.errors] == [
        (2, "tpp_amount", "tpp_amount_invalid")
    ]
    assert cell in plan.errors[0].message
    assert "5.250.000" in plan.errors[0].message


def test_service_rejects_fraction(bkd):
    andi = Employee.objects.create(nip=ANDI, name="Andi", kind="PNS", unit=bkd)

    with pytest.raises(MasterDataError) as raised:
        employee_tpp_set(employee=andi, amount=Decimal("100.5"), valid_from=TODAY, actor_label="test")

    assert raised.value.code == "tpp_amount_invalid"
    assert EmployeeTpp.objects.count() == 0


def test_amounts_on_picks_latest_start(bkd):
    andi = Employee.objects.create(nip=ANDI, name="Andi", kind="PNS", unit=bkd)
    budi = Employee.objects.create(nip=BUDI, name="Budi", kind="PNS", unit=bkd)
    employee_tpp_set(employee=andi, amount=Decimal(1000), valid_from=dt.date(2026, 1, 1), actor_label="test")
    employee_tpp_set(employee=andi, amount=Decimal(2000), valid_from=dt.date(2026, 6, 1), actor_label="test")
    employee_tpp_set(employee=budi, amount=Decimal(3000), valid_from=dt.date(2026, 7, 1), actor_label="test")

    found = tpp_amounts_on(employee_ids=[andi.pk, budi.pk], day=dt.date(2026, 6, 1))

    assert found == {andi.pk: Decimal(2000)}


def test_admin_inline_edit_is_audited(bkd, client):
    andi = Employee.objects.create(nip=ANDI, name="Andi", kind="PNS", unit=bkd)
    employee_tpp_set(
        employee=andi, amount=Decimal(1000000), valid_from=dt.date(2026, 1, 1), actor_label="test"
    )
    row = andi.tpp_amounts.get()
    admin = make_user("admin", "admin_bkd")
    client.force_login(admin)
    page = client.get(f"/admin/org/employee/{andi.pk}/change/")
    form = page.context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        {
            "unit": bkd.pk,
            "tpp_amounts-TOTAL_FORMS": "2",
            "tpp_amounts-INITIAL_FORMS": "1",
            "tpp_amounts-0-id": row.pk,
            "tpp_amounts-0-employee": andi.pk,
            "tpp_amounts-0-valid_from": "2026-01-01",
            "tpp_amounts-0-amount": "1200000",
            "tpp_amounts-1-employee": andi.pk,
            "tpp_amounts-1-valid_from": "2026-09-01",
            "tpp_amounts-1-amount": "1500000",
        }
    )
    for prefix in ("assignments", "legal_statuses"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = client.post(f"/admin/org/employee/{andi.pk}/change/", data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(andi.tpp_amounts.order_by("valid_from").values_list("amount", flat=True)) == [
        Decimal(1200000),
        Decimal(1500000),
    ]
    entries = AuditEntry.objects.filter(action="employee.tpp_amount", actor=admin).order_by("id")
    assert [entry.new_value["tpp_amount"] for entry in entries] == ["1200000", "1500000"]
    assert entries[0].reason == "Diubah di halaman administrasi"
