"""`sao sms-poll`: read Gammu SMSD's inbox once and act on every message."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.notify.gammu_sql import GammuSqlError
from sao.notify.gateways import notify_settings
from sao.notify.sms import poll_inbox, poll_sql_inbox


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A property, so the text follows the language active when the parser is built.
        return _(
            "Read Gammu SMSD's inbox once (its database table or its inbox folder), act on each SMS "
            "command and queue the replies."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--inbox",
            help=_(
                "Inbox folder of the files service (default: SAO_NOTIFY['gammu_inbox']); "
                "reads the folder even when a gammu database is configured."
            ),
        )
        parser.add_argument(
            "--sql-url",
            help=_(
                "Gammu's database for the SQL service, e.g. postgres://gammu@127.0.0.1:5432/smsd "
                "(default: SAO_NOTIFY['gammu_sql_url'])."
            ),
        )

    def handle(self, *args, **options):
        sql_url = options["sql_url"] or ("" if options["inbox"] else notify_settings().get("gammu_sql_url"))
        try:
            counts = poll_sql_inbox(url=sql_url) if sql_url else poll_inbox(inbox=options["inbox"])
        except FileNotFoundError as exc:
            raise CommandError(
                _("Gammu inbox folder %(folder)s does not exist; check --inbox or SAO_NOTIFY['gammu_inbox'].")
                % {"folder": exc.filename}
            ) from exc
        except GammuSqlError as exc:
            raise CommandError(
                _("Gammu's database could not be read: %(error)s") % {"error": exc}
            ) from exc
        # "waiting" counts messages whose parts have not all arrived; they are read on a later run.
        total = sum(count for status, count in counts.items() if status != "waiting")
        details = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) or "-"
        self.stdout.write(_("%(total)s messages read (%(details)s)") % {"total": total, "details": details})
