"""The dashboard: today's counts by OPD, rankings with targets, trends and the chart CSVs."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from sao.attendance.compute import recompute
from sao.calendars.models import HolidayOverride
from sao.devices.models import Device
from sao.reports import dashboard
from tests.conftest import make_unit

from .conftest import WEEK_START, ingest, new_employee

NEXT_MONDAY = dt.date(2026, 6, 8)

pytestmark = pytest.mark.django_db


def test_seeded_targets():
    assert [percent for _label, percent in dashboard.targets()] == [97, 99]


def test_dashboard_rankings_and_today(client, week, django_assert_max_num_queries):
    client.force_login(week.admin)

    # 25: the panels' grouped queries, plus 9 for today's scheduled employees without a result:
    # policy, holiday overrides, employees by unit (a savepoint, SET LOCAL jit = off and its
    # release around it on PostgreSQL), schedule overrides, their units, open days.
    with django_assert_max_num_queries(25):
        response = client.get("/reports/dashboard/", {"month": "2026-06", "rate": "physical"})

    assert response.status_code == 200
    data = response.context["data"]
    assert [(row.unit.code, row.rank) for row in data.agencies] == [("OPD-B", 1), ("OPD-A", 2)]
    # Only units below the highest target (99%) are listed; OPD-B and UPT-B are at 100%.
    assert [(row.unit.code, str(row.gap)) for row in data.furthest] == [
        ("OPD-A", "-41.86"),
        ("UPT-A", "-41.86"),
    ]
    chart = response.context["chart_data"]
    assert chart["agencies"] == {"labels": ["OPD-B", "OPD-A"], "values": [100.0, 57.14]}
    assert chart["targets"] == [
        {"label": "Target 97%", "value": 97.0},
        {"label": "Target 99%", "value": 99.0},
    ]
    assert chart["months"]["labels"][-1] == "2026-06"
    assert chart["months"]["values"][-1] == 72.73  # 8 / 11 for the province
    text = response.content.decode()
    assert 'hx-trigger="every 60s"' in text
    assert "chart.umd.min.js" in text


def test_dashboard_devices_offline(client, week):
    Device.objects.filter(serial="CQZ-A").update(last_contact_at=timezone.now() - dt.timedelta(days=1))
    Device.objects.filter(serial="CQZ-B").update(last_contact_at=timezone.now())
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/", {"month": "2026-06"})

    count, devices = response.context["data"].devices_offline
    assert count == 1
    assert [device.serial for device in devices] == ["CQZ-A"]


def test_operator_dashboard_sees_own_unit_only(client, week):
    client.force_login(week.operator_b)

    response = client.get("/reports/dashboard/", {"month": "2026-06"})

    data = response.context["data"]
    assert data.agencies == []
    assert [row.unit.code for row in data.upts] == ["UPT-B"]


def test_today_panel_counts(week):
    rows = dashboard.today_rows(user=week.admin, day=dt.date(2026, 6, 4))

    by_code = {unit.code: (counts, waiting) for unit, counts, _rates, waiting in rows}
    # Dedi's TMT is 06-05 and Budi is on CLTN from 06-04, so only Ani is scheduled in OPD-A.
    assert by_code["OPD-A"][0].scheduled == 1
    assert by_code["OPD-A"][0].present == 1
    assert by_code["OPD-A"][1] == 0
    assert by_code["OPD-B"][0].present == 1


def test_today_counts_employees_without_result(week):
    # Monday 06-08 has no computed result: Ani and Dedi (OPD-A) and Eka (OPD-B) are scheduled.
    rows = dashboard.today_rows(user=week.admin, day=NEXT_MONDAY)

    by_code = {unit.code: (counts, waiting) for unit, counts, _rates, waiting in rows}
    assert by_code["OPD-A"][0].scheduled == 2
    assert by_code["OPD-A"][0].present == 0
    assert by_code["OPD-A"][1] == 2
    assert by_code["OPD-B"][0].scheduled == 1
    assert by_code["OPD-B"][1] == 1


def test_today_mixes_results_and_waiting(week):
    ingest(unit=week.unit_a, employee=week.punctual, pin="101", serial="CQZ-A", times=["2026-06-08 07:20:00"])
    recompute(
        start=NEXT_MONDAY,
        end=NEXT_MONDAY,
        employee_ids=[week.punctual.pk],
        now=dt.datetime(2026, 6, 8, 1, 0, tzinfo=dt.UTC),  # 09:00 WITA, the day is still open
    )

    rows = dashboard.today_rows(user=week.admin, day=NEXT_MONDAY)

    by_code = {unit.code: (counts, rates, waiting) for unit, counts, rates, waiting in rows}
    counts, rates, waiting = by_code["OPD-A"]
    # Ani punched in (an open day with a check-in counts as present); Dedi has no result yet.
    assert counts.scheduled == 2
    assert counts.present == 1
    assert waiting == 1
    assert str(rates.physical) == "50.00"


def test_today_counts_rostered_shifts(week):
    from sao.calendars.models import EmployeeSchedule, RosterEntry

    ward = make_unit("RS-B", "upt", week.agency_b, name="Bangsal B", schedule_profile="shift")
    nurse = new_employee(ward, "Ns. Pagi")
    new_employee(ward, "Ns. Libur")  # no shift on Monday: not scheduled
    RosterEntry.objects.create(employee=nurse, date=NEXT_MONDAY, shift_code="PAGI")
    # Ani moves to the roster profile from Monday and has no shift that day.
    EmployeeSchedule.objects.create(employee=week.punctual, profile_code="RS", valid_from=NEXT_MONDAY)

    rows = dashboard.today_rows(user=week.admin, day=NEXT_MONDAY)

    by_code = {unit.code: (counts.scheduled, waiting) for unit, counts, _rates, waiting in rows}
    assert by_code["OPD-B"] == (2, 2)  # Eka and the rostered nurse
    assert by_code["OPD-A"] == (1, 1)  # Dedi only


def test_today_skips_holiday(week):
    HolidayOverride.objects.create(date=NEXT_MONDAY, name="Libur uji dua", legal_basis="test")

    rows = dashboard.today_rows(user=week.admin, day=NEXT_MONDAY)

    assert [(unit.code, counts.scheduled, waiting) for unit, counts, _rates, waiting in rows] == [
        ("OPD-A", 0, 0),
        ("OPD-B", 0, 0),
    ]


def test_today_operator_scope(week):
    rows = dashboard.today_rows(user=week.operator_b, day=NEXT_MONDAY)

    assert [(unit.code, counts.scheduled, waiting) for unit, counts, _rates, waiting in rows] == [
        ("UPT-B", 1, 1)
    ]


def test_today_partial_shows_waiting(client, week, monkeypatch):
    monkeypatch.setattr("sao.reports.views._today", lambda: NEXT_MONDAY)
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/today/")

    text = response.content.decode()
    row = text[text.index('data-unit="OPD-A"') :]
    assert 'data-testid="today-scheduled">2<' in row[:600]
    assert 'data-testid="today-waiting">2<' in row[:600]


def test_ranking_csv_matches_table(client, week):
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/agencies.csv", {"month": "2026-06", "rate": "compliance"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["rank", "unit_code", "unit_name", "scheduled", "compliance_percent", "gap_to_target"]
    assert rows[1][:5] == ["1", "OPD-B", "Dinas B", "4", "100.00"]
    assert rows[2][:5] == ["2", "OPD-A", "Dinas A", "7", "75.00"]


def test_trend_csv_by_year(client, week):
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/years.csv", {"month": "2026-06"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[-1] == ["2026", "11", "72.73"]
    assert rows[1] == ["2022", "0", ""]


def test_unknown_chart_is_404(client, week):
    client.force_login(week.admin)

    assert client.get("/reports/dashboard/nothing.csv").status_code == 404


def test_today_partial_renders(client, week):
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/today/")

    assert response.status_code == 200
    assert 'id="today-panel"' in response.content.decode()


def test_week_start_is_monday():
    assert WEEK_START.weekday() == 0


def test_dashboard_counts_open_faults_and_late_absences(client, week):
    from sao.faults.models import FaultTicket

    client.force_login(week.admin)

    data = client.get("/reports/dashboard/?month=2026-06").context["data"]

    assert data.open_faults[0] == FaultTicket.objects.filter(status__in=("reported", "ack", "repair")).count()
    assert data.absences_late is not None


def test_today_csv_has_waiting_column(client, week, monkeypatch):
    monkeypatch.setattr("sao.reports.views._today", lambda: NEXT_MONDAY)
    client.force_login(week.admin)

    response = client.get("/reports/dashboard/today.csv")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "unit_code",
        "unit_name",
        "scheduled",
        "present",
        "not_yet_present",
        "on_duty",
        "tk",
        "physical_percent",
    ]
    assert rows[1][:5] == ["OPD-A", "Dinas A", "2", "0", "2"]
    assert rows[2][:5] == ["OPD-B", "Dinas B", "1", "0", "1"]
