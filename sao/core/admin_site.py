"""Django admin is for BKD administrators only."""

from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


def restrict_admin_to_bkd(site: AdminSite) -> None:
    from sao.org.scope import is_bkd_admin

    def has_permission(request) -> bool:
        return request.user.is_active and request.user.is_authenticated and is_bkd_admin(request.user)

    site.has_permission = has_permission
    site.site_header = _("SAO administration")
    site.site_title = _("SAO")
    site.index_title = _("Master data")
