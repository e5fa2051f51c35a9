"""`sao import-absences FILE --operator USERNAME`: absences already approved on paper."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.absences.importing import absences_import
from sao.org.importing.common import ImportFileError
from sao.org.models import User


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A property, so the text follows the language active when the parser is built.
        return _(
            "Import absences approved on paper from a CSV or XLSX file with the header "
            "nip,type,date_from,date_to,reference,note; each is audited as entered by --operator."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("CSV or XLSX file."))
        parser.add_argument(
            "--operator",
            required=True,
            help=_("Username of the operator who enters them; limits the NIPs to their scope."),
        )

    def handle(self, *args, file: Path, operator: str, **options):
        if not file.is_file():
            raise CommandError(_("File %(file)s not found.") % {"file": file})
        user = User.objects.filter(username=operator, is_active=True).first()
        if user is None:
            raise CommandError(
                _("Operator %(username)s not found or inactive; give an existing username.")
                % {"username": operator}
            )
        try:
            result = absences_import(data=file.read_bytes(), filename=file.name, operator=user)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(
            _("Absences: %(imported)s imported, %(rejected)s rejected.")
            % {"imported": len(result.created), "rejected": len(result.errors)}
        )
        if result.errors:
            raise CommandError(
                _("%(count)s rows rejected; fix them and import them again.") % {"count": len(result.errors)}
            )
