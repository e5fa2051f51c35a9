"""Django admin for the organisation master; open to BKD administrators only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sao.org.models import Employee, LegalStatusPeriod, Unit, UnitAssignment, User
from sao.org.scope import is_bkd_admin


class BkdAdminMixin:
    """Grant every admin permission to Admin BKD accounts, whatever their Django permissions."""

    def has_module_permission(self, request):
        return is_bkd_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_bkd_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_bkd_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_bkd_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_bkd_admin(request.user)


@admin.register(Unit)
class UnitAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "city", "time_zone", "schedule_profile", "is_active")
    list_filter = ("kind", "time_zone", "schedule_profile", "is_active")
    search_fields = ("code", "name", "short_name")
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):
        obj.compute_path()
        super().save_model(request, obj, form, change)


class AssignmentInline(BkdAdminMixin, admin.TabularInline):
    model = UnitAssignment
    extra = 0
    readonly_fields = ("unit", "valid_from", "valid_to", "decree")


class LegalStatusInline(BkdAdminMixin, admin.TabularInline):
    model = LegalStatusPeriod
    extra = 0
    readonly_fields = ("status", "valid_from", "valid_to", "decree")


@admin.register(Employee)
class EmployeeAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ("nip", "nik", "name", "kind", "unit", "legal_status")
    list_filter = ("kind", "legal_status")
    search_fields = ("nip", "nik", "name")
    raw_id_fields = ("unit", "supervisor")
    inlines = (AssignmentInline, LegalStatusInline)


@admin.register(User)
class SaoUserAdmin(BkdAdminMixin, UserAdmin):
    list_display = ("username", "full_name", "role", "unit", "employee", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("unit", "employee")
    @admin.display(description=_("name"))
    def full_name(self, obj):
        return obj.get_full_name()

    fieldsets = (
        *UserAdmin.fieldsets,
        (_("SAO role and scope"), {"fields": ("role", "unit", "employee", "language")}),
    )
