"""The recompute tasks: a burst of uploads queues one drain, and a locked drain tries again."""

from __future__ import annotations

import datetime as dt

import pytest
from huey.contrib.djhuey import HUEY, lock_task

from sao.attendance.dirty import mark_days_dirty
from sao.attendance.models import DailyResult, DirtyDay
from sao.attendance.tasks import PENDING_KEY, recompute_dirty_task, recompute_soon
from sao.calendars.services import policy_import
from tests.conftest import make_unit

from .helpers import PROFILES, new_employee

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 3, 18)


@pytest.fixture
def huey_immediate():
    """Run queued tasks at once, on Huey's in-memory storage."""
    before = HUEY.immediate
    HUEY.immediate = True
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = before


@pytest.fixture
def employee(db):
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    office = make_unit("OPD-X", "opd", make_unit("PROV", "province"), name="Dinas X")
    return new_employee(office, "Task")


def test_queued_drain_absorbs_a_burst(huey_immediate, employee):
    mark_days_dirty(days=[(employee.pk, DAY)])
    huey_immediate.put(PENDING_KEY, "1")  # a drain is queued and has not started yet

    recompute_soon()
    recompute_soon()

    assert DirtyDay.objects.count() == 1
    assert not DailyResult.objects.exists()

    huey_immediate.delete(PENDING_KEY)  # the queued drain starts
    recompute_soon()

    assert not DirtyDay.objects.exists()
    assert DailyResult.objects.get(employee=employee).status == "TK"
    assert huey_immediate.get(PENDING_KEY, peek=True) is None


def test_locked_drain_queues_itself_again(huey_immediate, employee):
    mark_days_dirty(days=[(employee.pk, DAY)])

    with lock_task("attendance-recompute-dirty"):
        recompute_dirty_task.call_local()

    assert DirtyDay.objects.count() == 1
    assert huey_immediate.get(PENDING_KEY, peek=True) == "1"
    assert [task.name for task in huey_immediate.scheduled()] == ["recompute_dirty_task"]


def test_days_not_begun_stay_queued(employee):
    from sao.attendance.compute import recompute_dirty

    mark_days_dirty(days=[(employee.pk, DAY), (employee.pk, DAY + dt.timedelta(days=1))])
    # 14:59 UTC is 23:59 in WIT (UTC+9), the earliest zone; 15:30 UTC is 00:30 of the next day.
    before_wit_midnight = dt.datetime(2024, 3, 18, 14, 59, tzinfo=dt.UTC)
    after_wit_midnight = dt.datetime(2024, 3, 18, 15, 30, tzinfo=dt.UTC)

    recompute_dirty(now=before_wit_midnight)

    assert list(DailyResult.objects.values_list("date", flat=True)) == [DAY]
    assert list(DirtyDay.objects.values_list("date", flat=True)) == [DAY + dt.timedelta(days=1)]

    recompute_dirty(now=after_wit_midnight)

    assert not DirtyDay.objects.exists()
    assert DailyResult.objects.count() == 2


def test_recent_days_get_results_without_any_punch(employee):
    from sao.attendance.tasks import recent_days, recompute_recent

    ten_wita = dt.datetime(2024, 3, 19, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 WITA

    recompute_recent(now=ten_wita)

    assert recent_days(ten_wita) == (DAY, DAY + dt.timedelta(days=1))
    statuses = dict(DailyResult.objects.filter(employee=employee).values_list("date", "status"))
    assert statuses == {DAY: "TK", DAY + dt.timedelta(days=1): "BELUM_FINAL"}


def test_recent_days_span_the_three_zones():
    from sao.attendance.tasks import recent_days

    # 16:30 UTC: 23:30 WIB on the 18th, 01:30 WIT on the 19th.
    assert recent_days(dt.datetime(2024, 3, 18, 16, 30, tzinfo=dt.UTC)) == (
        dt.date(2024, 3, 17), dt.date(2024, 3, 19)
    )


def test_locked_recent_run_tries_again(huey_immediate, employee):
    from sao.attendance.tasks import recompute_recent_periodic

    with lock_task("attendance-recompute-dirty"):
        recompute_recent_periodic.call_local()

    assert not DailyResult.objects.exists()
    assert [task.name for task in huey_immediate.scheduled()] == ["recompute_recent_periodic"]
