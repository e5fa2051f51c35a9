"""The BKD dashboard: today's presence, rankings against the targets, trends and open problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from sao.reports import selectors
from sao.reports.exports import ReportTable
from sao.reports.rates import RATE_FORMULAS, RATE_LABELS, Counts, RankedRow, rates_from, total
from sao.reports.today import today_by_agency

TREND_MONTHS = 12
TREND_YEARS = 5
FURTHEST_COUNT = 10


def targets() -> list[tuple[str, Decimal]]:
    from sao.reports.models import RateTarget

    return list(RateTarget.objects.filter(is_active=True).order_by("percent").values_list("label", "percent"))


def highest_target() -> Decimal | None:
    values = [percent for _label, percent in targets()]
    return max(values) if values else None


def today_rows(*, user, day: dt.date):
    """Return (OPD, counts, rates, not yet present) for today's panel, every scheduled employee counted."""
    return [
        (row.unit, row.counts, rates_from(row.counts), row.not_yet_present)
        for row in today_by_agency(user=user, day=day)
    ]


def _months_back(month: dt.date, count: int) -> list[dt.date]:
    months = []
    current = month.replace(day=1)
    for _index in range(count):
        months.append(current)
        current = (current - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def trend(
    *, user, rate: str, period: str, periods: list[dt.date], end: dt.date
) -> list[tuple[dt.date, Counts]]:
    # Summed per period in the database: the trend needs no per-unit counts.
    counts = selectors.rate_counts(user=user, start=periods[0], end=end, period=period, by_unit=False)
    return [(key, total(counts.get(key, {}).values())) for key in periods]


@dataclass
class DashboardData:
    rate: str
    month: dt.date
    targets: list[tuple[str, Decimal]]
    today: list
    agencies: list[RankedRow]
    upts: list[RankedRow]
    furthest: list[RankedRow]
    trend_months: list[tuple[dt.date, Counts]]
    trend_years: list[tuple[dt.date, Counts]]
    devices_offline: tuple[int, list]
    open_faults: tuple[int, list] | None
    absences_late: tuple[int, list] | None

    def _value(self, rates):
        return rates.get(self.rate)

    def agency_pairs(self) -> list[tuple[RankedRow, Decimal | None]]:
        return [(row, self._value(row.rates)) for row in self.agencies]

    def upt_pairs(self) -> list[tuple[RankedRow, Decimal | None]]:
        return [(row, self._value(row.rates)) for row in self.upts]

    def month_points(self) -> list[tuple[dt.date, Counts, Decimal | None]]:
        return [(key, counts, self._value(rates_from(counts))) for key, counts in self.trend_months]

    def year_points(self) -> list[tuple[dt.date, Counts, Decimal | None]]:
        return [(key, counts, self._value(rates_from(counts))) for key, counts in self.trend_years]

    def chart_data(self) -> dict:
        """Return the series of the four charts and the target lines, for json_script."""

        def values(rows):
            return [
                None if row.rates.get(self.rate) is None else float(row.rates.get(self.rate)) for row in rows
            ]

        def trend_values(items):
            return [
                None
                if rates_from(counts).get(self.rate) is None
                else float(rates_from(counts).get(self.rate))
                for _key, counts in items
            ]

        return {
            "rate": str(RATE_LABELS[self.rate]),
            "targets": [{"label": label, "value": float(percent)} for label, percent in self.targets],
            "agencies": {"labels": [row.unit.code for row in self.agencies], "values": values(self.agencies)},
            "upts": {"labels": [row.unit.code for row in self.upts], "values": values(self.upts)},
            "months": {
                "labels": [key.strftime("%Y-%m") for key, _counts in self.trend_months],
                "values": trend_values(self.trend_months),
            },
            "years": {
                "labels": [str(key.year) for key, _counts in self.trend_years],
                "values": trend_values(self.trend_years),
            },
        }


def build(*, user, rate: str, month: dt.date, now: dt.datetime) -> DashboardData:
    """Load everything the dashboard shows: one grouped query per panel."""
    first, last = selectors.month_bounds(month)
    target_list = targets()
    top_target = max((percent for _label, percent in target_list), default=None)

    report = selectors.rates_report(user=user, start=first, end=last, period="month", rate=rate)
    agencies = report.ranking(selectors.AGENCY_KINDS, target=top_target)
    upts = report.ranking(selectors.UPT_KINDS, target=top_target)
    below = [row for row in agencies + upts if row.gap is not None and row.gap < 0]
    furthest = sorted(below, key=lambda row: (row.gap, row.unit.code))[:FURTHEST_COUNT]

    months = _months_back(first, TREND_MONTHS)
    years = [dt.date(first.year - offset, 1, 1) for offset in reversed(range(TREND_YEARS))]
    return DashboardData(
        rate=rate,
        month=first,
        targets=target_list,
        today=today_rows(user=user, day=timezone.localdate(now)),
        agencies=agencies,
        upts=upts,
        furthest=furthest,
        trend_months=trend(user=user, rate=rate, period="month", periods=months, end=last),
        trend_years=trend(
            user=user, rate=rate, period="year", periods=years, end=dt.date(first.year, 12, 31)
        ),
        devices_offline=selectors.devices_offline(user=user, now=now),
        open_faults=selectors.open_faults(user=user),
        absences_late=selectors.absences_entered_late(user=user),
    )


CHARTS = ("today", "agencies", "upts", "months", "years")


def chart_table(*, user, chart: str, rate: str, month: dt.date, day: dt.date) -> ReportTable | None:
    """Return the table behind one dashboard chart, for its CSV download."""
    label = str(RATE_LABELS[rate])
    if chart == "today":
        rows = [
            [
                unit.code,
                unit.name,
                counts.scheduled,
                counts.present,
                waiting,
                counts.on_duty,
                counts.unexcused,
                rates.physical,
            ]
            for unit, counts, rates, waiting in today_rows(user=user, day=day)
        ]
        return ReportTable(
            slug=f"today-{day.isoformat()}",
            title=_("Presence today"),
            subtitle=day.isoformat(),
            header=[
                "unit_code",
                "unit_name",
                "scheduled",
                "present",
                "not_yet_present",
                "on_duty",
                "tk",
                "physical_percent",
            ],
            rows=rows,
        )
    first, last = selectors.month_bounds(month)
    if chart in ("agencies", "upts"):
        kinds = selectors.AGENCY_KINDS if chart == "agencies" else selectors.UPT_KINDS
        report = selectors.rates_report(user=user, start=first, end=last, period="month", rate=rate)
        ranked = report.ranking(kinds, target=highest_target())
        rows = [
            [row.rank, row.unit.code, row.unit.name, row.counts.scheduled, row.rates.get(rate), row.gap]
            for row in ranked
        ]
        return ReportTable(
            slug=f"ranking-{chart}-{first:%Y-%m}",
            title=_("Ranking by %(rate)s") % {"rate": label},
            subtitle=first.strftime("%Y-%m"),
            header=["rank", "unit_code", "unit_name", "scheduled", f"{rate}_percent", "gap_to_target"],
            rows=rows,
            notes=[f"{label} = {RATE_FORMULAS[rate]}"],
        )
    if chart in ("months", "years"):
        if chart == "months":
            periods = _months_back(first, TREND_MONTHS)
            items = trend(user=user, rate=rate, period="month", periods=periods, end=last)
            keys = [key.strftime("%Y-%m") for key, _counts in items]
        else:
            periods = [dt.date(first.year - offset, 1, 1) for offset in reversed(range(TREND_YEARS))]
            items = trend(
                user=user, rate=rate, period="year", periods=periods, end=dt.date(first.year, 12, 31)
            )
            keys = [str(key.year) for key, _counts in items]
        rows = [
            [key, counts.scheduled, rates_from(counts).get(rate)]
            for key, (_period, counts) in zip(keys, items, strict=True)
        ]
        return ReportTable(
            slug=f"trend-{chart}-{first:%Y-%m}",
            title=_("Trend of %(rate)s") % {"rate": label},
            subtitle="",
            header=["period", "scheduled", f"{rate}_percent"],
            rows=rows,
            notes=[f"{label} = {RATE_FORMULAS[rate]}"],
        )
    return None
