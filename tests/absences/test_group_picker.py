"""The group entry form's employee picker: search, chips and the posted ids stay inside the
operator's scope (operator_a runs unit A; person_b works in unit B)."""

from __future__ import annotations

import pytest

from sao.absences.forms import TravelGroupForm
from sao.absences.models import AbsenceRequest, AbsenceType

pytestmark = pytest.mark.django_db


def test_search_lists_scope_only(cast, client):
    client.force_login(cast.operator_a)

    page = client.get("/absences/group/search/", {"q": "Pegawai B"}).content.decode()
    staff = client.get("/absences/group/search/", {"q": "Staf A"}).content.decode()

    assert f'data-employee="{cast.person_b.pk}"' not in page
    assert f'data-employee="{cast.staff_a1.pk}"' in staff
    assert f'data-employee="{cast.staff_a2.pk}"' in staff


def test_search_by_nip(cast, client):
    client.force_login(cast.operator_a)

    page = client.get("/absences/group/search/", {"q": cast.staff_a2.nip[:12]}).content.decode()

    assert f'data-employee="{cast.staff_a2.pk}"' in page


def test_search_leaves_out_chosen(cast, client):
    client.force_login(cast.operator_a)

    page = client.get(
        "/absences/group/search/", {"q": "Staf A", "employees": [str(cast.staff_a1.pk)]}
    ).content.decode()

    assert f'data-employee="{cast.staff_a1.pk}"' not in page
    assert f'data-employee="{cast.staff_a2.pk}"' in page


def test_short_query_lists_nothing(cast, client):
    client.force_login(cast.operator_a)

    page = client.get("/absences/group/search/", {"q": "S"}).content.decode()

    assert "data-employee" not in page


def test_chip_outside_scope_is_404(cast, client):
    client.force_login(cast.operator_a)

    assert client.get(f"/absences/group/chip/{cast.staff_a1.pk}/").status_code == 200
    assert client.get(f"/absences/group/chip/{cast.person_b.pk}/").status_code == 404


@pytest.mark.parametrize("user", ["employee_a", "supervisor_a", "verifier_a", "leader_a"])
def test_picker_for_operators_only(cast, client, user):
    client.force_login(getattr(cast, user))

    assert client.get("/absences/group/search/", {"q": "Staf"}).status_code == 403
    assert client.get(f"/absences/group/chip/{cast.staff_a1.pk}/").status_code == 403


def test_posted_id_outside_scope_rejected(cast, client):
    client.force_login(cast.operator_a)

    response = client.post(
        "/absences/group/",
        {
            "employees": [str(cast.staff_a1.pk), str(cast.person_b.pk)],
            "absence_type": str(AbsenceType.objects.get(code="PD").pk),
            "start_date": "2026-11-23",
            "end_date": "2026-11-27",
            "reference": "ST-7/A",
        },
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors.as_data()["employees"]
    assert error.code == "invalid_choice"
    assert str(cast.person_b.pk) not in " ".join(error.messages)
    assert error.messages == [str(TravelGroupForm.base_fields["employees"].error_messages["invalid_choice"])]
    assert not AbsenceRequest.objects.exists()
    # The chip of the employee in scope is shown again; the other is dropped.
    assert [employee.pk for employee in response.context["chosen"]] == [cast.staff_a1.pk]


def test_post_without_employees(cast, client):
    client.force_login(cast.operator_a)

    response = client.post(
        "/absences/group/",
        {
            "absence_type": str(AbsenceType.objects.get(code="PD").pk),
            "start_date": "2026-11-23",
            "end_date": "2026-11-27",
            "reference": "ST-8/A",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["employees"][0].code == "required"
    assert not AbsenceRequest.objects.exists()
