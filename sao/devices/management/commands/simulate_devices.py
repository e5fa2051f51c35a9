"""`sao simulate-devices`: push simulated punches over HTTP to a running SAO server."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.devices.simulator.push import DeviceSpec, simulate_push


class Command(BaseCommand):
    help = _("Simulate push-protocol devices (handshake, getrequest, ATTLOG posts) against a "
             "running server. Unknown serials are held as pending devices unless --register-unit "
             "names the unit to register them in.")

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help=_("Base URL of the server (default http://127.0.0.1:8000)."))
        parser.add_argument("--devices", type=int, default=1, help=_("Number of devices (default 1)."))
        parser.add_argument("--pins", type=int, default=20,
                            help=_("Employees enrolled on each device (default 20)."))
        parser.add_argument("--days", type=int, default=1, help=_("Number of days to send (default 1)."))
        parser.add_argument("--start", type=dt.date.fromisoformat, default=None,
                            help=_("First day, YYYY-MM-DD (default: DAYS days before today)."))
        parser.add_argument("--seed", type=int, default=0, help=_("Random seed (default 0)."))
        parser.add_argument("--batch-size", type=int, default=50,
                            help=_("ATTLOG lines per POST (default 50)."))
        parser.add_argument("--workers", type=int, default=4,
                            help=_("Devices sending at the same time (default 4)."))
        parser.add_argument("--drop-rate", type=float, default=0.0,
                            help=_("Share of replies lost, each followed by a resend (0 to 1)."))
        parser.add_argument("--max-drift", type=int, default=0,
                            help=_("Largest device clock error in seconds, drawn per device."))
        parser.add_argument("--drift-per-day", type=float, default=0.0,
                            help=_("Seconds every device clock gains (negative: loses) per day."))
        parser.add_argument("--serial-prefix", default="SIM",
                            help=_("Serial numbers are PREFIX followed by 10 digits (default SIM)."))
        parser.add_argument("--time-zone", default="Asia/Makassar",
                            help=_("IANA time zone of the devices' units (default Asia/Makassar)."))
        parser.add_argument("--register-unit", default="",
                            help=_("Register the devices in the unit with this code first (writes to "
                                   "the database this command is configured with)."))

    def handle(self, *args, **options):
        if options["devices"] < 1 or options["days"] < 1 or options["pins"] < 1:
            raise CommandError(_("--devices, --days and --pins must be at least 1."))
        if not 0 <= options["drop_rate"] < 1:
            raise CommandError(_("--drop-rate must be at least 0 and below 1, e.g. 0.05."))

        start = options["start"] or dt.date.today() - dt.timedelta(days=options["days"])
        end = start + dt.timedelta(days=options["days"] - 1)
        pins = [str(1000 + number) for number in range(1, options["pins"] + 1)]
        prefix = options["serial_prefix"]
        specs = [DeviceSpec(f"{prefix}{number:010d}", tuple(pins), options["time_zone"])
                 for number in range(1, options["devices"] + 1)]

        if options["register_unit"]:
            self._register(specs, options["register_unit"], options["time_zone"])

        stats = simulate_push(url=options["url"], devices=specs, start=start, end=end,
                              seed=options["seed"], batch_size=options["batch_size"],
                              workers=options["workers"], drop_rate=options["drop_rate"],
                              max_drift_seconds=options["max_drift"],
                              drift_per_day=options["drift_per_day"])

        self.stdout.write(
            _("%(devices)s devices, %(start)s to %(end)s: %(generated)s punches generated, "
              "%(sent)s lines sent in %(posts)s posts (%(resends)s resends after %(dropped)s dropped "
              "replies), %(acknowledged)s acknowledged, %(errors)s errors, %(seconds)s s, "
              "%(rate)s lines/s.")
            % {"devices": stats.devices, "start": start, "end": end, "generated": stats.punches_generated,
               "sent": stats.lines_sent, "posts": stats.posts, "resends": stats.resends,
               "dropped": stats.dropped_replies, "acknowledged": stats.lines_acknowledged,
               "errors": stats.errors, "seconds": stats.seconds,
               "rate": int(stats.lines_sent / stats.seconds) if stats.seconds else 0})
        for sample in stats.error_samples:
            self.stdout.write("  " + sample)
        if stats.errors:
            raise CommandError(_("%(count)s requests failed; see the samples above.")
                               % {"count": stats.errors})

    def _register(self, specs, unit_code: str, time_zone: str) -> None:
        from sao.devices.services import device_register
        from sao.org.models import Unit

        try:
            unit = Unit.objects.get(code=unit_code)
        except Unit.DoesNotExist as exc:
            raise CommandError(_("Unit %(code)s does not exist; check the unit code.")
                               % {"code": unit_code}) from exc
        for spec in specs:
            device_register(serial=spec.serial, unit=unit, time_zone=time_zone,
                            commissioned_on=dt.date(2000, 1, 2), actor_label="simulate-devices")
