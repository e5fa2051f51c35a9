"""`sao import-roster FILE`: import shift rosters from CSV or XLSX."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.calendars.policy import PolicyError
from sao.calendars.services import NoPolicyError, roster_import
from sao.org.importing.common import ImportFileError


class Command(BaseCommand):
    help = (
        "Import rosters from CSV or XLSX: columns nip,date,shift (one row per day) or "
        "nip,month,1..31 (one row per month); L or an empty cell is a day off."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX roster file.")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(_("File %(file)s not found.") % {"file": file})
        try:
            result = roster_import(
                data=file.read_bytes(), filename=file.name, actor_label="sao import-roster"
            )
        except (ImportFileError, PolicyError, NoPolicyError) as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(
            _("Roster: %(applied)s shifts written, %(days_off)s days off, %(rejected)s rejected.")
            % {"applied": result.applied, "days_off": result.days_off, "rejected": len(result.errors)}
        )
        if result.errors:
            raise CommandError(
                _("%(count)s rows rejected; fix them and import again.") % {"count": len(result.errors)}
            )
