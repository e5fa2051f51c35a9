"""The discipline report offers the parameters it reads: unit and year, no date or month."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_discipline_filters_offer_year_only(client, week):
    client.force_login(week.operator_a)

    discipline = client.get("/reports/discipline/?year=2025").content.decode()
    daily = client.get("/reports/daily/").content.decode()

    assert 'name="year" value="2025"' in discipline
    assert 'name="month"' not in discipline
    assert 'name="date"' not in discipline
    assert 'name="month"' in daily
    assert 'name="year"' not in daily
