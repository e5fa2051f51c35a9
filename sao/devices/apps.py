from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "sao.devices"
    label = "devices"
    verbose_name = _("Devices and punches")

    def ready(self) -> None:
        # Registers the unit scope of Device, Punch and the other models of this app.
        from sao.devices import selectors  # noqa: F401
