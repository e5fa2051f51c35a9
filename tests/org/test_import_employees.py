import datetime as dt
import io

import openpyxl
import pytest

from sao.audit.models import AuditEntry
from sao.org.importing.common import ImportFileError
from sao.org.importing.employees import employees_apply, employees_plan
from sao.org.models import Employee, Unit
from sao.org.services import employee_transfer
from tests.conftest import make_unit

HEADER = ("nip,nik,gelar_depan,nama,gelar_belakang,jenis_pegawai,jenis_kelamin,tanggal_lahir,"
          "golongan,eselon,jabatan,kode_unit,nip_atasan,kedudukan_hukum\n")
HEAD_NIP = "197502102000031002"
STAFF_NIP = "198609262015051001"
PPPK_NIP = "200012312024212001"


@pytest.fixture
def units(db):
    province = make_unit("PROV-KALTIM", "province")
    bkd = make_unit("OPD-BKD", "opd", province, name="Badan Kepegawaian Daerah")
    dinkes = make_unit("OPD-DINKES", "opd", province, name="Dinas Kesehatan")
    return {"bkd": bkd, "dinkes": dinkes}


def plan_of(text: str, today=dt.date(2026, 12, 1)):
    return employees_plan(data=text.encode(), filename="pegawai.csv", today=today)


GOOD = (
    f"{HEAD_NIP},,Dr.,Budi Santoso,M.Si.,PNS,L,10-02-1975,IV/b,III.a,Kepala Bidang,OPD-BKD,,Aktif\n"
    f"{STAFF_NIP},6472052609860001,,Andi Wijaya,S.E.,PNS,L,1986-09-26,III/c,,Analis,OPD-BKD,"
    f"{HEAD_NIP},\n"
    f"{PPPK_NIP},,,Siti Rahmawati,S.Kep.,PPPK,P,,IX,,Perawat,OPD-DINKES,{HEAD_NIP},\n"
    ",6472055501950003,,Rina Lestari,,Non ASN,P,,,,Pramubakti,OPD-BKD,,\n"
)
BAD = (
    "1.97E+17,,,Excel Rusak,,PNS,L,,,,,OPD-BKD,,\n"
    "198001012005011003,,,Unit Salah,,PNS,L,,,,,OPD-TIDAK-ADA,,\n"
    "198101012005011004,,,Tanggal Salah,,PNS,L,31-02-1981,,,,OPD-BKD,,\n"
    "198201012005011005,,,Atasan Hilang,,PNS,L,,,,,OPD-BKD,199001012015011999,\n"
    f"{PPPK_NIP[:-1]}9,,,Jenis Salah,,PNS,L,,,,,OPD-BKD,,\n"
)


def test_plan_accepts_good_rows_and_writes_nothing(units):
    plan = plan_of(HEADER + GOOD)

    assert plan.errors == []
    assert [row.action for row in plan.rows] == ["create"] * 4
    assert Employee.objects.count() == 0


def test_bad_rows_named_by_line_and_column(units):
    plan = plan_of(HEADER + GOOD + BAD)

    assert [(error.line, error.column, error.code) for error in plan.errors] == [
        (6, "nip", "excel_number"),
        (7, "kode_unit", "unit_unknown"),
        (8, "tanggal_lahir", "date_invalid"),
        (9, "nip_atasan", "supervisor_unknown"),
        (10, "nip", "nip_kind_mismatch"),
    ]
    assert len(plan.rows) == 4


def test_error_messages_name_value_and_fix(units):
    errors = {error.code: error for error in plan_of(HEADER + BAD).errors}

    assert "1.97E+17" in errors["excel_number"].message
    assert "Text" in errors["excel_number"].message
    assert "OPD-TIDAK-ADA" in errors["unit_unknown"].message
    assert "31-02-1981" in errors["date_invalid"].message
    assert "YYYY-MM-DD" in errors["date_invalid"].message


def test_apply_creates_with_supervisors(units):
    result = employees_apply(plan=plan_of(HEADER + GOOD + BAD), actor_label="test")

    assert (result.created, result.updated, len(result.errors)) == (4, 0, 5)
    staff = Employee.objects.get(nip=STAFF_NIP)
    pppk = Employee.objects.get(nip=PPPK_NIP)
    non_asn = Employee.objects.get(nik="6472055501950003")
    assert staff.supervisor.nip == HEAD_NIP
    assert staff.full_name == "Andi Wijaya, S.E."
    assert staff.grade_code == "III/c"
    assert pppk.kind == "PPPK"
    assert pppk.grade_scheme == "PPPK"
    assert pppk.sex == "F"
    assert pppk.birth_date == dt.date(2000, 12, 31)
    assert pppk.unit.code == "OPD-DINKES"
    assert non_asn.nip is None
    assert non_asn.kind == "NON_ASN"
    assert Employee.objects.get(nip=HEAD_NIP).echelon == "III.a"


