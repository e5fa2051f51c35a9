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
