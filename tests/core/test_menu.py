"""The top menu shows each link only to the users who may open its page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("user", "shown"),
    [("admin_bkd", True), ("verifier_a", True), ("operator_a", False), ("supervisor_a", False)],
)
def test_menu_links_the_screen_for_managers_only(cast, client, user, shown):
    client.force_login(getattr(cast, user))

    home = client.get("/").content.decode()

    assert ('href="/absences/delegations/"' in home) is shown


@pytest.mark.parametrize(("user", "shown"), [("operator_bkd", False), ("employee_a", True)])
def test_menu_own_pages_need_employee_record(cast, client, user, shown):
    login = getattr(cast, user)
    client.force_login(login)

    home = client.get("/").content.decode()

    assert (login.employee_id is not None) is shown
    assert ('href="/absences/mine/"' in home) is shown
    assert ('href="/reports/me/"' in home) is shown
