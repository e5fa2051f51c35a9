"""Punches and hospital rosters of the demo, drawn from the active policy's schedules.

`sao.devices.simulator.push.generate_punches` assumes office hours of 07:00-16:00 on weekdays,
which does not fit the Friday presence windows, six-day units or night shifts of the Kaltim
policy. This module draws each employee's punches from the schedule the rules engine will use
and hands them to the simulator's `run_device`, which sends them over the push protocol.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sao.attendance.engine import DayMode, DaySchedule
from sao.calendars.holidays import holidays_between
from sao.calendars.models import HolidayOverride
from sao.calendars.policy import Policy
from sao.devices.simulator.push import DeviceSpec, GeneratedPunch, PushStats, run_device

# Share of working days on which an employee sends no punch; the days become TK.
ABSENCE_RATE = 0.025
# Share of punches that are forgotten, and of punches that are tapped twice.
FORGOTTEN_RATE = 0.015
DOUBLE_TAP_RATE = 0.01
# Minutes relative to the scheduled start and end: mean and standard deviation. About 5% of
# arrivals fall after the start (late, TL) and about 5% of departures before the end (PSW).
ARRIVAL_MINUTES = (-20.0, 12.0)
DEPARTURE_MINUTES = (20.0, 12.0)
# Repeating hospital roster, one code per day; "" is a day off. A night shift (MALAM) is
# followed by two days off.
ROSTER_CYCLE = ("PAGI", "PAGI", "SIANG", "SIANG", "MALAM", "", "")
ROSTER_EPOCH = dt.date(2026, 1, 5)


def roster_codes(position: int, day: dt.date) -> list[str]:
    """Return the shift codes of the employee at `position` within the unit on `day`."""
    code = ROSTER_CYCLE[((day - ROSTER_EPOCH).days + position) % len(ROSTER_CYCLE)]
    return [code] if code else []


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _gauss(rng: random.Random, mean: float, sigma: float, low: float, high: float) -> float:
    return min(high, max(low, rng.gauss(mean, sigma)))


def _day_punches(rng: random.Random, schedule: DaySchedule) -> list[tuple[dt.datetime, int]]:
    """Draw the check-in and check-out moments (aware) of one scheduled day."""
    if schedule.mode == DayMode.WINDOWS:
        first, last = schedule.windows[0], schedule.windows[-1]
        spans = [(first, 0), (last, 1)]
        return [(window[0] + (window[1] - window[0]) * rng.uniform(0.05, 0.95), state)
                for window, state in spans]
    arrive = schedule.start + dt.timedelta(minutes=_gauss(rng, *ARRIVAL_MINUTES, -90, 90))
    leave = schedule.end + dt.timedelta(minutes=_gauss(rng, *DEPARTURE_MINUTES, -120, 150))
    return [(arrive, 0), (leave, 1)]


def device_punches(
    *, policy: Policy, pins: Sequence[tuple[str, int]], time_zone: str,
    schedule_profile: str, unit_code: str, start: dt.date, end: dt.date, seed: int,
    is_away, now: dt.datetime,
) -> list[GeneratedPunch]:
    """Draw the punches of one device for start..end, in time order, none after `now`.

    Each employee-day has its own random generator, so a day that is skipped (a new absence)
    or a date range that moves leaves every other day's punches as they were, and a re-run
    resends the same punches.
    A night shift of `end` ends the next morning, so its check-out may lie after `now`.
    `pins` lists (PIN, position in the unit's roster). `is_away(pin, day)` is true on days the
    employee holds a status such as CLTN and sends nothing.
    """
    profile = policy.profile_for(schedule_profile=schedule_profile, unit_code=unit_code)
    overrides = list(HolidayOverride.objects.filter(date__range=(start, end)))
    holidays = holidays_between(policy, start, end, overrides=overrides)
    punches: list[GeneratedPunch] = []
    for day in _dates(start, end):
        office = None if profile.rostered else policy.office_day(profile, day, time_zone)
        for pin, position in pins:
            if is_away(pin, day):
                continue
            if profile.rostered:
                codes = roster_codes(position, day)
                if not codes:
                    continue
                schedule = policy.shift_day(profile, codes[0], day, time_zone)
            elif office.is_working and day not in holidays:
                schedule = office
            else:
                continue
            rng = random.Random(f"{seed}:{unit_code}:{pin}:{day.isoformat()}")
            if rng.random() < ABSENCE_RATE:
                continue
            verify = 15 if rng.random() < 0.3 else 1  # face or fingerprint
            for moment, state in _day_punches(rng, schedule):
                if rng.random() < FORGOTTEN_RATE or moment > now:
                    continue
                wall = moment.replace(tzinfo=None, microsecond=0)
                punches.append(GeneratedPunch(wall, pin, state, verify))
                if rng.random() < DOUBLE_TAP_RATE:
                    punches.append(GeneratedPunch(wall + dt.timedelta(seconds=rng.randrange(1, 4)),
                                                  pin, state, verify))
    punches.sort()
    return punches


def punches_send(*, url: str, plans: list[tuple[DeviceSpec, list[GeneratedPunch]]], seed: int,
                 batch_size: int, workers: int) -> PushStats:
    """Send every device's punches with the push-protocol simulator, `workers` devices at a time."""
    stats = PushStats(devices=len(plans), punches_generated=sum(len(punches) for _spec, punches in plans))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="demo-push") as pool:
        futures = [pool.submit(run_device, url=url, spec=spec, punches=punches, stats=stats, seed=seed,
                               batch_size=batch_size)
                   for spec, punches in plans if punches]
        for future in futures:
            future.result()
    return stats
