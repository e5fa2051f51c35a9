"""`sao compute --from DATE --to DATE [--unit CODE]`: recompute daily results for a date range."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sao.attendance.compute import recompute, recompute_dirty
from sao.calendars.services import NoPolicyError
from sao.org.models import Unit


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("Invalid date %(value)r; write it as YYYY-MM-DD.") % {"value": text}) from exc


class Command(BaseCommand):
    help = gettext_lazy(
        "Recompute daily attendance results for a date range, or the queued days with --queued."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help=gettext_lazy("First date (YYYY-MM-DD)."))
        parser.add_argument("--to", dest="end", help=gettext_lazy("Last date (YYYY-MM-DD), inclusive."))
        parser.add_argument(
            "--unit",
            default="",
            help=gettext_lazy("Unit code; recompute only that unit and its sub-units."),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help=gettext_lazy("Processes that compute chunks in parallel (PostgreSQL only; default 1)."),
        )
        parser.add_argument(
            "--queued", action="store_true", help=gettext_lazy("Recompute the days waiting in the queue.")
        )

    def handle(self, *args, start, end, unit, queued, workers, **options):
        try:
            if queued:
                stats = recompute_dirty()
            else:
                if not start or not end:
                    raise CommandError(_("Give --from and --to (YYYY-MM-DD), or --queued."))
                first, last = _date(start), _date(end)
                if last < first:
                    raise CommandError(
                        _("--to %(last)s is before --from %(first)s; swap them.")
                        % {"last": last, "first": first}
                    )
                unit_obj = None
                if unit:
                    unit_obj = Unit.objects.filter(code=unit).first()
                    if unit_obj is None:
                        raise CommandError(
                            _("Unit %(code)s not found; use a code from the unit tree.") % {"code": unit}
                        )
                stats = recompute(start=first, end=last, unit=unit_obj, workers=max(workers, 1))
                # The rate reports read past days from per-unit counts; bring them up to date
                # now instead of at the next periodic refresh.
                from sao.reports.services import unit_day_counts_refresh

                unit_day_counts_refresh(start=first, end=last)
        except NoPolicyError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(
            _(
                "Computed %(results)s results for %(employees)s employees in %(seconds).2f s: "
                "%(written)s written, %(unchanged)s unchanged, %(deleted)s stale removed, "
                "%(frozen)s in closed months kept."
            )
            % {
                "results": stats.results,
                "employees": stats.employees,
                "seconds": stats.seconds,
                "written": stats.written,
                "unchanged": stats.unchanged,
                "deleted": stats.deleted,
                "frozen": stats.frozen_skipped,
            }
        )
        if stats.by_status:
            statuses = ", ".join(f"{code} {count}" for code, count in sorted(stats.by_status.items()))
            self.stdout.write(_("Results by status: %(statuses)s.") % {"statuses": statuses})
