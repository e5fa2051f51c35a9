from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbsencesConfig(AppConfig):
    name = "sao.absences"
    label = "absences"
    verbose_name = _("Absences")

    def ready(self):
        # Registers AbsenceRequest with the unit scope.
        from sao.absences import selectors  # noqa: F401
