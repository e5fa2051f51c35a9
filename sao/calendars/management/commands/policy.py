"""`sao policy export FILE` and `sao policy import FILE --legal-basis TEXT`."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sao.calendars.models import PolicyVersion
from sao.calendars.policy import PolicyError
from sao.calendars.services import policy_import


class Command(BaseCommand):
    help = "Export the attendance policy in force to a YAML file, or import a new version from one."

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=["export", "import", "check"],
            help="export: write the policy in force; import: store a new version; "
            "check: validate a file without storing it.",
        )
        parser.add_argument("file", type=Path, help="YAML policy file.")
        parser.add_argument(
            "--legal-basis", default="", help="Decree or circular behind the change (import)."
        )
        parser.add_argument(
            "--recompute-from",
            default="",
            help="After the import, recompute every employee's results from this date (YYYY-MM-DD) to today.",
        )

    def handle(self, *args, action, file: Path, legal_basis: str, recompute_from: str, **options):
        if action == "export":
            version = PolicyVersion.objects.order_by("-number").first()
            if version is None:
                raise CommandError(_("No policy is stored yet; import one first."))
            file.write_text(version.document, encoding="utf-8")
            self.stdout.write(
                _("Policy version %(number)s written to %(file)s.") % {"number": version.number, "file": file}
            )
            return

        if not file.is_file():
            raise CommandError(_("File %(file)s not found.") % {"file": file})
        document = file.read_text(encoding="utf-8")
        if action == "check":
            from sao.calendars.policy import parse_policy

            try:
                policy = parse_policy(document)
            except PolicyError as exc:
                raise CommandError(self._errors(file, exc)) from exc
            self.stdout.write(
                _("%(file)s: valid, %(profiles)s profiles, %(shifts)s shifts.")
                % {"file": file, "profiles": len(policy.profiles), "shifts": len(policy.shifts)}
            )
            return

        start = None
        if recompute_from:
            try:
                start = dt.date.fromisoformat(recompute_from)
            except ValueError as exc:
                raise CommandError(
                    _("Invalid --recompute-from %(value)s; write YYYY-MM-DD.") % {"value": recompute_from}
                ) from exc
        try:
            version = policy_import(
                document=document,
                legal_basis=legal_basis,
                actor_label="sao policy import",
            )
        except PolicyError as exc:
            raise CommandError(self._errors(file, exc)) from exc
        self.stdout.write(
            _("Policy version %(number)s stored from %(file)s.") % {"number": version.number, "file": file}
        )

        if start is not None:
            from django.utils import timezone

            from sao.attendance.compute import recompute

            stats = recompute(start=start, end=timezone.localdate())
            self.stdout.write(
                _(
                    "Recomputed %(results)s results of %(employees)s employees from %(start)s in "
                    "%(seconds).1f s."
                )
                % {
                    "results": stats.results,
                    "employees": stats.employees,
                    "start": start,
                    "seconds": stats.seconds,
                }
            )

    @staticmethod
    def _errors(file: Path, exc: PolicyError) -> str:
        lines = [
            ngettext(
                "%(file)s: %(count)s problem, nothing stored:",
                "%(file)s: %(count)s problems, nothing stored:",
                len(exc.errors),
            )
            % {"file": file, "count": len(exc.errors)}
        ]
        lines += [f"  {message}" for message in exc.errors]
        return "\n".join(lines)
