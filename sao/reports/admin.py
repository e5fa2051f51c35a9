from django.contrib import admin

from sao.reports.models import RateTarget, ReportSignatory


@admin.register(RateTarget)
class RateTargetAdmin(admin.ModelAdmin):
    list_display = ["label", "percent", "is_active"]


@admin.register(ReportSignatory)
class ReportSignatoryAdmin(admin.ModelAdmin):
    list_display = ["unit", "name", "nip", "position"]
    list_select_related = ["unit"]
    search_fields = ["unit__code", "unit__name", "name", "nip"]
