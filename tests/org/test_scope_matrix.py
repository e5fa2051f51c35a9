"""Role × screen × object matrix: nobody reads or changes data outside their scope.

Who sees which employee of the cast (tests/conftest.py):
- admin_bkd, operator_bkd: everyone in the province;
- operator_a: the staff of UPT A (staff_a1, staff_a2, other_a), not the agency head above it;
- verifier_a, leader_a: all of agency A including UPT A;
- supervisor_a (head_a): themselves and their chain (staff_a1 and staff_a1's staff_a2);
- employee_a (staff_a2): only themselves;
- operator_b: only person_b; outsider: nobody.
Objects out of scope answer 404, never 403.
"""

import pytest
from django.urls import reverse

from sao.org.models import Employee, Unit
from sao.org.scope import scope_queryset

EMPLOYEES = ("head_a", "staff_a1", "staff_a2", "other_a", "person_b")
VISIBLE = {
    "admin_bkd": {"head_a", "staff_a1", "staff_a2", "other_a", "person_b"},
    "operator_bkd": {"head_a", "staff_a1", "staff_a2", "other_a", "person_b"},
    "operator_a": {"staff_a1", "staff_a2", "other_a"},
    "operator_b": {"person_b"},
    "verifier_a": {"head_a", "staff_a1", "staff_a2", "other_a"},
    "leader_a": {"head_a", "staff_a1", "staff_a2", "other_a"},
    "supervisor_a": {"head_a", "staff_a1", "staff_a2"},
    "employee_a": {"staff_a2"},
    "outsider": set(),
}
UNITS = ("province", "agency_a", "unit_a", "agency_b", "unit_b")
VISIBLE_UNITS = {
    "admin_bkd": set(UNITS),
    "operator_bkd": set(UNITS),
    "operator_a": {"unit_a"},
    "operator_b": {"unit_b"},
    "verifier_a": {"agency_a", "unit_a"},
    "leader_a": {"agency_a", "unit_a"},
    "supervisor_a": {"agency_a", "unit_a"},
    "employee_a": {"unit_a"},
    "outsider": set(),
}
EDITORS = {"admin_bkd", "operator_bkd", "operator_a", "operator_b"}


def names_of(cast, keys):
    return {getattr(cast, key).pk for key in keys}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_scope_function_employees(cast, role):
    user = getattr(cast, role)

    visible = set(scope_queryset(user=user, queryset=Employee.objects.all())
                  .values_list("pk", flat=True))

    assert visible == names_of(cast, VISIBLE[role])


@pytest.mark.parametrize("role", sorted(VISIBLE_UNITS))
def test_scope_function_units(cast, role):
    user = getattr(cast, role)

    visible = set(scope_queryset(user=user, queryset=Unit.objects.all())
                  .values_list("pk", flat=True))

    assert visible == names_of(cast, VISIBLE_UNITS[role])


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("target", EMPLOYEES)
def test_employee_detail_screen(client, cast, role, target):
    client.force_login(getattr(cast, role))
    employee = getattr(cast, target)

    response = client.get(reverse("org:employee_detail", args=[employee.pk]))

    expected = 200 if target in VISIBLE[role] else 404
    assert response.status_code == expected


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_employee_list_screen(client, cast, role):
    client.force_login(getattr(cast, role))

    response = client.get(reverse("org:employee_list"))

    listed = {employee.pk for employee in response.context["page"].object_list}
    assert response.status_code == 200
    assert listed == names_of(cast, VISIBLE[role])


@pytest.mark.parametrize("role", sorted(VISIBLE_UNITS))
@pytest.mark.parametrize("target", UNITS)
def test_unit_filter_screen(client, cast, role, target):
    client.force_login(getattr(cast, role))
    unit = getattr(cast, target)

    response = client.get(reverse("org:employee_list"), {"unit": unit.pk})

    expected = 200 if target in VISIBLE_UNITS[role] else 404
    assert response.status_code == expected


@pytest.mark.parametrize("role", sorted(VISIBLE_UNITS))
def test_unit_tree_screen(client, cast, role):
    client.force_login(getattr(cast, role))

    response = client.get(reverse("org:unit_tree"))

    shown = set()
    stack = list(response.context["roots"])
    while stack:
        node = stack.pop()
        shown.add(node.unit.pk)
        stack.extend(node.children)
    assert shown == names_of(cast, VISIBLE_UNITS[role])


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_import_screen_only_for_editors(client, cast, role):
    client.force_login(getattr(cast, role))

    response = client.get(reverse("org:employee_import"))

    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_django_admin_only_for_admin_bkd(client, cast, role):
    client.force_login(getattr(cast, role))

    response = client.get(reverse("admin:index"))

    assert response.status_code == (200 if role == "admin_bkd" else 302)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_home_counts_scope(client, cast, role):
    client.force_login(getattr(cast, role))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["summary"].employee_count == len(VISIBLE[role])


def test_anonymous_redirected_to_login(client, cast):
    response = client.get(reverse("org:employee_detail", args=[cast.staff_a1.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_search_does_not_leak_other_units(client, cast):
    client.force_login(cast.operator_a)

    response = client.get(reverse("org:employee_list"), {"q": cast.person_b.nip})

    assert list(response.context["page"].object_list) == []


def test_home_bkd_lists_agencies(client, cast):
    client.force_login(cast.operator_bkd)

    summary = client.get(reverse("home")).context["summary"]

    assert [(unit.code, count) for unit, count in summary.units] == [("OPD-A", 4), ("OPD-B", 1)]


def test_home_verifier_lists_sub_units(client, cast):
    client.force_login(cast.verifier_a)

    summary = client.get(reverse("home")).context["summary"]

    assert [(unit.code, count) for unit, count in summary.units] == [("UPT-A", 3)]


def test_home_supervisor_lists_direct_subordinates(client, cast):
    client.force_login(cast.supervisor_a)

    summary = client.get(reverse("home")).context["summary"]

    assert summary.people == [cast.staff_a1]
    assert summary.me == cast.head_a


def test_employee_list_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.operator_bkd)

    with django_assert_num_queries(4):
        client.get(reverse("org:employee_list"))


def test_unit_tree_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.operator_a)

    with django_assert_num_queries(4):
        client.get(reverse("org:unit_tree"))
