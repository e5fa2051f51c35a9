"""Holidays (libur nasional) and cuti bersama for a date range.

Sources, in order:
1. the `holidays` package, with the country and categories of the policy. Version 0.109 is
   pinned because older releases lack the 2027 decree and the 18 Aug 2025 cuti bersama;
2. the policy's own extra and removed dates;
3. the HolidayOverride rows edited by BKD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays as holidays_package

from sao.attendance.engine import HolidayInput

# Category of the `holidays` package → SAO category code.
PACKAGE_CATEGORIES = {"PUBLIC": "LN", "GOVERNMENT": "CB"}


def package_holidays(
    *, country: str, categories: Iterable[str], years: Iterable[int]
) -> dict[dt.date, HolidayInput]:
    """Return the holidays the `holidays` package lists, by date, with LN or CB as category."""
    found: dict[dt.date, HolidayInput] = {}
    years = list(years)
    for category in categories:
        table = holidays_package.country_holidays(
            country, years=years, categories=(category.lower(),), language="id"
        )
        for day, name in sorted(table.items()):
            # A public holiday wins when the package lists both kinds on one date.
            if day not in found or PACKAGE_CATEGORIES.get(category) == "LN":
                found[day] = HolidayInput(
                    date=day, name=name, category=PACKAGE_CATEGORIES.get(category, category)
                )
    return found


def holidays_between(
    policy, start: dt.date, end: dt.date, *, overrides: Iterable = ()
) -> dict[dt.date, HolidayInput]:
    """Return the holidays from `start` to `end` inclusive under `policy`, with `overrides` applied.

    `overrides` are HolidayOverride-like objects with date, name, category and is_removal.
    """
    found: dict[dt.date, HolidayInput] = {}
    if policy.holiday_source == "package":
        found = package_holidays(
            country=policy.holiday_country,
            categories=policy.holiday_categories,
            years=range(start.year, end.year + 1),
        )
    for extra in policy.extra_holidays:
        found[extra.date] = HolidayInput(date=extra.date, name=extra.name, category=extra.category)
    for day in policy.removed_holidays:
        found.pop(day, None)
    for override in overrides:
        if override.is_removal:
            found.pop(override.date, None)
        else:
            found[override.date] = HolidayInput(
                date=override.date, name=override.name, category=override.category
            )
    return {day: holiday for day, holiday in found.items() if start <= day <= end}
