"""The yearly discipline flags, read from stored results within the user's scope."""

from __future__ import annotations

import datetime as dt

import pytest

from sao.attendance.compute import recompute
from sao.attendance.selectors import discipline_for_year
from sao.calendars.services import policy_import

from .helpers import PROFILES

pytestmark = pytest.mark.django_db


def test_flags_follow_scope(cast, client):
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 14))  # 10 working days without punches

    everyone = discipline_for_year(user=cast.admin_bkd, year=2024)
    own = discipline_for_year(user=cast.employee_a, year=2024)

    assert len(everyone) == 5
    assert {flag.sanction for _employee, flag in everyone} == {"PDH_TAPS"}
    assert all(flag.longest_run == 10 for _employee, flag in everyone)
    assert [employee.pk for employee, _flag in own] == [cast.staff_a2.pk]
    client.force_login(cast.supervisor_a)
    page = client.get("/attendance/discipline/2024/").content.decode()
    assert cast.staff_a2.name in page
    assert cast.person_b.name not in page


def test_non_asn_listed_with_contract_note(cast, client):
    from sao.org.models import Employee

    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    Employee.objects.filter(pk=cast.other_a.pk).update(kind="NON_ASN", nip=None)
    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 5))  # 3 working days without punches

    flags = {employee.pk: flag for employee, flag in discipline_for_year(user=cast.admin_bkd, year=2024)}
    client.force_login(cast.operator_a)
    page = client.get("/attendance/discipline/2024/").content.decode()
    other_row = next(row for row in page.split("<tr>") if cast.other_a.name in row)

    assert (flags[cast.staff_a1.pk].level, flags[cast.staff_a1.pk].sanction) == ("RINGAN", "TEGURAN_LISAN")
    assert (flags[cast.other_a.pk].tk_days, flags[cast.other_a.pk].level) == (3, "")
    assert flags[cast.other_a.pk].sanction == "CONTRACT_RULES"
    assert "Teguran" not in other_row
    assert "kontrak kerja pegawai" in other_row
    assert 'data-testid="non-asn-note"' in page
