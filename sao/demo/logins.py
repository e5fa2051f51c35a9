"""The demo logins: one user per role, all with the same published demo password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sao.org.models import Employee, Role, Unit, User

if TYPE_CHECKING:
    from sao.demo.staffing import EmployeeSpec

# Printed on the console by `sao demo` and `sao serve`; it only protects demo data.
DEMO_PASSWORD = "sao-demo-2026"  # noqa: S105

# Username prefixes of the demo logins, in the order the table lists them.
ROLE_PREFIXES = ("admin.", "operator.", "verifikator.", "pimpinan.", "atasan.", "pegawai.")


@dataclass(frozen=True)
class LoginRow:
    """One line of the demo login table."""

    username: str
    role: str
    scope: str


@dataclass(frozen=True)
class _LoginPlan:
    username: str
    role: str
    unit: Unit | None = None
    employee_key: str | None = None
    is_staff: bool = False


def _chain_member(staff: list[EmployeeSpec]) -> EmployeeSpec | None:
    """Return the first employee in plan order with a NIP and an atasan in the same unit.

    A "staff" employee comes first. A small UPT may have only its head and its head of
    administration, and then the head of administration is returned.
    """
    keys = {spec.key for spec in staff}
    members = [spec for spec in staff if spec.identity.nip and spec.supervisor_key in keys]
    return next((spec for spec in members if spec.role == "staff"), members[0] if members else None)


def _plans(*, specs: list[EmployeeSpec], agency: Unit | None, upt: Unit | None) -> list[_LoginPlan]:
    plans = [
        _LoginPlan("admin.bkd", Role.ADMIN_BKD, is_staff=True),
        _LoginPlan("operator.bkd", Role.OPERATOR_BKD),
    ]
    if upt is not None:
        upt_slug = slugify(upt.short_name or upt.code)
        plans.append(_LoginPlan(f"operator.{upt_slug}", Role.OPERATOR_UNIT, unit=upt))
        # The atasan of the UPT's staff gets a login too, so that a request the UPT operator
        # enters can be approved by the printed logins: this atasan, then the agency's Verifikator.
        upt_member = _chain_member([spec for spec in specs if spec.unit_code == upt.code])
        if upt_member is not None:
            plans.append(_LoginPlan(f"atasan.{upt_slug}", Role.SUPERVISOR,
                                    employee_key=upt_member.supervisor_key))
    if agency is None:
        return plans

    slug = slugify(agency.short_name or agency.code)
    staff = [spec for spec in specs if spec.unit_code == agency.code]
    head = next((spec for spec in staff if spec.role == "head"), None)
    administrator = next((spec for spec in staff if spec.role == "kasubag_umum"), None)
    manager = next((spec for spec in staff if spec.role == "middle"), None)
    member = next(
        (spec for spec in staff if manager and spec.role == "staff"
         and spec.supervisor_key == manager.key and spec.identity.nip),
        None,
    )
    if administrator is not None:
        plans.append(_LoginPlan(f"verifikator.{slug}", Role.VERIFIER, unit=agency,
                                employee_key=administrator.key))
    if head is not None:
        plans.append(_LoginPlan(f"pimpinan.{slug}", Role.LEADER, unit=agency, employee_key=head.key))
    if manager is not None:
        plans.append(_LoginPlan(f"atasan.{slug}", Role.SUPERVISOR, employee_key=manager.key))
    if member is not None:
        plans.append(_LoginPlan(f"pegawai.{slug}", Role.EMPLOYEE, employee_key=member.key))
    return plans


def demo_logins_upsert(*, specs: list[EmployeeSpec], ids: dict[str, int], agency: Unit | None,
                       upt: Unit | None) -> list[LoginRow]:
    """Create or update one login per role, scoped to `agency` and `upt`, and return the table.

    The password is reset to DEMO_PASSWORD only when it no longer matches, so that a re-run
    keeps the printed password valid without rewriting unchanged rows.
    """
    with transaction.atomic():
        for plan in _plans(specs=specs, agency=agency, upt=upt):
            employee_id = ids.get(plan.employee_key) if plan.employee_key else None
            # The employee link is one-to-one: release it from any other login first.
            if employee_id is not None:
                User.objects.filter(employee_id=employee_id).exclude(username=plan.username).update(
                    employee=None
                )
            user, created = User.objects.get_or_create(
                username=plan.username,
                defaults={"role": plan.role, "unit": plan.unit, "employee_id": employee_id,
                          "is_staff": plan.is_staff},
            )
            changed = created
            wanted = {"role": plan.role, "unit_id": plan.unit.pk if plan.unit else None,
                      "employee_id": employee_id, "is_staff": plan.is_staff, "is_active": True}
            for name, value in wanted.items():
                if getattr(user, name) != value:
                    setattr(user, name, value)
                    changed = True
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                changed = True
            if changed:
                user.save()
    return demo_logins()


def demo_logins() -> list[LoginRow]:
    """Read the demo logins (usernames starting with a role prefix) with their role and scope."""
    rows = []
    users = User.objects.select_related("unit", "employee").order_by("username")
    for prefix in ROLE_PREFIXES:
        for user in users.filter(username__startswith=prefix):
            rows.append(LoginRow(user.username, user.get_role_display(), login_scope(user)))
    return rows


def login_scope(user: User) -> str:
    """Describe what a login may read, in the words of the unit scope rules."""
    if user.role in (Role.ADMIN_BKD, Role.OPERATOR_BKD) or user.is_superuser:
        return _("whole province")
    if user.role in (Role.OPERATOR_UNIT, Role.VERIFIER, Role.LEADER):
        if user.unit is None:
            return _("nothing (no unit set)")
        return _("%(unit)s and its sub-units") % {"unit": user.unit.name}
    employee: Employee | None = user.employee
    if employee is None:
        return _("nothing (no employee record linked)")
    if user.role == Role.SUPERVISOR:
        return _("%(name)s and their subordinates") % {"name": employee.full_name}
    return _("own records of %(name)s") % {"name": employee.full_name}


def logins_table(rows: list[LoginRow]) -> str:
    """Format the login rows as a plain-text table for the console."""
    header = LoginRow(_("Username"), _("Role"), _("Scope"))
    lines = [header, *rows]
    width_user = max(len(row.username) for row in lines)
    width_role = max(len(row.role) for row in lines)
    text = [f"{row.username:<{width_user}}  {row.role:<{width_role}}  {row.scope}" for row in lines]
    text.insert(1, f"{'-' * width_user}  {'-' * width_role}  {'-' * len(header.scope)}")
    return "\n".join(text)
