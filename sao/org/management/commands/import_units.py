from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.org.importing.common import ImportFileError
from sao.org.importing.units import units_import


class Command(BaseCommand):
    help = "Create or update the unit tree from a CSV or XLSX file (code,parent_code,kind,name,...)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file with the unit tree.")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(_("File %(file)s not found.") % {"file": file})
        try:
            result = units_import(data=file.read_bytes(), filename=file.name,
                                  actor_label="sao import-units")
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(_(
            "Units: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(rejected)s rejected."
        ) % {"created": result.created, "updated": result.updated,
             "unchanged": result.unchanged, "rejected": len(result.errors)})
        if result.errors:
            raise CommandError(_(
                "%(count)s rows rejected; the other rows are saved. Fix the rejected rows and "
                "import the file again."
            ) % {"count": len(result.errors)})
