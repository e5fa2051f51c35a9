from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sao.devices.importing import pin_map_import
from sao.org.importing.common import ImportFileError


class Command(BaseCommand):
    help = ("Map device PINs to employees from a CSV or XLSX file with the header "
            "device_serial,unit_code,pin,nip,valid_from (fill one of the first two). "
            "Stored punches of a newly mapped PIN get their employee.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file with one mapping per row.")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"File {file} not found.")
        try:
            result = pin_map_import(data=file.read_bytes(), filename=file.name,
                                    actor_label="sao import-pin-map")
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows rejected, nothing imported; fix them "
                               "and import again.")
        self.stdout.write(f"PIN mappings: {result.created} created, {result.unchanged} unchanged; "
                          f"{result.attached_punches} stored punches attached.")
