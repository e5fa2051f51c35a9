"""Reads of the organisation master, already limited to the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from sao.org.models import Employee, EmployeeKind, LegalStatus, Role, Unit, User
from sao.org.scope import effective_role, get_scoped_or_404, scope_queryset


def units_for(*, user: User) -> QuerySet[Unit]:
    return scope_queryset(user=user, queryset=Unit.objects.select_related("parent"))


def employees_for(
    *, user: User, search: str = "", unit: Unit | None = None, kind: str = "",
    legal_status: str = "",
) -> QuerySet[Employee]:
    """List employees in scope, searched by NIP, NIK or name and filtered by unit subtree."""
    queryset = scope_queryset(
        user=user, queryset=Employee.objects.select_related("unit", "supervisor")
    )
    search = search.strip()
    if search:
        digits = search.replace(" ", "")
        if digits.isdigit():
            queryset = queryset.filter(Q(nip__startswith=digits) | Q(nik__startswith=digits))
        else:
            for word in search.split():
                queryset = queryset.filter(name__icontains=word)
    if unit is not None:
        queryset = queryset.filter(unit__path__startswith=unit.path)
    if kind:
        queryset = queryset.filter(kind=kind)
    if legal_status:
        queryset = queryset.filter(legal_status=legal_status)
    return queryset.order_by("name", "pk")


def employee_detail(*, user: User, pk: int) -> Employee:
    queryset = Employee.objects.select_related("unit", "supervisor", "user").prefetch_related(
        "assignments__unit", "legal_statuses", "subordinates"
    )
    return get_scoped_or_404(user=user, queryset=queryset, pk=pk)


def unit_detail(*, user: User, pk: int) -> Unit:
    return get_scoped_or_404(user=user, queryset=Unit.objects.select_related("parent"), pk=pk)


@dataclass
class TreeNode:
    unit: Unit
    employee_count: int
    children: list[TreeNode] = field(default_factory=list)
    expanded: bool = False

    @property
    def total_employees(self) -> int:
        return self.employee_count + sum(child.total_employees for child in self.children)


def unit_tree(*, user: User) -> list[TreeNode]:
    """Build the visible part of the unit tree in two queries, with employee counts per unit."""
    units = list(units_for(user=user).annotate(
        employee_total=Count("employees", filter=Q(employees__legal_status=LegalStatus.ACTIVE))
    ).order_by("path"))
    if effective_role(user) in (Role.SUPERVISOR, Role.EMPLOYEE):
        visible = set(
            scope_queryset(user=user, queryset=Employee.objects.all()).values_list("pk", flat=True)
        )
        counts = dict(
            Employee.objects.filter(pk__in=visible).values_list("unit_id").annotate(n=Count("pk"))
        )
        for unit in units:
            unit.employee_total = counts.get(unit.pk, 0)

    nodes = {unit.pk: TreeNode(unit=unit, employee_count=unit.employee_total) for unit in units}
    roots: list[TreeNode] = []
    for unit in units:
        parent = nodes.get(unit.parent_id)
        if parent is None:
            roots.append(nodes[unit.pk])
        else:
            parent.children.append(nodes[unit.pk])

    # Open the first two visible levels: the scope's root and its direct sub-units.
    for root in roots:
        root.expanded = True
        for child in root.children:
            child.expanded = True
    return roots


@dataclass
class HomeSummary:
    role: str
    scope_label: str
    unit_count: int
    employee_count: int
    by_kind: list[tuple[str, int]]
    inactive_count: int
    # Role-specific panels: agencies or sub-units with their active staff, or the people
    # a supervisor leads, or the employee's own record.
    units: list[tuple[Unit, int]] = field(default_factory=list)
    people: list[Employee] = field(default_factory=list)
    me: Employee | None = None


def _child_units_with_counts(*, parent_path: str, depth: int) -> list[tuple[Unit, int]]:
    """Return the units one level under a path, each with the active staff of its whole subtree."""
    children = list(Unit.objects.filter(path__startswith=parent_path, depth=depth).order_by("name"))
    counts: dict[str, int] = {}
    rows = Employee.objects.filter(
        legal_status=LegalStatus.ACTIVE, unit__path__startswith=parent_path
    ).values_list("unit__path").annotate(n=Count("pk"))
    for path, number in rows:
        for child in children:
            if path.startswith(child.path):
                counts[child.path] = counts.get(child.path, 0) + number
                break
    return [(child, counts.get(child.path, 0)) for child in children]


def home_summary(*, user: User) -> HomeSummary:
    employees = scope_queryset(user=user, queryset=Employee.objects.all())
    kinds = dict(EmployeeKind.choices)
    by_kind = [
        (kinds.get(row["kind"], row["kind"]), row["n"])
        for row in employees.values("kind").annotate(n=Count("pk")).order_by("kind")
    ]
    role = effective_role(user) or ""
    if role in (Role.ADMIN_BKD, Role.OPERATOR_BKD):
        scope_label = "Pemerintah Provinsi Kalimantan Timur"
    elif user.unit_id:
        scope_label = user.unit.name
    elif user.employee_id:
        scope_label = user.employee.full_name
    else:
        scope_label = ""
    summary = HomeSummary(
        role=role,
        scope_label=scope_label,
        unit_count=units_for(user=user).count(),
        employee_count=employees.filter(legal_status=LegalStatus.ACTIVE).count(),
        by_kind=by_kind,
        inactive_count=employees.exclude(legal_status=LegalStatus.ACTIVE).count(),
    )

    if role in (Role.ADMIN_BKD, Role.OPERATOR_BKD):
        province = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
        if province is not None:
            summary.units = _child_units_with_counts(parent_path=province.path, depth=1)
    elif role in (Role.OPERATOR_UNIT, Role.VERIFIER, Role.LEADER) and user.unit_id:
        summary.units = _child_units_with_counts(parent_path=user.unit.path,
                                                 depth=user.unit.depth + 1)
    if role == Role.SUPERVISOR and user.employee_id:
        summary.people = list(
            Employee.objects.filter(supervisor_id=user.employee_id).select_related("unit")
            .order_by("name")
        )
    if user.employee_id:
        summary.me = Employee.objects.select_related("unit", "supervisor").get(pk=user.employee_id)
    return summary
