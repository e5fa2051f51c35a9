"""The shared shape of the device file-import commands: read, import, report rows, summarise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sao.org.importing.common import ImportFileError


class FileImportCommand(BaseCommand):
    """Import one CSV or XLSX file; a rejected row rejects the whole file."""

    file_help = ""
    actor_label = ""

    def import_file(self, *, data: bytes, filename: str):
        raise NotImplementedError

    def summary(self, result) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=self.file_help)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"File {file} not found.")
        try:
            result = self.import_file(data=file.read_bytes(), filename=file.name)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows rejected, nothing imported; fix them "
                               "and import again.")
        self.stdout.write(self.summary(result))
