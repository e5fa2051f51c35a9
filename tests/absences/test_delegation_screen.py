"""The delegation screen (Plt/Plh): who may create, list and end a delegation, and the delegate's inbox.

Admin BKD manages delegations anywhere, the Verifikator of agency A only inside agency A; every
other role gets 403. A delegation is audited when created and when ended.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sao.absences.models import AbsenceType, Delegation
from sao.absences.services import absence_request_create
from sao.audit.models import AuditEntry
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 14)


def form_data(cast, **changes) -> dict:
    today = timezone.localdate()
    data = {
        "role": "atasan",
        "kind": "plh",
        "official": cast.head_a.nip,
        "unit": "",
        "acting": cast.other_a.nip,
        "valid_from": (today - dt.timedelta(days=1)).isoformat(),
        "valid_to": (today + dt.timedelta(days=10)).isoformat(),
        "decree": "ND-12/UMUM/2026",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("admin_bkd", 200),
        ("verifier_a", 200),
        ("operator_bkd", 403),
        ("operator_a", 403),
        ("leader_a", 403),
        ("supervisor_a", 403),
        ("employee_a", 403),
        ("outsider", 403),
    ],
)
def test_screen_role_matrix(cast, client, user, status):
    client.force_login(getattr(cast, user))

    page = client.get("/absences/delegations/")
    created = client.post("/absences/delegations/", form_data(cast))

    assert page.status_code == status
    if status == 200:
        assert created.status_code == 302
        assert Delegation.objects.count() == 1
    else:
        assert created.status_code == 403
        assert not Delegation.objects.exists()


def test_verifier_outside_opd_rejected(cast, client):
    verifier_b = make_user("verb", "verifier", unit=cast.agency_b)
    client.force_login(verifier_b)

    response = client.post("/absences/delegations/", form_data(cast))

    assert response.status_code == 200
    assert "out_of_scope" in [error.code for error in response.context["form"].non_field_errors().as_data()]
    assert cast.other_a.nip in response.content.decode()
    assert not Delegation.objects.exists()


def test_verifier_lists_own_opd_only(cast, client):
    client.force_login(cast.admin_bkd)
    client.post("/absences/delegations/", form_data(cast))
    client.post(
        "/absences/delegations/",
        form_data(cast, role="verif", official="", unit=cast.agency_b.code, acting=cast.person_b.nip),
    )
    assert Delegation.objects.count() == 2

    client.force_login(cast.verifier_a)
    rows = client.get("/absences/delegations/").context["delegations"]

    assert [delegation.acting for delegation in rows] == [cast.other_a]


def test_unknown_nip_named(cast, client):
    client.force_login(cast.admin_bkd)

    response = client.post("/absences/delegations/", form_data(cast, acting="199999999999999999"))

    assert response.status_code == 200
    assert "199999999999999999" in response.content.decode()
    assert not Delegation.objects.exists()


def test_delegate_inbox_until_ended(cast, client):
    request = absence_request_create(
        employee=cast.staff_a1,
        absence_type=AbsenceType.objects.get(code="DL"),
        start_date=DAY,
        end_date=DAY,
        actor=cast.operator_a,
        reference="ST-4/A",
    )
    delegate = make_user("plh.lain", "employee", employee=cast.other_a)
    client.force_login(delegate)
    assert request.code not in client.get("/absences/inbox/").content.decode()

    client.force_login(cast.verifier_a)
    assert client.post("/absences/delegations/", form_data(cast)).status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.created_by == cast.verifier_a

    client.force_login(delegate)
    assert request.code in client.get("/absences/inbox/").content.decode()

    client.force_login(cast.verifier_a)
    assert client.post(f"/absences/delegations/{delegation.pk}/end/").status_code == 302
    delegation.refresh_from_db()
    assert delegation.ended_at is not None
    assert delegation.ended_by == cast.verifier_a

    client.force_login(delegate)
    assert request.code not in client.get("/absences/inbox/").content.decode()
    actions = list(
        AuditEntry.objects.filter(object_id=str(delegation.pk), action__startswith="absence.delegation")
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("absence.delegation", cast.verifier_a.pk),
        ("absence.delegation.end", cast.verifier_a.pk),
    ]


def test_end_outside_scope_is_404(cast, client):
    client.force_login(cast.admin_bkd)
    client.post(
        "/absences/delegations/",
        form_data(cast, role="verif", official="", unit=cast.agency_b.code, acting=cast.person_b.nip),
    )
    delegation = Delegation.objects.get()

    client.force_login(cast.verifier_a)
    response = client.post(f"/absences/delegations/{delegation.pk}/end/")

    assert response.status_code == 404
    delegation.refresh_from_db()
    assert delegation.ended_at is None
