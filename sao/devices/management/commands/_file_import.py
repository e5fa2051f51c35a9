"""The shared shape of the device file-import commands: read, import, report rows, summarise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
            raise CommandError(_("File %(file)s not found; check the path.") % {"file": file})
        try:
            result = self.import_file(data=file.read_bytes(), filename=file.name)
        except ImportFileError as exc:
            raise CommandError(_("%(file)s: %(error)s") % {"file": file, "error": exc}) from exc

        for error in result.errors:
            self.stderr.write(_("%(file)s: %(error)s") % {"file": file, "error": error})
        if result.errors:
            raise CommandError(_("%(count)s rows rejected, nothing imported; fix them and import "
                                 "again.") % {"count": len(result.errors)})
        self.stdout.write(self.summary(result))
