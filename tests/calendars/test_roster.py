"""Roster import (CSV and XLSX, long and monthly layouts), the command and the monthly screen."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from sao.attendance.models import DirtyDay
from sao.audit.models import AuditEntry
from sao.calendars.models import RosterEntry
from sao.calendars.services import policy_import, roster_import
from tests.attendance.helpers import new_employee
from tests.conftest import make_unit

PROFILES = __import__("pathlib").Path(__file__).resolve().parent.parent / "attendance" / "profiles"

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(db):
    policy_import(document=(PROFILES / "rs.yaml").read_text(), legal_basis="test", actor_label="test")
    province = make_unit("PROV", "province")
    return make_unit("RS-MELATI", "rsud", province, name="Ruang Melati", schedule_profile="shift")


def shifts(employee):
    return list(
        RosterEntry.objects.filter(employee=employee)
        .order_by("date", "shift_code")
        .values_list("date", "shift_code")
    )


def test_long_csv_with_errors_kept_apart(ward, django_capture_on_commit_callbacks):
    nurse = new_employee(ward, "Ns. Komang", nip="198501012010012001")
    data = (
        b"nip,date,shift\n"
        b"198501012010012001,2024-03-04,MALAM\n"
        b"198501012010012001,05/03/2024,SORE\n"
        b"198501012010012001,2024-03-06,pagi+malam\n"
        b"198501012010012001,2024-03-07,L\n"
        b"199999999999999999,2024-03-04,PAGI\n"
        b"198501012010012001,2024-03-08,NIGHT\n"
        b"198501012010012001,2024-02-30,PAGI\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(data=data, filename="roster.csv", actor_label="test")

    assert shifts(nurse) == [
        (dt.date(2024, 3, 4), "MALAM"),
        (dt.date(2024, 3, 5), "SORE"),
        (dt.date(2024, 3, 6), "MALAM"),
        (dt.date(2024, 3, 6), "PAGI"),
    ]
    assert (result.applied, result.days_off) == (4, 1)
    assert [(error.line, error.code) for error in result.errors] == [
        (6, "unknown_nip"),
        (7, "unknown_shift"),
        (8, "invalid_date"),
    ]
    assert "NIGHT" in result.errors[1].message
    assert (nurse.pk, dt.date(2024, 3, 5)) in set(DirtyDay.objects.values_list("employee_id", "date"))
    assert AuditEntry.objects.filter(action="roster.apply").count() == 1


def test_monthly_xlsx_replaces_days(ward):
    import openpyxl

    nurse = new_employee(ward, "Ns. Wayan", nip="198601012010012002")
    roster_import(
        data=b"nip,date,shift\n198601012010012002,2024-04-01,PAGI\n", filename="a.csv", actor_label="test"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Month", *range(1, 32)])
    sheet.append(["198601012010012002", "2024-04", "SORE", "MALAM", None, "L", *[None] * 27])
    buffer = io.BytesIO()
    book.save(buffer)

    result = roster_import(data=buffer.getvalue(), filename="april.xlsx", actor_label="test")

    assert result.errors == []
    assert shifts(nurse) == [(dt.date(2024, 4, 1), "SORE"), (dt.date(2024, 4, 2), "MALAM")]


def test_command_reports_rejected_rows(ward, tmp_path):
    new_employee(ward, "Ns. Made", nip="198701012010012003")
    path = tmp_path / "roster.csv"
    path.write_text("nip,date,shift\n198701012010012003,2024-03-04,PAGI\n198701012010012003,2024-03-05,XX\n")

    with pytest.raises(CommandError, match="1 baris ditolak"):
        call_command("import_roster", str(path))

    assert RosterEntry.objects.count() == 1


def test_roster_screen_shows_grid(ward, client):
    from tests.conftest import make_user

    nurse = new_employee(ward, "Ns. Ketut", nip="198801012010012004")
    roster_import(
        data=b"nip,date,shift\n198801012010012004,2024-03-04,MALAM\n", filename="a.csv", actor_label="t"
    )
    operator = make_user("oprs", "operator_unit", unit=ward)
    outsider_unit = make_unit("OTHER", "opd", ward.parent)
    outsider = make_user("opother", "operator_unit", unit=outsider_unit)

    client.force_login(operator)
    response = client.get(f"/calendars/roster/{ward.pk}/2024/3/")
    assert response.status_code == 200
    content = response.content.decode()
    assert nurse.name in content
    assert "<td>MALAM</td>" in content

    upload = io.BytesIO(b"nip,date,shift\n198801012010012004,2024-03-05,PAGI\n")
    upload.name = "more.csv"
    response = client.post(f"/calendars/roster/{ward.pk}/2024/3/", {"file": upload})
    assert response.status_code == 200
    assert (dt.date(2024, 3, 5), "PAGI") in shifts(nurse)

    client.force_login(outsider)
    assert client.get(f"/calendars/roster/{ward.pk}/2024/3/").status_code == 404


def test_holiday_override_through_admin(ward, client, django_capture_on_commit_callbacks):
    from sao.calendars.models import HolidayOverride
    from tests.conftest import make_user

    nurse = new_employee(ward, "Ns. Putu", nip="198901012010012005")
    admin_user = make_user("bkdadmin", "admin_bkd")
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/calendars/holidayoverride/add/",
            {
                "date": "2026-08-18",
                "name": "Cuti bersama HUT RI",
                "category": "CB",
                "legal_basis": "Keppres x/2026",
            },
        )

    assert response.status_code == 302
    assert HolidayOverride.objects.get(date=dt.date(2026, 8, 18)).category == "CB"
    assert AuditEntry.objects.filter(action="holiday.save").count() == 1
    assert (nurse.pk, dt.date(2026, 8, 18)) in set(DirtyDay.objects.values_list("employee_id", "date"))
