"""Working hours of a unit, read from the attendance policy and holiday calendar (sao.calendars)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sao.attendance.engine import DayMode
from sao.calendars.holidays import holidays_between
from sao.calendars.models import HolidayOverride
from sao.calendars.policy import Policy
from sao.calendars.services import active_policy


def working_intervals(
    *, unit, start: dt.datetime, end: dt.datetime, policy: Policy | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Return the parts of start..end that fall inside the unit's working hours.

    An office day counts from its start to its end. A day with presence windows (the Friday WFA
    rule) counts from the first window's opening to the last one's close. Days off and holidays
    count nothing. A unit on a rostered (shift) profile works around the clock, so the whole span
    counts.
    """
    if end <= start:
        return []
    policy = policy or active_policy()
    profile = policy.profile_for(schedule_profile=unit.schedule_profile, unit_code=unit.code)
    if profile.rostered:
        return [(start, end)]

    zone_name = unit.time_zone or policy.time_zone
    zone = ZoneInfo(zone_name)
    first_day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    overrides = HolidayOverride.objects.filter(date__range=(first_day, last_day))
    holidays = holidays_between(policy, first_day, last_day, overrides=list(overrides))

    intervals = []
    day = first_day
    while day <= last_day:
        schedule = policy.office_day(profile, day, zone_name)
        if schedule.is_working and day not in holidays:
            if schedule.mode == DayMode.WINDOWS:
                opens, closes = schedule.windows[0][0], schedule.windows[-1][1]
            else:
                opens, closes = schedule.start, schedule.end
            low, high = max(start, opens), min(end, closes)
            if low < high:
                intervals.append((low, high))
        day += dt.timedelta(days=1)
    return intervals


def working_time(*, unit, start: dt.datetime, end: dt.datetime,
                 policy: Policy | None = None) -> dt.timedelta:
    """Return how much of start..end lies inside the unit's working hours."""
    total = dt.timedelta(0)
    for low, high in working_intervals(unit=unit, start=start, end=end, policy=policy):
        total += high - low
    return total


def working_deadline(*, unit, start: dt.datetime, amount: dt.timedelta, until: dt.datetime,
                     policy: Policy | None = None) -> dt.datetime | None:
    """Return the instant when `amount` of working time has passed since `start`, if before `until`."""
    remaining = amount
    for low, high in working_intervals(unit=unit, start=start, end=until, policy=policy):
        if high - low >= remaining:
            return low + remaining
        remaining -= high - low
    return None
