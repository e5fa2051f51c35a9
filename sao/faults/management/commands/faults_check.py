"""`sao faults-check [--at TIME]`: run the device fault check once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.faults.services import faults_check


class Command(BaseCommand):
    help = _("Open fault tickets for devices silent in working hours, with clock drift or a full "
             "log, and close the outage windows of devices back in contact.")

    def add_arguments(self, parser):
        parser.add_argument("--at", default="",
                            help=_("Check as of this ISO time with an offset, e.g. "
                                   "2026-05-12T09:40+08:00 (default: now)."))

    def handle(self, *args, at, **options):
        now = timezone.now()
        if at:
            try:
                now = dt.datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(_("Invalid time %(value)s. Write it as YYYY-MM-DDTHH:MM+08:00.")
                                   % {"value": repr(at)}) from exc
            if now.tzinfo is None:
                raise CommandError(_("Time %(value)s has no offset. Add one, e.g. +08:00 for WITA.")
                                   % {"value": repr(at)})

        summary = faults_check(now=now)
        self.stdout.write(
            _("Checked %(devices)s devices: %(opened)s tickets opened, %(closed)s outage windows "
              "closed.")
            % {"devices": summary.devices, "opened": len(summary.opened),
               "closed": len(summary.windows_closed)}
        )
        for code in sorted(set(summary.skipped_units)):
            self.stderr.write(_("Unit %(code)s has no policy profile, so its devices were not "
                                "checked for silence. Map it under unit_profiles in the policy.")
                              % {"code": code})
