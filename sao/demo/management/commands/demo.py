"""`sao demo`: build the demo province (units, employees, one login per role)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.core.labels import status_label
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

        parser.add_argument(
            "--no-punches", action="store_true",
            help=_("Skip devices, punches and computed results."),
        )
        parser.add_argument(
            "--days", type=int, default=None,
            help=_("Number of days of punches, ending yesterday (default: the two full months "
                   "before this one and this month up to yesterday)."),
        )

    def handle(self, *args, units, employees: int, seed: int, no_punches: bool, days: int | None,
               **options):
        if employees < 1:
            raise CommandError(_("--employees %(count)s is invalid; give a positive number.")
                               % {"count": employees})
        if days is not None and days < 1:
            raise CommandError(_("--days %(count)s is invalid; give a positive number.")
                               % {"count": days})
        try:
            result = demo_build(units_option=units, employees=employees, seed=seed,
                                punches=not no_punches, days=days)
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
        if result.devices is not None:
            self._attendance_write(result)
        self.stdout.write(_("Done in %(seconds).1f s.") % {"seconds": result.seconds})

        self.stdout.write("")
        self.stdout.write(logins_table(result.logins))
        self.stdout.write("")
        self.stdout.write(self.style.WARNING(
            _("DEMO ONLY: every login above has the password %(password)s. Never use these logins "
              "or this password with real data.") % {"password": DEMO_PASSWORD}
        ))

    def _attendance_write(self, result) -> None:
        devices = result.devices
        self.stdout.write(
            _("Devices: %(count)s at %(sites)s units, %(created)s created; %(mappings)s PIN "
              "mappings created.")
            % {"count": sum(len(site.serials) for site in devices.sites), "sites": len(devices.sites),
               "created": devices.devices_created, "mappings": devices.mappings_created}
        )
        self.stdout.write(_("Hospital rosters: %(count)s shifts. Approved absences: %(absences)s "
                            "created.") % {"count": result.shifts, "absences": result.absences})
        push = result.push
        self.stdout.write(
            _("Punches %(start)s to %(end)s: %(generated)s generated, %(sent)s lines sent in "
              "%(posts)s posts, %(errors)s errors, in %(seconds).1f s.")
            % {"start": result.punch_start, "end": result.punch_end,
               "generated": push.punches_generated, "sent": push.lines_sent, "posts": push.posts,
               "errors": push.errors, "seconds": push.seconds}
        )
        for sample in push.error_samples:
            self.stderr.write(f"  {sample}")
        by_status = sorted(result.compute.by_status.items())
        statuses = ", ".join(f"{status_label(status)} {count}" for status, count in by_status)
        self.stdout.write(_("Results: %(count)s computed in %(seconds).1f s (%(statuses)s).")
                          % {"count": result.compute.results, "seconds": result.compute.seconds,
                             "statuses": statuses})
