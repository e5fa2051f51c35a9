"""Read punch times written as text or as spreadsheet cells, with a declared date order.

`04/03/2024` is 4 March in Indonesia and 3 April in a US export, so a slashed or dotted
date is read only when the caller declares the order. ISO dates (`2024-03-04`) are read
whatever the order, because the four-digit year first cannot be mistaken.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class DateOrder(TextChoices):
    DMY = "dmy", _("day/month/year")
    MDY = "mdy", _("month/day/year")
    YMD = "ymd", _("year/month/day")


class DateOrderRequired(ValueError):
    """A text date such as 04/03/2024 was found and no date order was declared."""


class InvalidDate(ValueError):
    """The text has the shape of a date but names a day that does not exist (2024-02-30)."""


TEXT_DATETIME = re.compile(
    r"""^\s*
    (?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{1,4})
    (?:[\sT]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?
    \s*$""",
    re.VERBOSE,
)

# Excel's day 0 is 1899-12-30 for every serial after 1900-03-01 (the 1900 leap-year bug).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _full_year(year: int) -> int:
    # Two-digit years (6/27/16 in ZK desktop exports) are read as 20yy.
    return 2000 + year if year < 100 else year


def parse_text_datetime(text: str, *, date_order: str | None) -> dt.datetime:
    """Parse a date with an optional time of day into a naive datetime.

    Raises ValueError when the text is not a date, InvalidDate when the day does not
    exist, and DateOrderRequired when the order is ambiguous and `date_order` is None.
    """
    match = TEXT_DATETIME.match(text)
    if match is None:
        raise ValueError(text)

    a, b, c = match["a"], match["b"], match["c"]
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif date_order is None:
        raise DateOrderRequired(text)
    elif date_order == DateOrder.DMY:
        day, month, year = int(a), int(b), _full_year(int(c))
    elif date_order == DateOrder.MDY:
        month, day, year = int(a), int(b), _full_year(int(c))
    else:
        # ymd with a short year (24/03/04) is read as 2024-03-04.
        year, month, day = _full_year(int(a)), int(b), int(c)

    hour = int(match["hour"] or 0)
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    ampm = (match["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidDate(text)
        hour = hour % 12 + (12 if ampm == "pm" else 0)

    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise InvalidDate(text) from exc


def excel_serial_to_datetime(serial: float) -> dt.datetime:
    """Convert an Excel serial day number (45355.3347...) to a naive datetime, to the second."""
    seconds = round(serial * 86400)
    return EXCEL_EPOCH + dt.timedelta(seconds=seconds)
