from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.org.importing.common import ImportFileError
from sao.org.importing.employees import describe_changes, employees_apply, employees_plan


class Command(BaseCommand):
    help = ("Import employees from a SIMPEG/SIASN export (CSV or XLSX): valid rows are upserted "
            "by NIP (NIK for non-ASN), rejected rows are listed with line, column and fix.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file in the SIMPEG/SIASN layout.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Show what would change and write nothing.")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        if not file.is_file():
            raise CommandError(_("File %(file)s not found.") % {"file": file})
        try:
            plan = employees_plan(data=file.read_bytes(), filename=file.name)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        for error in plan.errors:
            self.stderr.write(f"{file}: {error}")
        for row in plan.rows:
            if row.action == "update":
                changes = ", ".join(f"{label}: {old} -> {new}"
                                    for label, old, new in describe_changes(row.changes))
                self.stdout.write(_("line %(line)s: update %(key)s (%(changes)s)")
                                  % {"line": row.line, "key": row.key, "changes": changes})
            elif row.action == "create" and options["verbosity"] > 1:
                self.stdout.write(_("line %(line)s: create %(key)s %(name)s")
                                  % {"line": row.line, "key": row.key, "name": row.name})

        if dry_run:
            self.stdout.write(_(
                "Dry run: %(create)s to create, %(update)s to update, %(unchanged)s unchanged, "
                "%(rejected)s rejected; nothing written."
            ) % {"create": plan.count("create"), "update": plan.count("update"),
                 "unchanged": plan.count("unchanged"), "rejected": len(plan.errors)})
            return

        result = employees_apply(plan=plan, actor_label="sao import-employees")
        self.stdout.write(_(
            "Employees: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(rejected)s rejected."
        ) % {"created": result.created, "updated": result.updated,
             "unchanged": result.unchanged, "rejected": len(result.errors)})
        if result.errors:
            raise CommandError(_(
                "%(count)s rows rejected; the other rows are saved. Fix the rejected rows and "
                "import the file again."
            ) % {"count": len(result.errors)})
