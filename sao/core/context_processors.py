from sao.absences.services import DELEGATION_ROLES
from sao.org.scope import can_edit_master, effective_role, is_bkd_admin


def permissions(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_edit_master": can_edit_master(user),
        "is_bkd_admin": is_bkd_admin(user),
        "can_manage_delegations": effective_role(user) in DELEGATION_ROLES,
    }