def test_reimport_upserts_by_nip(units):
    employees_apply(plan=plan_of(HEADER + GOOD))
    changed = GOOD.replace("Analis,OPD-BKD", "Analis Kepegawaian,OPD-BKD")

    plan = plan_of(HEADER + changed)
    result = employees_apply(plan=plan)

    assert [row.action for row in plan.rows] == ["unchanged", "update", "unchanged", "unchanged"]
    assert plan.rows[1].changes == {"position": ("Analis", "Analis Kepegawaian")}
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert Employee.objects.count() == 4
    entry = AuditEntry.objects.filter(action="employee.update").latest("id")
    assert entry.new_value == {"position": "Analis Kepegawaian"}


def test_reimport_with_new_unit_is_a_transfer(units):
    employees_apply(plan=plan_of(HEADER + GOOD, today=dt.date(2026, 1, 2)))
    moved = f"{STAFF_NIP},,,Andi Wijaya,S.E.,PNS,L,,III/c,,Analis,OPD-DINKES,{HEAD_NIP},2026-11-16\n"

    plan = plan_of(HEADER.replace("kedudukan_hukum", "tmt_unit") + moved)
    employees_apply(plan=plan)

    assert plan.rows[0].changes["unit_id"] == (units["bkd"].pk, units["dinkes"].pk)
    staff = Employee.objects.get(nip=STAFF_NIP)
    history = [(a.unit.code, a.valid_from, a.valid_to)
               for a in staff.assignments.order_by("valid_from")]
    assert history == [
        ("OPD-BKD", dt.date(2026, 1, 2), dt.date(2026, 11, 15)),
        ("OPD-DINKES", dt.date(2026, 11, 16), None),
    ]
    assert staff.unit.code == "OPD-DINKES"


def test_supervisor_later_in_file(units):
    rows = (
        f"{STAFF_NIP},,,Andi,,PNS,L,,,,,OPD-BKD,{HEAD_NIP},\n"
        f"{HEAD_NIP},,,Budi,,PNS,L,,,,,OPD-BKD,,\n"
    )

    employees_apply(plan=plan_of(HEADER + rows))

    assert Employee.objects.get(nip=STAFF_NIP).supervisor.nip == HEAD_NIP


def test_duplicate_nip_in_file(units):
    rows = f"{STAFF_NIP},,,Andi,,PNS,L,,,,,OPD-BKD,,\n{STAFF_NIP},,,Andi Lagi,,PNS,L,,,,,OPD-BKD,,\n"

    plan = plan_of(HEADER + rows)

    assert [(error.line, error.code) for error in plan.errors] == [(3, "duplicate_row")]


def test_birth_date_must_match_nip(units):
    plan = plan_of(HEADER + f"{STAFF_NIP},,,Andi,,PNS,L,1986-09-27,,,,OPD-BKD,,\n")

    assert [(error.column, error.code) for error in plan.errors] == [
        ("tanggal_lahir", "birth_date_mismatch")
    ]


def test_non_asn_needs_nik(units):
    plan = plan_of(HEADER + ",,,Tanpa NIK,,Non ASN,L,,,,,OPD-BKD,,\n")

    assert [(error.column, error.code) for error in plan.errors] == [("nik", "nik_missing")]


def test_xlsx_number_cell_nip_rejected(units):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP BARU", "NAMA", "KODE UNOR", "TGL LAHIR"])
    sheet.append([1.98609262015051e17, "Andi", "OPD-BKD", None])
    sheet.append([PPPK_NIP, "Siti", "OPD-DINKES", dt.datetime(2000, 12, 31)])
    sheet.append([HEAD_NIP, "Budi", "OPD-BKD", "1975-02-10"])
    buffer = io.BytesIO()
    book.save(buffer)

    plan = employees_plan(data=buffer.getvalue(), filename="siasn.xlsx")

    assert [(error.line, error.column, error.code) for error in plan.errors] == [
        (2, "nip", "excel_number")
    ]
    assert [row.key for row in plan.rows] == [PPPK_NIP, HEAD_NIP]
    assert plan.rows[0].values["kind"] == "PPPK"


