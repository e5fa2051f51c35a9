"""`sao report daily|recap|rates|tpp ...`: write a report to a file, the same file the screens offer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.reports import selectors, tables
from sao.reports.exports import FORMATS, write_file
from sao.reports.rates import RATE_CODES

KINDS = ("daily", "recap", "rates", "tpp", "tlpsw", "tk", "absence", "discipline")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("Invalid date %(value)s; write it as YYYY-MM-DD.") % {"value": text}) from exc


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(_("Invalid month %(value)s; write it as YYYY-MM.") % {"value": text}) from exc


class Command(BaseCommand):
    help = (
        "Write a report (daily list, monthly recap, rates, TPP, TL/PSW, TK, absences, discipline) to a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS, help="Report to write.")
        parser.add_argument("--unit", default="", help="Unit code; rates default to the whole province.")
        parser.add_argument(
            "--from", dest="start", default="", help="First date, YYYY-MM-DD (daily, rates, events)."
        )
        parser.add_argument(
            "--to", dest="end", default="", help="Last date, YYYY-MM-DD (default: the first date)."
        )
        parser.add_argument("--month", default="", help="Month, YYYY-MM (recap, tpp).")
        parser.add_argument("--year", type=int, help="Year (discipline; rates when --from is absent).")
        parser.add_argument(
            "--rate", choices=RATE_CODES, default="physical", help="Rate the ranking orders by."
        )
        parser.add_argument("--format", choices=FORMATS, default="csv", help="File format.")
        parser.add_argument("-o", "--output", required=True, help="File to write.")

    def handle(self, *args, kind: str, **options):
        from sao.org.models import Unit, User

        # The command runs with the whole province in scope, as the BKD administrator would.
        user = User(username="sao-report", is_superuser=True, is_active=True)
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(
                    _("Unit %(code)s not found; give the code shown in the unit tree.")
                    % {"code": options["unit"]}
                )
        elif kind != "rates":
            raise CommandError(_("The %(kind)s report needs --unit CODE.") % {"kind": kind})

        table = self._table(kind, user=user, unit=unit, options=options)
        output = Path(options["output"])
        signatory = selectors.signatory_for(unit) if unit is not None else None
        rows = write_file(table, file_format=options["format"], path=output, signatory=signatory)
        self.stdout.write(
            _("Wrote %(file)s (%(format)s, %(rows)s rows).")
            % {"file": output, "format": options["format"], "rows": rows}
        )

    def _table(self, kind: str, *, user, unit, options):
        start = _date(options["start"]) if options["start"] else None
        end = _date(options["end"]) if options["end"] else start
        month = _month(options["month"]) if options["month"] else None
        year = options.get("year")

        if kind == "daily":
            if start is None:
                raise CommandError(_("The daily report needs --from YYYY-MM-DD."))
            return tables.daily_table(user=user, unit=unit, day=start, end=end)
        if kind in ("recap", "tpp"):
            if month is None:
                raise CommandError(_("The %(kind)s report needs --month YYYY-MM.") % {"kind": kind})
            builder = tables.recap_table if kind == "recap" else tables.tpp_table
            return builder(user=user, unit=unit, month=month)
        if kind == "discipline":
            return tables.discipline_table(user=user, unit=unit, year=year or dt.date.today().year)
        if start is None and year is None:
            raise CommandError(
                _("The %(kind)s report needs --from YYYY-MM-DD or --year YYYY.") % {"kind": kind}
            )
        if start is None:
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if end < start:
            raise CommandError(
                _("--to %(end)s is before --from %(start)s; swap them.") % {"end": end, "start": start}
            )
        if kind == "rates":
            from sao.reports.dashboard import highest_target

            return tables.rates_table(
                user=user, start=start, end=end, rate=options["rate"], under=unit, target=highest_target()
            )
        return tables.events_table(user=user, unit=unit, start=start, end=end, kind=kind)
