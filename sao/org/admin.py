"""Django admin for the organisation master; open to BKD administrators only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sao.org.models import Employee, EmployeeTpp, LegalStatusPeriod, Unit, UnitAssignment, User
from sao.org.scope import is_bkd_admin
from sao.org.services import employee_tpp_delete, employee_tpp_set


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


class TppAmountInline(BkdAdminMixin, admin.TabularInline):
    model = EmployeeTpp
    extra = 1
    fields = ("valid_from", "amount")


@admin.register(Employee)
class EmployeeAdmin(BkdAdminMixin, admin.ModelAdmin):
    list_display = ("nip", "nik", "name", "kind", "unit", "legal_status")
    list_filter = ("kind", "legal_status")
    search_fields = ("nip", "nik", "name")
    raw_id_fields = ("unit", "supervisor")
    inlines = (AssignmentInline, LegalStatusInline, TppAmountInline)

    def save_formset(self, request, form, formset, change):
        """Write TPP amounts through the audited service; the other inlines are read-only."""
        if formset.model is not EmployeeTpp:
            super().save_formset(request, form, formset, change)
            return

        reason = str(_("Edited in the administration"))
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        for inline_form in formset.forms:
            if not inline_form.has_changed() and inline_form not in deleted:
                continue
            row = inline_form.instance
            if inline_form in deleted:
                if row.pk is not None:
                    employee_tpp_delete(row=row, actor=request.user, reason=reason)
                    formset.deleted_objects.append(row)
                continue
            if row.pk is not None and "valid_from" in inline_form.changed_data:
                # A moved start date makes a new dated amount, so the row at the old date is deleted.
                employee_tpp_delete(
                    row=EmployeeTpp.objects.get(pk=row.pk), actor=request.user, reason=reason
                )
            saved = employee_tpp_set(
                employee=form.instance,
                amount=inline_form.cleaned_data["amount"],
                valid_from=inline_form.cleaned_data["valid_from"],
                actor=request.user,
                reason=reason,
            )
            if row.pk is None or "valid_from" in inline_form.changed_data:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, inline_form.changed_data))


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
