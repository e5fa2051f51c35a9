from django.contrib import admin

from sao.faults.models import FaultTargets


@admin.register(FaultTargets)
class FaultTargetsAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "silent_minutes", "response_minutes", "repair_minutes",
                    "log_full_percent")
