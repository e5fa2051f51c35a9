from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sao.devices.importing import devices_import
from sao.org.importing.common import ImportFileError


class Command(BaseCommand):
    help = ("Register devices from a CSV or XLSX file with the header "
            "serial,unit_code,model,time_zone,commissioned_on. A pending serial is accepted "
            "and the uploads it already sent are ingested.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file with one device per row.")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"File {file} not found.")
        try:
            result = devices_import(data=file.read_bytes(), filename=file.name,
                                    actor_label="sao import-devices")
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows rejected, nothing imported; fix them "
                               "and import again.")
        self.stdout.write(f"Devices: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged.")
