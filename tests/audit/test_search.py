"""The audit search screen: filters, pagination, read-only, and the scope of each role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from sao.absences.models import AbsenceType
from sao.absences.services import absence_request_create
from sao.audit.models import AuditEntry
from sao.audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.audit.urls")]

DAY = dt.date(2026, 12, 14)


@pytest.fixture
def trail(cast):
    """Audit rows about an employee of unit A, one of unit B, their requests, and a unit."""
    dl = AbsenceType.objects.get(code="DL")
    request_a = absence_request_create(
        employee=cast.staff_a1,
        absence_type=dl,
        start_date=DAY,
        end_date=DAY,
        actor=cast.operator_a,
        reference="ST-A",
    )
    request_b = absence_request_create(
        employee=cast.person_b,
        absence_type=dl,
        start_date=DAY,
        end_date=DAY,
        actor=cast.operator_b,
        reference="ST-B",
    )
    with transaction.atomic():
        audit_record(actor=cast.admin_bkd, action="unit.update", obj=cast.unit_b, new={"name": "UPT B"})
    return {"request_a": request_a, "request_b": request_b}


def rows(response) -> list[AuditEntry]:
    return list(response.context["page"].object_list)


def labels(response) -> set[str]:
    return {(entry.object_type, entry.object_id) for entry in rows(response)}


def key(obj) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def test_bkd_sees_everything(cast, trail, client):
    client.force_login(cast.admin_bkd)

    response = client.get("/audit/")

    assert response.status_code == 200
    found = labels(response)
    assert key(trail["request_a"]) in found
    assert key(trail["request_b"]) in found
    assert key(cast.unit_b) in found
    assert key(cast.person_b) in found  # the employee_create entry of the cast


def test_operator_sees_own_scope_only(cast, trail, client):
    client.force_login(cast.operator_a)

    found = labels(client.get("/audit/"))

    assert key(trail["request_a"]) in found
    assert key(cast.staff_a1) in found
    assert key(trail["request_b"]) not in found
    assert key(cast.person_b) not in found
    assert key(cast.unit_b) not in found


def test_employee_sees_only_self(cast, trail, client):
    client.force_login(cast.employee_a)

    found = labels(client.get("/audit/"))

    assert found == {key(cast.staff_a2)}


@pytest.mark.parametrize("user", ["operator_a", "outsider"])
def test_other_unit_filter_finds_nothing(cast, trail, client, user):
    client.force_login(getattr(cast, user))

    response = client.get(f"/audit/?employee={cast.person_b.nip}")

    assert rows(response) == []


def test_filter_by_employee_actor_and_date(cast, trail, client):
    client.force_login(cast.admin_bkd)

    by_employee = labels(client.get(f"/audit/?employee={cast.staff_a1.nip}"))
    by_actor = rows(client.get("/audit/?actor=opb"))
    today = timezone.localdate()
    by_unit = labels(client.get(f"/audit/?unit={cast.unit_a.pk}"))
    yesterday = rows(client.get(f"/audit/?date_to={today - dt.timedelta(days=1)}"))

    assert by_employee == {key(cast.staff_a1), key(trail["request_a"])}
    assert [entry.object_id for entry in by_actor] == [str(trail["request_b"].pk)]
    assert key(trail["request_b"]) not in by_unit
    assert key(trail["request_a"]) in by_unit
    assert yesterday == []


def test_pagination(cast, client):
    with transaction.atomic():
        for number in range(55):
            audit_record(actor=cast.operator_a, action="test.touch", obj=cast.staff_a1, new={"n": number})
    client.force_login(cast.operator_a)

    first = client.get("/audit/?actor=opa")
    second = client.get("/audit/?actor=opa&page=2")

    assert len(rows(first)) == 50
    # Only the 55 rows above: the cast's own entries carry the actor label "test".
    assert len(rows(second)) == 5
    assert "?actor=opa&page=2" in first.content.decode()


def test_read_only(cast, client):
    client.force_login(cast.admin_bkd)

    assert client.post("/audit/").status_code == 405


def test_htmx_returns_rows_only(cast, trail, client):
    client.force_login(cast.admin_bkd)

    response = client.get("/audit/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert '<nav class="navbar' not in response.content.decode()
    assert 'data-testid="audit-row"' in response.content.decode()


def test_anonymous_redirected(client, db):
    response = client.get("/audit/")

    assert response.status_code == 302
