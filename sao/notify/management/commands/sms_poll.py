"""`sao sms-poll`: read Gammu SMSD's inbox once and act on every message."""

from django.core.management.base import BaseCommand, CommandError

from sao.notify.sms import poll_inbox


class Command(BaseCommand):
    help = "Read the Gammu SMSD inbox folder once, act on each SMS command and queue the replies."

    def add_arguments(self, parser):
        parser.add_argument(
            "--inbox", help="Inbox folder of the files service (default: SAO_NOTIFY['gammu_inbox'])."
        )

    def handle(self, *args, **options):
        try:
            counts = poll_inbox(inbox=options["inbox"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        details = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) or "-"
        self.stdout.write(f"{total} messages read ({details})")
