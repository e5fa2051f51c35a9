"""`sao import-absences FILE --operator USERNAME`: absences already approved on paper."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sao.absences.importing import absences_import
from sao.org.importing.common import ImportFileError
from sao.org.models import User


class Command(BaseCommand):
    help = (
        "Import absences approved on paper from a CSV or XLSX file with the header "
        "nip,type,date_from,date_to,reference,note; each is audited as entered by --operator."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file.")
        parser.add_argument(
            "--operator",
            required=True,
            help="Username of the operator who enters them; limits the NIPs to their scope.",
        )

    def handle(self, *args, file: Path, operator: str, **options):
        if not file.is_file():
            raise CommandError(f"File {file} not found.")
        user = User.objects.filter(username=operator, is_active=True).first()
        if user is None:
            raise CommandError(f"Operator {operator} not found or inactive; give an existing username.")
        try:
            result = absences_import(data=file.read_bytes(), filename=file.name, operator=user)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(f"Absences: {len(result.created)} imported, {len(result.errors)} rejected.")
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows rejected; fix them and import them again.")
