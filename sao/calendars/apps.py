from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "sao.calendars"
    label = "calendars"
    verbose_name = _("Schedules and holidays")

    def ready(self):
        # Registers the roster and schedule models with the unit scope.
        from sao.calendars import selectors  # noqa: F401
