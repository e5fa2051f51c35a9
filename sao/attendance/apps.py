from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "sao.attendance"
    label = "attendance"
    verbose_name = _("Attendance results")

    def ready(self):
        # Registers DailyResult with the unit scope.
        from sao.attendance import selectors  # noqa: F401
