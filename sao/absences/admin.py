"""Admin for BKD: absence types, leave rules and delegations, each change audited."""

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from sao.absences.models import AbsenceType, Delegation, LeaveRule
from sao.audit.services import audit_record, changed_fields
from sao.org.admin import BkdAdminMixin


class AuditedAdmin(BkdAdminMixin, admin.ModelAdmin):
    """Write an audit entry with the old and new values in the transaction of each save."""

    def save_model(self, request, obj, form, change):
        old = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            before, after = changed_fields(old, model_to_dict(obj))
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.{'update' if change else 'create'}",
                obj=obj,
                old=before or None,
                new=after,
            )

    def has_delete_permission(self, request, obj=None):
        # Requests and audit entries point at these rows; retire a type with "requestable" instead.
        return False


@admin.register(AbsenceType)
class AbsenceTypeAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "day_code",
        "counts_as_present",
        "tpp_rule",
        "leaves_denominator",
        "requestable",
    )
    list_filter = ("category", "tpp_rule", "requestable")


@admin.register(LeaveRule)
class LeaveRuleAdmin(AuditedAdmin):
    list_display = (
        "employee_kind",
        "annual_days",
        "carry_over",
        "max_after_one_year",
        "max_after_two_years",
        "partly_used_cap",
    )


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ("role", "kind", "official", "unit", "acting", "valid_from", "valid_to", "decree")
    list_filter = ("role", "kind")
    raw_id_fields = ("official", "acting", "unit")
