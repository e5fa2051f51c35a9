"""Group travel in a real browser: the operator picks three employees with the searchable picker,
enters a week of perjalanan dinas, and after approval the five working days read DL."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect

from sao.absences.models import AbsenceRequest, AbsenceType, RequestStatus
from sao.absences.services import absence_request_decide
from sao.attendance import compute
from sao.attendance.models import DailyResult
from sao.audit.models import AuditEntry
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2026, 11, 23)
FRIDAY = dt.date(2026, 11, 27)
REFERENCE = "ST-045/BKD/XI/2026"


@pytest.fixture
def operator(cast):
    cast.operator_a.language = "en"
    cast.operator_a.save(update_fields=["language"])
    return cast


def add_employee(page, employee, search: str) -> None:
    page.fill("#employee-search", search)
    row = page.locator(f"#employee-results li[data-employee='{employee.pk}']")
    row.get_by_role("button", name="Add").click()
    expect(page.locator(f"#chosen-employees [data-employee='{employee.pk}']")).to_be_visible()
    expect(row).to_have_count(0)


def test_group_week_of_travel(page, operator):
    cast = operator
    travellers = [cast.staff_a1, cast.staff_a2, cast.other_a]
    log_in(page, "opa")
    started = time.monotonic()
    page.goto("/absences/group/")

    add_employee(page, cast.staff_a1, "Satu")
    add_employee(page, cast.staff_a2, "Staf A Dua")
    add_employee(page, cast.other_a, "Lain")

    # Employees of another unit are outside the operator's scope and never listed.
    page.fill("#employee-search", "Pegawai B")
    expect(page.locator("#employee-results")).to_contain_text('No employee in your scope matches "Pegawai B"')
    # Chosen employees are left out of later searches.
    page.fill("#employee-search", "Staf A")
    expect(page.locator("#employee-results li[data-employee]")).to_have_count(0)

    page.select_option("#id_absence_type", value=str(AbsenceType.objects.get(code="PD").pk))
    page.fill("#id_start_date", MONDAY.isoformat())
    page.fill("#id_end_date", FRIDAY.isoformat())
    page.fill("#id_reference", REFERENCE)
    page.fill("#id_destination", "Jakarta")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("body")).to_contain_text(f"3 requests were entered under {REFERENCE}")
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"entering the group took {elapsed:.1f} s"
    assert re.search(r"/absences/$", page.url)

    requests = list(AbsenceRequest.objects.filter(reference=REFERENCE).order_by("employee__name"))
    assert sorted(request.employee_id for request in requests) == sorted(item.pk for item in travellers)
    assert {request.group_id for request in requests} != {None}
    assert len({request.group_id for request in requests}) == 1
    assert [request.working_days for request in requests] == [5, 5, 5]
    assert {request.entered_by_id for request in requests} == {cast.operator_a.pk}
    audit = AuditEntry.objects.filter(action="absence.create", object_id__in=[str(r.pk) for r in requests])
    assert audit.count() == 3
    assert {entry.actor_id for entry in audit} == {cast.operator_a.pk}

    for request in requests:
        if request.status == RequestStatus.WAITING_SUPERVISOR:
            absence_request_decide(
                request=request, action="approve", actor_employee=request.employee.supervisor
            )
        absence_request_decide(request=request, action="approve", actor=cast.verifier_a)
    sunday = FRIDAY + dt.timedelta(days=2)
    compute.recompute(start=MONDAY, end=sunday, employee_ids=[traveller.pk for traveller in travellers])

    for traveller in travellers:
        statuses = dict(
            DailyResult.objects.filter(employee=traveller, date__range=(MONDAY, sunday)).values_list(
                "date", "status"
            )
        )
        for offset in range(5):
            assert statuses[MONDAY + dt.timedelta(days=offset)] == "DL", traveller.name


def test_group_chip_removed(page, operator):
    cast = operator
    log_in(page, "opa")
    page.goto("/absences/group/")
    add_employee(page, cast.staff_a1, "Satu")
    add_employee(page, cast.other_a, "Lain")

    page.get_by_role("button", name=f"Remove {cast.other_a.full_name}").click()

    chips = page.locator("#chosen-employees [data-chip]")
    expect(chips).to_have_count(1)
    expect(chips.first).to_have_attribute("data-employee", str(cast.staff_a1.pk))
