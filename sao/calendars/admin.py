"""Admin pages for BKD: holiday overrides (saved through the audited service) and read-only history."""

from __future__ import annotations

from django.contrib import admin

from sao.calendars.models import EmployeeSchedule, HolidayOverride, PolicyVersion, RosterEntry
from sao.calendars.services import holiday_override_save
from sao.org.admin import BkdAdminMixin


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ["date", "name", "category", "is_removal", "legal_basis"]
    list_filter = ["category", "is_removal"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        # The service audits the change and marks the date for recomputation.
        saved = holiday_override_save(
            date=obj.date,
            name=obj.name,
            category=obj.category,
            legal_basis=obj.legal_basis,
            is_removal=obj.is_removal,
            actor=request.user,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        # Removing a holiday is an override with "removes the holiday" set, so history stays.
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(BkdAdminMixin, admin.ModelAdmin):
    """Policy versions are read-only here; a new version is stored from the policy screen."""

    list_display = ["number", "created_at", "created_by", "created_by_label", "legal_basis"]
    readonly_fields = ["number", "document", "legal_basis", "created_at", "created_by", "created_by_label"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RosterEntry)
class RosterEntryAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ["employee", "date", "shift_code", "works_on_holiday"]
    list_filter = ["shift_code"]
    date_hierarchy = "date"
    raw_id_fields = ["employee"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmployeeSchedule)
class EmployeeScheduleAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ["employee", "profile_code", "valid_from", "valid_to"]
    raw_id_fields = ["employee"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
