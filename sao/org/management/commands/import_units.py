from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sao.org.importing.common import ImportFileError
from sao.org.importing.units import units_import


class Command(BaseCommand):
    help = "Create or update the unit tree from a CSV or XLSX file (code,parent_code,kind,name,...)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file with the unit tree.")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"File {file} not found.")
        try:
            result = units_import(data=file.read_bytes(), filename=file.name,
                                  actor_label="sao import-units")
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(
            f"Units: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.errors)} rejected."
        )
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows rejected; fix them and import again.")
