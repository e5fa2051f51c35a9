"""The result explanation screen, the employee month and the policy screen, through the test client."""

from __future__ import annotations

import datetime as dt

import pytest

from sao.attendance.compute import recompute
from sao.attendance.models import DailyResult
from sao.calendars.models import PolicyVersion
from sao.calendars.services import policy_import

from .helpers import PROFILES
from .test_compute import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(cast):
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    ingest(
        unit=cast.unit_a,
        employee=cast.staff_a2,
        pin="1001",
        lines=["1001\t2024-03-20 07:25:10\t0\t1\t0\t0", "1001\t2024-03-20 12:00:30\t1\t1\t0\t0"],
    )
    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    return DailyResult.objects.get(employee=cast.staff_a2, date=dt.date(2024, 3, 20))


def test_result_explains_itself(cast, computed, client):
    client.force_login(cast.employee_a)  # staff_a2 reads their own result

    response = client.get(f"/attendance/results/{computed.pk}/")
    content = response.content.decode()

    assert response.status_code == 200
    assert "07:25:10" in content
    assert "12:00:30" in content
    assert computed.rule_version in content
    assert "PSW4" in content
    assert content.count("<li>") >= 5


def test_result_outside_scope_is_404(cast, computed, client):
    client.force_login(cast.operator_b)
    assert client.get(f"/attendance/results/{computed.pk}/").status_code == 404


def test_employee_month_lists_every_day(cast, computed, client):
    client.force_login(cast.operator_a)
    response = client.get(f"/attendance/employees/{cast.staff_a2.pk}/2024/3/")
    assert response.status_code == 200
    assert response.content.decode().count("/attendance/results/") == 31


def test_policy_screen_stores_version_for_admin_only(cast, client):
    document = (PROFILES / "kantor.yaml").read_text()

    client.force_login(cast.operator_bkd)
    assert client.post("/calendars/policy/", {"document": document, "legal_basis": "x"}).status_code == 403
    client.force_login(cast.admin_bkd)
    invalid = client.post("/calendars/policy/", {"document": "format: 1\nprofiles: {}\n", "legal_basis": "x"})
    valid = client.post("/calendars/policy/", {"document": document, "legal_basis": "SE 1/2026"})

    assert invalid.status_code == 200
    assert "unit_profiles" in invalid.content.decode()
    assert valid.status_code == 302
    assert PolicyVersion.objects.order_by("-number").first().legal_basis == "SE 1/2026"
