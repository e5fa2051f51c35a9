"""The demo's pending request can be walked through the chain with the printed demo logins."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from sao.absences.models import AbsenceRequest, RequestStatus
from sao.demo.absences import PENDING_REFERENCE, demo_pending_request_create
from sao.demo.logins import DEMO_PASSWORD, demo_logins, logins_table
from sao.demo.units import SEED_FILE
from sao.org.models import Role, User

pytestmark = pytest.mark.django_db

END = dt.date(2026, 12, 3)  # a Thursday: the request covers Monday 7 and Tuesday 8 December


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        call_command(
            "demo", "--employees", "300", "--units", str(SEED_FILE), "--no-punches",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )


def log_in(client, username: str) -> None:
    """Log in through the login form with the printed demo password."""
    client.logout()
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username


def test_upt_atasan_login_printed(demo):
    operator = User.objects.get(username__startswith="operator.", role=Role.OPERATOR_UNIT)
    slug = operator.username.removeprefix("operator.")

    atasan = User.objects.get(username=f"atasan.{slug}")

    assert atasan.role == Role.SUPERVISOR
    assert atasan.employee.unit == operator.unit
    assert atasan.employee.subordinates.filter(unit=operator.unit).exists()
    with translation.override("en"):
        assert f"atasan.{slug}" in logins_table(demo_logins())


def test_pending_request_walks_chain(demo, client):
    request = demo_pending_request_create(end=END)
    assert request is not None
    assert demo_pending_request_create(end=END) is None  # one open request at a time
    assert request.status == RequestStatus.WAITING_SUPERVISOR
    assert request.start_date == dt.date(2026, 12, 7)
    assert request.reference == PENDING_REFERENCE
    atasan = User.objects.get(username__startswith="atasan.", employee=request.employee.supervisor)
    verifier = User.objects.get(username__startswith="verifikator.", role=Role.VERIFIER)
    operator = User.objects.get(username__startswith="operator.", role=Role.OPERATOR_UNIT)
    assert request.entered_by == operator

    log_in(client, atasan.username)
    assert request.code in client.get("/absences/inbox/").content.decode()
    assert client.post(f"/absences/{request.code}/decide/", {"action": "approve"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_VERIFIER

    log_in(client, verifier.username)
    assert request.code in client.get("/absences/inbox/").content.decode()
    assert client.post(f"/absences/{request.code}/decide/", {"action": "approve"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert AbsenceRequest.objects.filter(reference=PENDING_REFERENCE).count() == 1
