from django.contrib import admin

from sao.audit.models import AuditEntry
from sao.org.admin import BkdAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("object_label", "object_id", "actor_label")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
