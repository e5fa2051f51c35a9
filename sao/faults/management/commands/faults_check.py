"""`sao faults-check [--at TIME]`: run the device fault check once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sao.faults.services import faults_check


class Command(BaseCommand):
    help = ("Open fault tickets for devices silent in working hours, with clock drift or a full "
            "log, and close the outage windows of devices back in contact.")

    def add_arguments(self, parser):
        parser.add_argument("--at", default="",
                            help="Check as of this ISO time with an offset, e.g. "
                                 "2026-05-12T09:40+08:00 (default: now).")

    def handle(self, *args, at, **options):
        now = timezone.now()
        if at:
            try:
                now = dt.datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(f"Invalid time {at!r}. Write it as YYYY-MM-DDTHH:MM+08:00.") from exc
            if now.tzinfo is None:
                raise CommandError(f"Time {at!r} has no offset. Add one, e.g. +08:00 for WITA.")

        summary = faults_check(now=now)
        self.stdout.write(
            f"Checked {summary.devices} devices: {len(summary.opened)} tickets opened, "
            f"{len(summary.windows_closed)} outage windows closed."
        )
        for code in sorted(set(summary.skipped_units)):
            self.stderr.write(f"Unit {code} has no policy profile, so its devices were not checked "
                              "for silence. Map it under unit_profiles in the policy.")