def test_semicolon_csv_from_excel(units):
    text = "NIP;Nama;Kode Unit\n" + f"{STAFF_NIP};Andi;OPD-BKD\n"

    plan = employees_plan(data=text.encode("cp1252"), filename="export.csv")

    assert plan.errors == []
    assert plan.rows[0].values["name"] == "Andi"


def test_missing_required_column(units):
    with pytest.raises(ImportFileError) as caught:
        plan_of("nip,nama\n" + f"{STAFF_NIP},Andi\n")

    assert caught.value.code == "missing_columns"
    assert "kode_unit" in str(caught.value)


def test_mid_month_transfer_splits_history(units):
    employees_apply(plan=plan_of(HEADER + GOOD, today=dt.date(2026, 1, 2)))
    staff = Employee.objects.get(nip=STAFF_NIP)

    employee_transfer(employee=staff, unit=units["dinkes"], valid_from=dt.date(2026, 11, 16),
                      decree="821/123/BKD", actor_label="test")

    assignments = list(staff.assignments.order_by("valid_from"))
    assert assignments[-2].unit == units["bkd"]
    assert assignments[-2].valid_to == dt.date(2026, 11, 15)
    assert assignments[-1].unit == units["dinkes"]
    assert assignments[-1].valid_from == dt.date(2026, 11, 16)
    assert Unit.objects.get(pk=Employee.objects.get(pk=staff.pk).unit_id) == units["dinkes"]


def test_empty_cell_keeps_stored_value(units):
    employees_apply(plan=plan_of(HEADER + GOOD))
    blank_nik = GOOD.replace(f"{STAFF_NIP},6472052609860001,", f"{STAFF_NIP},,")

    plan = plan_of(HEADER + blank_nik)
    employees_apply(plan=plan)

    assert plan.rows[1].action == "unchanged"
    assert Employee.objects.get(nip=STAFF_NIP).nik == "6472052609860001"


def test_absent_columns_keep_stored_values(units):
    employees_apply(plan=plan_of(HEADER + GOOD))

    plan = plan_of(f"nip,nama,kode_unit\n{STAFF_NIP},Andi Wijaya,OPD-BKD\n")
    employees_apply(plan=plan)

    staff = Employee.objects.get(nip=STAFF_NIP)
    assert plan.rows[0].action == "unchanged"
    assert staff.nik == "6472052609860001"
    assert staff.back_title == "S.E."
    assert staff.position == "Analis"
    assert staff.supervisor.nip == HEAD_NIP


def test_every_problem_of_a_row_reported(units):
    row = f"{STAFF_NIP},,,Andi,,PNS,L,31-02-1986,,,,OPD-NOPE,,\n"
    header = HEADER.rstrip("\n") + ",telepon,email\n"

    plan = plan_of(header + row.rstrip("\n") + ",123,x\n")

    assert [(error.column, error.code) for error in plan.errors] == [
        ("kode_unit", "unit_unknown"),
        ("tanggal_lahir", "date_invalid"),
        ("email", "email_invalid"),
        ("telepon", "phone_invalid"),
    ]


def test_sex_must_match_nip(units):
    plan = plan_of(HEADER + f"{STAFF_NIP},,,Andi,,PNS,P,,,,,OPD-BKD,,\n")

    assert [(error.column, error.code) for error in plan.errors] == [
        ("jenis_kelamin", "sex_mismatch")
    ]


def test_binary_file_is_a_file_error(units):
    with pytest.raises(ImportFileError) as caught:
        employees_plan(data=b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40,
                       filename="pegawai.csv")

    assert caught.value.code == "file_unreadable"


def test_repeated_column_is_a_file_error(units):
    with pytest.raises(ImportFileError) as caught:
        plan_of(f"NIP,nip,nama,kode_unit\n{STAFF_NIP},{HEAD_NIP},Andi,OPD-BKD\n")

    assert caught.value.code == "duplicate_columns"


def test_bulk_apply_of_many_rows(units):
    rows = "".join(
        f"19860926201505{1 + index % 2}{index:03d},,,Pegawai {index},,PNS,,,,,,OPD-BKD,{HEAD_NIP},\n"
        for index in range(1, 400)
    )
    head = f"{HEAD_NIP},,,Budi,,PNS,L,,,,,OPD-BKD,,\n"

    result = employees_apply(plan=plan_of(HEADER + rows + head))

    assert result.created == 400
    assert Employee.objects.filter(supervisor__nip=HEAD_NIP).count() == 399
    assert AuditEntry.objects.filter(action="employee.create").count() == 400
    assert Employee.objects.get(nip="198609262015052001").assignments.get().unit == units["bkd"]
