"""`sao escalate-absences`: escalate requests waiting too long (the Huey task runs it hourly)."""

import datetime as dt

from django.core.management.base import BaseCommand

from sao.absences.services import ESCALATE_AFTER, absences_escalate


class Command(BaseCommand):
    help = "Escalate once every absence request that has waited at one stage longer than --days days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=float,
            default=ESCALATE_AFTER.days,
            help="Waiting time in days before a request is escalated (default: %(default)s).",
        )

    def handle(self, *args, days: float, **options):
        count = absences_escalate(after=dt.timedelta(days=days))
        self.stdout.write(f"{count} requests escalated.")
