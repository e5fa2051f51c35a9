"""Role × action × unit: who may read and decide which request.

request_a: staff_a1 (unit A), waiting for its atasan head_a (the supervisor_a account).
request_b: person_b (unit B, no atasan), waiting for a verifier of agency B (there is none).
Outside their scope everyone gets 404; inside it, anyone but the approver of the stage gets 403,
except an approver of another stage, who gets 409 with a message naming the request's stage.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sao.absences.models import AbsenceType, RequestStatus
from sao.absences.services import absence_request_create

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 14)


@pytest.fixture
def requests(cast):
    dl = AbsenceType.objects.get(code="DL")
    return {
        "request_a": absence_request_create(
            employee=cast.staff_a1,
            absence_type=dl,
            start_date=DAY,
            end_date=DAY,
            actor=cast.operator_a,
            reference="ST-1/A",
        ),
        "request_b": absence_request_create(
            employee=cast.person_b,
            absence_type=dl,
            start_date=DAY,
            end_date=DAY,
            actor=cast.operator_b,
            reference="ST-2/B",
        ),
    }


# (user, request, status of GET detail, status of POST approve)
MATRIX = [
    ("admin_bkd", "request_a", 200, 403),
    ("operator_bkd", "request_a", 200, 403),
    ("operator_a", "request_a", 200, 403),
    ("operator_b", "request_a", 404, 404),
    ("verifier_a", "request_a", 200, 409),  # the verifier's stage has not come yet
    ("leader_a", "request_a", 200, 403),
    ("supervisor_a", "request_a", 200, 302),  # the atasan langsung
    ("employee_a", "request_a", 404, 404),  # staff_a2 is not staff_a1
    ("outsider", "request_a", 404, 404),
    ("admin_bkd", "request_b", 200, 403),
    ("operator_bkd", "request_b", 200, 403),
    ("operator_a", "request_b", 404, 404),
    ("operator_b", "request_b", 200, 403),
    ("verifier_a", "request_b", 404, 404),  # another agency's verifier
    ("leader_a", "request_b", 404, 404),
    ("supervisor_a", "request_b", 404, 404),
    ("employee_a", "request_b", 404, 404),
    ("outsider", "request_b", 404, 404),
]


@pytest.mark.parametrize(("user", "request_key", "read_status", "approve_status"), MATRIX)
def test_read_and_approve_matrix(cast, requests, client, user, request_key, read_status, approve_status):
    absence = requests[request_key]
    client.force_login(getattr(cast, user))

    read = client.get(f"/absences/{absence.code}/")
    approve = client.post(f"/absences/{absence.code}/decide/", {"action": "approve"})

    assert read.status_code == read_status
    assert approve.status_code == approve_status
    absence.refresh_from_db()
    expected = RequestStatus.WAITING_VERIFIER if approve_status == 302 else absence_status(request_key)
    assert absence.status == expected


def absence_status(request_key: str) -> str:
    return RequestStatus.WAITING_SUPERVISOR if request_key == "request_a" else RequestStatus.WAITING_VERIFIER


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("admin_bkd", {"request_a", "request_b"}),
        ("operator_a", {"request_a"}),
        ("operator_b", {"request_b"}),
        ("verifier_a", {"request_a"}),
        ("supervisor_a", {"request_a"}),
        ("employee_a", set()),
        ("outsider", set()),
    ],
)
def test_list_shows_scope_only(cast, requests, client, user, visible):
    client.force_login(getattr(cast, user))

    page = client.get("/absences/").content.decode()

    for key, absence in requests.items():
        assert (f"/absences/{absence.code}/" in page) == (key in visible), key


def test_inbox_has_only_decidable(cast, requests, client):
    client.force_login(cast.supervisor_a)
    assert requests["request_a"].code in client.get("/absences/inbox/").content.decode()

    client.force_login(cast.verifier_a)
    page = client.get("/absences/inbox/").content.decode()
    assert requests["request_a"].code not in page
    assert requests["request_b"].code not in page


def test_operator_cannot_enter_other_unit(cast):
    from sao.absences.services import AbsenceError

    with pytest.raises(AbsenceError) as error:
        absence_request_create(
            employee=cast.person_b,
            absence_type=AbsenceType.objects.get(code="DL"),
            start_date=DAY,
            end_date=DAY,
            actor=cast.operator_a,
            reference="ST-3/A",
        )
    assert error.value.code == "not_allowed"
