"""Shared fixtures: the shared fixture folder and a small named cast of users.

The cast (see `cast`): operator_a runs unit A (a UPT under agency A), operator_b runs
unit B in another agency, verifier_a and leader_a see all of agency A, supervisor_a
sees themselves and their subordinates, employee_a sees only themselves, and the BKD
admin and operator see the whole province.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at production strength costs about 0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items):
    # A transactional test empties the tables when it ends, seed rows of data migrations
    # included. Serialising the database at set-up lets those tests, and the tests that run
    # after them on the same worker, get the seed rows back.
    for item in items:
        if _is_transactional(item) and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")


_SERIALIZED: dict[str, str] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Keep the serialised seed rows of the test database for `_seed_rows_after_flush`."""
    from django.db import connection

    # pytest-django serialises the database only when a collected test's marker requests it.
    # Otherwise serialise here, before any test has changed the seed rows.
    contents = getattr(connection, "_test_serialized_contents", None)
    if not contents:
        with django_db_blocker.unblock():
            contents = connection.creation.serialize_db_to_string()
        connection._test_serialized_contents = contents
    _SERIALIZED["default"] = contents
    return django_db_setup


def _seed_rows_present() -> bool:
    from sao.absences.models import AbsenceType
    from sao.calendars.models import PolicyVersion

    return PolicyVersion.objects.exists() and AbsenceType.objects.exists()


@pytest.fixture(autouse=True)
def _seed_rows_after_flush(request):
    """Reload the migration seed rows when an earlier transactional test flushed them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not ({"db"} | TRANSACTIONAL_FIXTURES) & set(request.fixturenames):
        yield
        return

    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    # A test that changes settings.DATABASES gets fresh connection objects without the copy.
    contents = getattr(connection, "_test_serialized_contents", None) or _SERIALIZED.get("default")
    if contents and not getattr(connection, "_test_serialized_contents", None):
        connection._test_serialized_contents = contents
    if contents and not _seed_rows_present():
        connection.creation.deserialize_db_from_string(contents)
    yield


SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
FIXTURES = SHARED / "fixtures"


def shared_fixture(relative: str) -> Path:
    """Return a file under ../shared/fixtures, skipping the test when that folder is absent."""
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(
            f"../shared/fixtures/{relative} is absent; clone the shared folder beside "
            "the repository to run this test"
        )
    return path


@dataclass
class Cast:
    province: object
    agency_a: object
    unit_a: object
    agency_b: object
    unit_b: object
    head_a: object  # supervises staff_a1, who supervises staff_a2
    staff_a1: object
    staff_a2: object
    other_a: object  # in unit A but outside the supervisor chain
    person_b: object
    admin_bkd: object
    operator_bkd: object
    operator_a: object
    operator_b: object
    verifier_a: object
    leader_a: object
    supervisor_a: object
    employee_a: object
    outsider: object  # a role that needs a unit but has none: sees nothing


def make_unit(code, kind, parent=None, **extra):
    from sao.org.models import Unit

    unit = Unit(code=code, kind=kind, parent=parent, name=extra.pop("name", code), **extra)
    unit.compute_path()
    unit.save()
    return unit


# Each test's database is rolled back, so serials may repeat across tests.
NIP_SERIAL = itertools.cycle(range(1, 999))


def make_employee(unit, name, *, supervisor=None, nip=None, kind="PNS"):
    from sao.org.services import employee_create

    serial = next(NIP_SERIAL)
    values = {
        "nip": nip or f"19800101200501{1 + serial % 2}{serial:03d}",
        "name": name,
        "kind": kind,
        "supervisor_id": supervisor.pk if supervisor else None,
    }
    return employee_create(values=values, unit=unit, valid_from=dt.date(2020, 1, 1),
                           actor_label="test")


def make_user(username, role, *, unit=None, employee=None):
    from sao.org.models import User

    return User.objects.create_user(username=username, password="secret-pass-123", role=role,
                                    unit=unit, employee=employee)


@pytest.fixture
def cast(db) -> Cast:
    province = make_unit("PROV", "province")
    agency_a = make_unit("OPD-A", "opd", province, name="Dinas A")
    unit_a = make_unit("UPT-A", "upt", agency_a, name="UPT A")
    agency_b = make_unit("OPD-B", "opd", province, name="Dinas B")
    unit_b = make_unit("UPT-B", "upt", agency_b, name="UPT B")

    head_a = make_employee(agency_a, "Kepala A")
    staff_a1 = make_employee(unit_a, "Staf A Satu", supervisor=head_a)
    staff_a2 = make_employee(unit_a, "Staf A Dua", supervisor=staff_a1)
    other_a = make_employee(unit_a, "Lain A")
    person_b = make_employee(unit_b, "Pegawai B")

    return Cast(
        province=province, agency_a=agency_a, unit_a=unit_a, agency_b=agency_b, unit_b=unit_b,
        head_a=head_a, staff_a1=staff_a1, staff_a2=staff_a2, other_a=other_a, person_b=person_b,
        admin_bkd=make_user("admin", "admin_bkd"),
        operator_bkd=make_user("opbkd", "operator_bkd"),
        operator_a=make_user("opa", "operator_unit", unit=unit_a),
        operator_b=make_user("opb", "operator_unit", unit=unit_b),
        verifier_a=make_user("vera", "verifier", unit=agency_a),
        leader_a=make_user("leada", "leader", unit=agency_a),
        supervisor_a=make_user("supa", "supervisor", employee=head_a),
        employee_a=make_user("empa", "employee", employee=staff_a2),
        outsider=make_user("nobody", "employee"),
    )


# Playwright driving Debian's Chromium against the live test server. Playwright's own browser
# download does not work on these machines, so the tests use /usr/bin/chromium (Debian package
# `chromium`) and skip with a message where it is absent. The fixtures live here, once, because
# two Playwright sessions cannot run in one thread.
CHROMIUM = os.environ.get("SAO_CHROMIUM", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread, and Django's ORM raises in a
# thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. These tests make no
# concurrent ORM calls, so setting it is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found; install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


