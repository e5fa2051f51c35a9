"""`sao demo`: build the demo province (units, employees, one login per role)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.demo.logins import DEMO_PASSWORD, logins_table
from sao.demo.services import DEFAULT_EMPLOYEES, DEFAULT_SEED, demo_build
from sao.demo.staffing import StaffingError
from sao.demo.units import ORIGIN_LABELS, UnitsFileError
from sao.org.importing.common import ImportFileError


class Command(BaseCommand):
    help = _("Build the demo province: the Kaltim unit tree, synthetic employees and one login per "
             "role. Running it again adds nothing.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--units", default=None,
            help=_("Unit tree CSV or XLSX (default: $SAO_UNITS_FILE, else "
                   "../shared/fixtures/kaltim-units.csv beside the repository, else the bundled "
                   "seed)."),
        )
        parser.add_argument(
            "--employees", type=int, default=DEFAULT_EMPLOYEES,
            help=_("Number of synthetic employees (default %(count)s).") % {"count": DEFAULT_EMPLOYEES},
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED,
            help=_("Random seed; the same seed gives the same people (default %(seed)s).")
            % {"seed": DEFAULT_SEED},
        )

    def handle(self, *args, units, employees: int, seed: int, **options):
        if employees < 1:
            raise CommandError(_("--employees %(count)s is invalid; give a positive number.")
                               % {"count": employees})
        try:
            result = demo_build(units_option=units, employees=employees, seed=seed)
        except (UnitsFileError, StaffingError) as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError(_("Unit file: %(error)s") % {"error": exc}) from exc

        self.stdout.write(_("Unit file: %(path)s (%(origin)s)")
                          % {"path": result.units_file.path,
                             "origin": ORIGIN_LABELS[result.units_file.origin]})
        imports = ((_("Units"), result.units), (_("Demo schools and sub-units"), result.demo_units))
        for label, imported in imports:
            self.stdout.write(
                _("%(label)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                  "%(rejected)s rejected.")
                % {"label": label, "created": imported.created, "updated": imported.updated,
                   "unchanged": imported.unchanged, "rejected": len(imported.errors)}
            )
            for error in imported.errors:
                self.stderr.write(f"  {error}")
        self.stdout.write(
            _("Employees: %(planned)s planned, %(created)s created, %(existing)s already present.")
            % {"planned": result.planned, "created": result.created, "existing": result.existing}
        )
        if result.conflicts:
            self.stderr.write(
                _("%(count)s planned employees skipped because another employee already holds their "
                  "NIK (first: %(key)s).") % {"count": len(result.conflicts), "key": result.conflicts[0]}
            )
        for event in result.events:
            self.stdout.write(f"  {event}")
        self.stdout.write(_("Done in %(seconds).1f s.") % {"seconds": result.seconds})

        self.stdout.write("")
        self.stdout.write(logins_table(result.logins))
        self.stdout.write("")
        self.stdout.write(self.style.WARNING(
            _("DEMO ONLY: every login above has the password %(password)s. Never use these logins "
              "or this password with real data.") % {"password": DEMO_PASSWORD}
        ))
