"""Monthly close per agency: the verifier closes, the agency head signs, BKD reopens with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from sao.attendance.compute import recompute
from sao.attendance.models import DailyResult, DirtyDay, MonthClose, MonthCloseStatus
from sao.attendance.services import (
    MonthCloseError,
    month_close,
    month_close_changes,
    month_reopen,
    month_sign,
)
from sao.audit.models import AuditEntry
from sao.calendars.services import policy_import

from .helpers import PROFILES

pytestmark = pytest.mark.django_db

MARCH = dt.date(2024, 3, 1)


@pytest.fixture
def closed_march(cast):
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    return month_close(unit=cast.agency_a, month=MARCH, actor=cast.verifier_a)


def test_close_freezes_results(cast, closed_march):
    row = DailyResult.objects.get(employee=cast.staff_a1, date=dt.date(2024, 3, 4))
    DailyResult.objects.filter(pk=row.pk).update(status="HADIR")

    stats = recompute(start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 4))

    assert closed_march.status == MonthCloseStatus.CLOSED
    assert DailyResult.objects.get(pk=row.pk).status == "HADIR"
    assert stats.frozen_skipped == 4  # head_a, staff_a1, staff_a2, other_a of agency A
    assert DailyResult.objects.get(employee=cast.person_b, date=dt.date(2024, 3, 4)).status == "TK"
    assert AuditEntry.objects.filter(action="month.close").count() == 1


def test_only_verifier_closes(cast):
    with pytest.raises(PermissionDenied):
        month_close(unit=cast.agency_a, month=MARCH, actor=cast.operator_a)
    with pytest.raises(PermissionDenied):
        month_close(unit=cast.agency_b, month=MARCH, actor=cast.verifier_a)


def test_open_month_cannot_close(cast):
    with pytest.raises(MonthCloseError) as error:
        month_close(unit=cast.agency_a, month=dt.date.today(), actor=cast.verifier_a)
    assert error.value.code == "month_not_ended"


def test_sign_then_reopen_shows_changes(cast, closed_march, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied):
        month_sign(close=closed_march, actor=cast.verifier_a)
    signed = month_sign(close=closed_march, actor=cast.leader_a)
    assert signed.status == MonthCloseStatus.SIGNED

    with pytest.raises(PermissionDenied):
        month_reopen(close=signed, actor=cast.operator_bkd, reason="correction")
    with pytest.raises(MonthCloseError):
        month_reopen(close=signed, actor=cast.admin_bkd, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        reopened = month_reopen(close=signed, actor=cast.admin_bkd, reason="Leave keyed in late")

    assert reopened.status == MonthCloseStatus.REOPENED
    assert DirtyDay.objects.filter(employee=cast.staff_a1).count() == 31
    DailyResult.objects.filter(employee=cast.staff_a1, date=dt.date(2024, 3, 4)).update(status="CUTI")
    changes = month_close_changes(close=reopened)
    assert [(change.employee_id, change.date, change.closed[0], change.current[0]) for change in changes] == [
        (cast.staff_a1.pk, dt.date(2024, 3, 4), "TK", "CUTI")
    ]
    assert AuditEntry.objects.get(action="month.reopen").reason == "Leave keyed in late"


def test_close_screen_runs_the_workflow(cast, client):
    policy_import(document=(PROFILES / "kantor.yaml").read_text(), legal_basis="test", actor_label="test")
    recompute(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    url = f"/attendance/close/{cast.agency_a.pk}/2024/3/"

    client.force_login(cast.verifier_a)
    assert client.post(url, {"action": "close"}).status_code == 302
    client.force_login(cast.leader_a)
    assert client.post(url, {"action": "sign"}).status_code == 302
    client.force_login(cast.admin_bkd)
    assert client.post(url, {"action": "reopen", "reason": "Late leave"}).status_code == 302
    DailyResult.objects.filter(employee=cast.staff_a1, date=dt.date(2024, 3, 4)).update(status="CUTI")
    page = client.get(url).content.decode()

    assert "Late leave" in page
    assert "2024-03-04" in page
    assert "<td>Cuti</td>" in page  # the status label, not the stored code
    client.force_login(cast.operator_b)
    assert client.get(url).status_code == 404


def test_operator_cannot_close_on_screen(cast, client):
    client.force_login(cast.operator_a)
    response = client.post(f"/attendance/close/{cast.unit_a.pk}/2024/3/", {"action": "close"})
    assert response.status_code == 403
    assert not MonthClose.objects.exists()
