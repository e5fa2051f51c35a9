"""`sao escalate-absences`: escalate requests waiting too long (the Huey task runs it hourly)."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from sao.absences.services import ESCALATE_AFTER, absences_escalate


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A property, so the text follows the language active when the parser is built.
        return _(
            "Escalate once every absence request that has waited at one stage longer than --days days."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=float,
            default=ESCALATE_AFTER.days,
            help=_("Waiting time in days before a request is escalated (default: %(default)s)."),
        )

    def handle(self, *args, days: float, **options):
        count = absences_escalate(after=dt.timedelta(days=days))
        self.stdout.write(_("%(count)s requests escalated.") % {"count": count})
