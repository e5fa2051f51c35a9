"""The unit scope: the one place that decides which rows a user may read.

Every selector passes its queryset through `scope_queryset`. A model takes part by
registering the lookup path from it to a unit (and to an employee, where it has one).
A request for an object outside the scope gets 404, never 403, so that the object's
existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from sao.org.models import Employee, Role, Unit, User

# Roles that read the whole province.
PROVINCE_ROLES = frozenset({Role.ADMIN_BKD, Role.OPERATOR_BKD})
# Roles that read a unit and its sub-units.
SUBTREE_ROLES = frozenset({Role.OPERATOR_UNIT, Role.VERIFIER, Role.LEADER})
# Roles that may change the employee master inside their scope.
MASTER_EDITOR_ROLES = frozenset({Role.ADMIN_BKD, Role.OPERATOR_BKD, Role.OPERATOR_UNIT})

# Supervisor chains deeper than this are treated as data errors (a cycle or a bad import).
MAX_SUPERVISOR_DEPTH = 12


@dataclass(frozen=True)
class ScopePath:
    """Lookups from a model to its unit and, optionally, to its employee ("" means the row itself)."""

    unit: str
    employee: str | None = None


_REGISTRY: dict[type[Model], ScopePath] = {}


def register_scope(model: type[Model], *, unit: str, employee: str | None = None) -> None:
    _REGISTRY[model] = ScopePath(unit=unit, employee=employee)


register_scope(Unit, unit="")
register_scope(Employee, unit="unit", employee="")


def effective_role(user: User) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN_BKD
    return user.role


def subordinate_ids(employee_id: int) -> set[int]:
    """Return the ids of everyone under an employee, directly or through other supervisors."""
    found: set[int] = set()
    frontier = {employee_id}
    for _level in range(MAX_SUPERVISOR_DEPTH):
        frontier = set(
            Employee.objects.filter(supervisor_id__in=frontier).values_list("id", flat=True)
        ) - found - {employee_id}
        if not frontier:
            break
        found |= frontier
    return found


def _join(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


def scope_filter(*, user: User, model: type[Model]) -> Q | None:
    """Return the filter that limits `model` to what `user` may read; None means no limit."""
    path = _REGISTRY.get(model)
    if path is None:
        raise LookupError(f"{model.__name__} has no registered scope path; call register_scope.")

    role = effective_role(user)
    if role in PROVINCE_ROLES:
        return None

    nothing = Q(pk__in=[])
    if role in SUBTREE_ROLES:
        if user.unit_id is None:
            return nothing
        return Q(**{_join(path.unit, "path__startswith"): user.unit.path})

    if role in (Role.SUPERVISOR, Role.EMPLOYEE):
        if user.employee_id is None:
            return nothing
        people = {user.employee_id}
        if role == Role.SUPERVISOR:
            people |= subordinate_ids(user.employee_id)
        if path.employee is not None:
            return Q(**{_join(path.employee, "pk__in"): people})
        unit_ids = Employee.objects.filter(pk__in=people).values_list("unit_id", flat=True)
        return Q(**{_join(path.unit, "pk__in"): unit_ids})

    return nothing


def scope_queryset(*, user: User, queryset: QuerySet) -> QuerySet:
    """Limit a queryset to the rows the user's role may read."""
    condition = scope_filter(user=user, model=queryset.model)
    if condition is None:
        return queryset
    return queryset.filter(condition)


def get_scoped_or_404(*, user: User, queryset: QuerySet, **lookup) -> Model:
    """Fetch one object inside the user's scope; anything else is 404."""
    try:
        return scope_queryset(user=user, queryset=queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def can_edit_master(user: User) -> bool:
    """Tell whether the user may change employees and units inside their scope."""
    return effective_role(user) in MASTER_EDITOR_ROLES


def is_bkd_admin(user: User) -> bool:
    return effective_role(user) == Role.ADMIN_BKD
