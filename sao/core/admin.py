"""Let Admin BKD unlock accounts: django-axes registers its lockout records for superusers only."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

from sao.org.admin import BkdAdminMixin

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(BkdAdminMixin, AccessAttemptAdmin):
    """Failed login attempts; deleting the row of a locked username unlocks it."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
