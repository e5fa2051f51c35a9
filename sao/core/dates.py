"""Bounds of the dates SAO accepts from URLs and forms."""

from __future__ import annotations

import datetime as dt

# Far enough back for history and ahead for plans, and far from the ends of Python's date range,
# where stepping to the next month or year would overflow.
FIRST_YEAR = 2000
LAST_YEAR = 2100


def year_supported(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def date_supported(day: dt.date) -> bool:
    return year_supported(day.year)
