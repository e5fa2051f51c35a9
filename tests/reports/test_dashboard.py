"""The dashboard: today's counts by OPD, rankings with targets, trends and the chart CSVs."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from sao.devices.models import Device
from sao.reports import dashboard

from .conftest import WEEK_START

pytestmark = pytest.mark.django_db


def test_seeded_targets():
    assert [percent for _label, percent in dashboard.targets()] == [97, 99]


def test_dashboard_rankings_and_today(client, week, django_assert_max_num_queries):
    client.force_login(week.admin)

    with django_assert_max_num_queries(16):
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

    by_code = {unit.code: counts for unit, counts, _rates in rows}
    assert by_code["OPD-A"].scheduled == 1
    assert by_code["OPD-A"].present == 1
    assert by_code["OPD-B"].present == 1


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
