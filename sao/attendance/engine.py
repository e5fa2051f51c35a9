"""The daily attendance computation: plain data in, plain data out, no database access.

`compute_days` takes one employee's scheduled days (office days, rostered shifts and days off),
their punches, approved absences, holidays, device-outage windows and the evaluation time, and
returns one `DayResult` per scheduled day. The database code in sao.attendance.compute builds the
inputs in bulk and stores the results.

Algorithm (`compute_days`):

1. Sort the punches by instant and drop duplicates of the same instant, so the result does not
   depend on punch order or on a punch delivered twice.
2. Give each trusted or suspect punch to at most one working day: among the working days whose
   window [window_start, window_end] contains it, the one whose scheduled start or end is nearest,
   ties going to the earlier day.
3. Give punches left over to the day off of their local date, if there is one; otherwise record
   them as "outside window" on the result of their local date.
4. Evaluate each day (`evaluate_day`): holiday or day off, approved absence, presence windows
   (WFA) or check-in/check-out pairing, late and early minutes with their TL/PSW codes, then
   suspect punches, device outages and the open window (BELUM_FINAL).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from zoneinfo import ZoneInfo


class Status:
    """Day status codes stored on DailyResult.status."""

    HADIR = "HADIR"
    TIDAK_LENGKAP = "TIDAK_LENGKAP"
    SETENGAH_HARI = "SETENGAH_HARI"
    TK = "TK"
    LIBUR = "LIBUR"
    BELUM_FINAL = "BELUM_FINAL"
    PERLU_VERIFIKASI = "PERLU_VERIFIKASI"


class Flag:
    """Flag codes a result can carry beside its status."""

    PUNCH_ON_LEAVE = "PUNCH_ON_LEAVE"
    WORK_ON_HOLIDAY = "WORK_ON_HOLIDAY"
    PUNCH_OUTSIDE_WINDOW = "PUNCH_OUTSIDE_WINDOW"
    SUSPECT_PUNCH = "SUSPECT_PUNCH"
    DEVICE_OUTAGE = "DEVICE_OUTAGE"
    MISSING_CHECK_IN = "MISSING_CHECK_IN"
    MISSING_CHECK_OUT = "MISSING_CHECK_OUT"


class DayMode:
    """The proof of presence a working day asks for: check-in and check-out, or punch windows."""

    CHECK_IN_OUT = "check_in_out"  # one check-in and one check-out around start and end
    WINDOWS = "windows"  # one punch inside each presence window (Kaltim Friday WFA)


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class RuleSettings:
    """The configurable parts of the computation, taken from the policy in force on the day.

    `late_edges` and `early_edges` are the lower bounds in minutes of TL1..TL4 and PSW1..PSW4.
    With `truncate_seconds` the seconds of a punch are dropped before late and early minutes are
    computed, so 07:30:59 is on time for 07:30. `pairing` is "first_last" (first punch in, last
    punch out) or "first_first" (the first punch after the midpoint is the check-out).
    """

    late_edges: tuple[int, int, int, int] = (1, 31, 61, 91)
    early_edges: tuple[int, int, int, int] = (1, 31, 61, 91)
    truncate_seconds: bool = True
    pairing: str = "first_last"
    # Worked-minute thresholds, checked most severe first. None switches a threshold off.
    absent_below_minutes: int | None = None
    half_day_below_minutes: int | None = None


@dataclass(frozen=True)
class DaySchedule:
    """One scheduled day (or shift) of one employee, with aware datetimes.

    A day off (`is_working` False) needs only `work_date` and `time_zone`, and its window is the local
    calendar day. `windows` lists the presence windows of a WINDOWS day, in order.
    """

    work_date: dt.date
    time_zone: str
    is_working: bool
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    mode: str = DayMode.CHECK_IN_OUT
    windows: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    late_tolerance_minutes: int = 0
    early_tolerance_minutes: int = 0
    shift_code: str = ""
    profile_code: str = ""
    rule_version: str = ""
    legal_basis: str = ""
    # A rostered shift on a holiday is worked unless the roster marks it otherwise.
    works_on_holiday: bool = False
    rules: RuleSettings = field(default_factory=RuleSettings)

    @cached_property
    def schedule_step(self) -> ExplanationStep:
        """The explanation step describing this schedule, built once per schedule object."""
        return ExplanationStep(
            "schedule",
            {
                "profile": self.profile_code,
                "shift": self.shift_code,
                "working": self.is_working,
                "start": _time_text(self.start, self.time_zone),
                "end": _time_text(self.end, self.time_zone),
                "mode": self.mode,
                "rule_version": self.rule_version,
                "legal_basis": self.legal_basis,
            },
        )

    @cached_property
    def midpoint(self) -> dt.datetime | None:
        if self.start is None or self.end is None:
            return None
        return self.start + (self.end - self.start) / 2

    def local_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Return the instants this day covers when matching punches."""
        if self.is_working and self.window_start and self.window_end:
            return self.window_start, self.window_end
        zone = ZoneInfo(self.time_zone)
        begin = dt.datetime.combine(self.work_date, dt.time(0), zone)
        return begin, begin + dt.timedelta(days=1)


@dataclass(frozen=True)
class PunchInput:
    """One punch of the employee: an aware instant and whether its clock is trusted."""

    instant: dt.datetime
    state: int = 0
    suspect: bool = False
    punch_id: int | None = None


@dataclass(frozen=True)
class AbsenceInput:
    """An approved absence covering `start_date`..`end_date` (inclusive) with its status code.

    `code` is the absence type (DL, PD, CT, IJIN, SAKIT, ...) and the day status it produces,
    unless `day_code` names another status. Only approved absences are passed to the engine.
    """

    code: str
    start_date: dt.date
    end_date: dt.date
    counts_as_present: bool = False
    reference: str = ""
    # The day status when it differs from `code` (perjalanan dinas PD days read DL).
    day_code: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class HolidayInput:
    """A national holiday (LN), cuti bersama (CB) or regional day off on `date`."""

    date: dt.date
    name: str
    category: str = "LN"


@dataclass(frozen=True)
class OutageWindow:
    """A period when the employee's attendance device was known to be down."""

    start: dt.datetime
    end: dt.datetime


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class ExplanationStep:
    """One step of the reasoning behind a result: a stable code and its parameters."""

    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DayResult:
    """The computed attendance of one employee on one work date (and shift)."""

    work_date: dt.date
    shift_code: str
    status: str
    is_working_day: bool
    check_in: dt.datetime | None = None
    check_out: dt.datetime | None = None
    late_minutes: int | None = None
    early_minutes: int | None = None
    late_code: str = ""
    early_code: str = ""
    worked_minutes: int | None = None
    flags: tuple[str, ...] = ()
    absence_code: str = ""
    holiday_name: str = ""
    rule_version: str = ""
    punches: tuple[PunchInput, ...] = ()
    explanation: tuple[ExplanationStep, ...] = ()


# ---------------------------------------------------------------------------------------------
# Helpers


def minute_floor(value: dt.datetime, *, truncate: bool) -> dt.datetime:
    """Drop seconds and microseconds when `truncate` is set."""
    if not truncate:
        return value
    return value.replace(second=0, microsecond=0)


def whole_minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def bracket_code(minutes: int | None, edges: Sequence[int], prefix: str) -> str:
    """Return TL1..TL4 (or PSW1..PSW4) for `minutes`, or "" below the first edge."""
    if minutes is None:
        return ""
    code = ""
    for index, edge in enumerate(edges, start=1):
        if minutes >= edge:
            code = f"{prefix}{index}"
    return code


def _unique_sorted(punches: Iterable[PunchInput]) -> list[PunchInput]:
    """Sort by instant and keep one punch per instant, preferring a trusted one."""
    by_instant: dict[dt.datetime, PunchInput] = {}
    for punch in punches:
        kept = by_instant.get(punch.instant)
        if (
            kept is None
            or (kept.suspect and not punch.suspect)
            or (kept.suspect == punch.suspect and _punch_key(punch) < _punch_key(kept))
        ):
            by_instant[punch.instant] = punch
    return [by_instant[instant] for instant in sorted(by_instant)]


def _punch_key(punch: PunchInput) -> tuple:
    return (punch.state, punch.punch_id if punch.punch_id is not None else -1)


def _distance_to_boundary(day: DaySchedule, instant: dt.datetime) -> dt.timedelta:
    boundaries = [moment for moment in (day.start, day.end) if moment is not None]
    boundaries += [moment for window in day.windows for moment in window]
    return min(abs(instant - moment) for moment in boundaries)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(instant: dt.datetime, time_zone: str) -> dt.datetime:
    return instant.astimezone(_zone(time_zone))


def _time_text(instant: dt.datetime | None, time_zone: str) -> str:
    if instant is None:
        return ""
    return _local(instant, time_zone).isoformat(sep=" ")[:19]


# ---------------------------------------------------------------------------------------------
# Assignment of punches to days


def assign_punches(
    days: Sequence[DaySchedule], punches: Iterable[PunchInput]
) -> tuple[dict[int, list[PunchInput]], dict[int, list[PunchInput]]]:
    """Give each punch to at most one day and return (matched, outside window) by index in `days`.

    Working days take the punches inside their window, and the nearest scheduled boundary wins when
    windows overlap, ties going to the earlier day. Days off take the leftover punches of their
    local date. A punch that fits nowhere is listed as outside window on the day of its local date.
    """
    matched: dict[int, list[PunchInput]] = {index: [] for index in range(len(days))}
    outside: dict[int, list[PunchInput]] = {index: [] for index in range(len(days))}

    working = sorted(
        (
            index
            for index, day in enumerate(days)
            if day.is_working and day.window_start is not None and day.window_end is not None
        ),
        key=lambda index: (days[index].window_start, days[index].work_date),
    )
    starts = [days[index].window_start for index in working]
    rank = {index: (days[index].work_date, days[index].start, index) for index in working}
    longest_window = max(
        (days[index].window_end - days[index].window_start for index in working),
        default=dt.timedelta(0),
    )
    by_local_date: dict[dt.date, list[int]] = {}
    for index, day in enumerate(days):
        by_local_date.setdefault(day.work_date, []).append(index)
    time_zone = days[0].time_zone if days else "UTC"

    for punch in _unique_sorted(punches):
        # Windows starting after the punch cannot contain it, so walk back from there.
        candidates = []
        position = bisect_right(starts, punch.instant) - 1
        while position >= 0 and starts[position] >= punch.instant - longest_window:
            index = working[position]
            if punch.instant <= days[index].window_end:
                candidates.append(index)
            position -= 1
        if len(candidates) == 1:
            matched[candidates[0]].append(punch)
            continue
        if candidates:
            nearest = min(
                candidates, key=lambda index: (_distance_to_boundary(days[index], punch.instant), rank[index])
            )
            matched[nearest].append(punch)
            continue

        local_date = _local(punch.instant, time_zone).date()
        same_date = by_local_date.get(local_date, [])
        day_off = next((index for index in same_date if not days[index].is_working), None)
        if day_off is not None:
            matched[day_off].append(punch)
        elif same_date:
            outside[same_date[0]].append(punch)

    return matched, outside


# ---------------------------------------------------------------------------------------------
# Evaluation of one day


def _overlaps(outages: Iterable[OutageWindow], start: dt.datetime, end: dt.datetime) -> bool:
    return any(outage.start < end and start < outage.end for outage in outages)


def _pair(day: DaySchedule, punches: list[PunchInput]) -> tuple[PunchInput | None, PunchInput | None]:
    """Pick the check-in and check-out among the day's punches (already sorted)."""
    if not punches:
        return None, None
    midpoint = day.midpoint
    if len(punches) == 1:
        only = punches[0]
        if midpoint is not None and only.instant >= midpoint:
            return None, only
        return only, None

    first = punches[0]
    if day.rules.pairing == "first_first" and midpoint is not None:
        after = [punch for punch in punches[1:] if punch.instant >= midpoint]
        return first, after[0] if after else None
    return first, punches[-1]


def _worked(check_in: PunchInput | None, check_out: PunchInput | None, truncate: bool) -> int | None:
    if check_in is None or check_out is None:
        return None
    return whole_minutes(
        minute_floor(check_out.instant, truncate=truncate) - minute_floor(check_in.instant, truncate=truncate)
    )


def evaluate_day(
    day: DaySchedule,
    *,
    punches: Sequence[PunchInput] = (),
    outside_punches: Sequence[PunchInput] = (),
    absences: Sequence[AbsenceInput] = (),
    holiday: HolidayInput | None = None,
    outages: Sequence[OutageWindow] = (),
    now: dt.datetime,
) -> DayResult:
    """Compute the result of one scheduled day from the punches already assigned to it."""
    punches = _unique_sorted(punches)
    rules = day.rules
    steps: list[ExplanationStep] = [day.schedule_step]
    flags: list[str] = []
    if outside_punches:
        flags.append(Flag.PUNCH_OUTSIDE_WINDOW)
        steps.append(
            ExplanationStep(
                "outside_window",
                {
                    "punches": [_time_text(punch.instant, day.time_zone) for punch in outside_punches],
                },
            )
        )
    base = {
        "work_date": day.work_date,
        "shift_code": day.shift_code,
        "is_working_day": day.is_working,
        "rule_version": day.rule_version,
        "punches": tuple(punches),
    }

    # 1. A holiday or a day off: LIBUR, with the time worked if the employee punched anyway.
    on_holiday = holiday is not None and not day.works_on_holiday
    if not day.is_working or on_holiday:
        if holiday is not None:
            steps.append(ExplanationStep("holiday", {"name": holiday.name, "category": holiday.category}))
        else:
            steps.append(ExplanationStep("day_off", {}))
        worked = None
        if punches:
            flags.append(Flag.WORK_ON_HOLIDAY)
            worked = _worked(punches[0], punches[-1], rules.truncate_seconds) if len(punches) > 1 else None
            steps.append(ExplanationStep("work_on_day_off", {"worked_minutes": worked}))
        return DayResult(
            work_date=day.work_date,
            shift_code=day.shift_code,
            status=Status.LIBUR,
            is_working_day=False,
            rule_version=day.rule_version,
            punches=tuple(punches),
            worked_minutes=worked,
            check_in=punches[0].instant if len(punches) > 1 else None,
            check_out=punches[-1].instant if len(punches) > 1 else None,
            flags=tuple(flags),
            holiday_name=holiday.name if holiday else "",
            explanation=tuple(steps),
        )

    if holiday is not None:
        steps.append(ExplanationStep("holiday_rostered", {"name": holiday.name}))

    # 2. An approved absence decides the status. Punches are kept and flagged.
    absence = next((item for item in absences if item.covers(day.work_date)), None)
    if absence is not None:
        steps.append(ExplanationStep("absence", {"code": absence.code, "reference": absence.reference}))
        if punches:
            flags.append(Flag.PUNCH_ON_LEAVE)
        return DayResult(
            **base,
            status=absence.day_code or absence.code,
            absence_code=absence.code,
            flags=tuple(flags),
            explanation=tuple(steps),
        )

    # 3. Trusted punches decide, and suspect punches only ask for verification.
    trusted = [punch for punch in punches if not punch.suspect]
    suspect = [punch for punch in punches if punch.suspect]
    if suspect:
        flags.append(Flag.SUSPECT_PUNCH)
        steps.append(
            ExplanationStep(
                "suspect_punches",
                {
                    "punches": [_time_text(punch.instant, day.time_zone) for punch in suspect],
                },
            )
        )

    # Until the day's window closes a missing check-out may still come, so it is no early leave.
    window_open = day.window_end is not None and now < day.window_end
    if day.mode == DayMode.WINDOWS:
        fields = _evaluate_windows(day, trusted, steps, window_open=window_open)
    else:
        fields = _evaluate_check_in_out(day, trusted, steps, window_open=window_open)
    status = fields.pop("status")

    # 4. Suspect punches and device outages turn a bad result into PERLU_VERIFIKASI.
    if status != Status.HADIR and suspect:
        status = Status.PERLU_VERIFIKASI
        steps.append(ExplanationStep("needs_verification", {"reason": "suspect"}))
    bad = status in (Status.TK, Status.TIDAK_LENGKAP, Status.SETENGAH_HARI)
    if bad and day.window_start and day.window_end and _overlaps(outages, day.window_start, day.window_end):
        flags.append(Flag.DEVICE_OUTAGE)
        status = Status.PERLU_VERIFIKASI
        steps.append(ExplanationStep("needs_verification", {"reason": "device_outage"}))

    # 5. Until the day's window closes the result is provisional.
    if window_open:
        steps.append(ExplanationStep("not_final", {"closes_at": _time_text(day.window_end, day.time_zone)}))
        status = Status.BELUM_FINAL

    for missing_flag in fields.pop("missing_flags"):
        flags.append(missing_flag)
    steps.append(ExplanationStep("status", {"status": status}))
    return DayResult(**base, status=status, flags=tuple(flags), explanation=tuple(steps), **fields)


def _evaluate_check_in_out(
    day: DaySchedule, trusted: list[PunchInput], steps: list, *, window_open: bool
) -> dict:
    rules = day.rules
    check_in, check_out = _pair(day, trusted)
    steps.append(
        ExplanationStep(
            "pairing",
            {
                "rule": rules.pairing,
                "midpoint": _time_text(day.midpoint, day.time_zone),
                "check_in": _time_text(check_in.instant if check_in else None, day.time_zone),
                "check_out": _time_text(check_out.instant if check_out else None, day.time_zone),
            },
        )
    )

    late = early = None
    late_code = early_code = ""
    missing: list[str] = []
    if check_in is not None:
        late_from = day.start + dt.timedelta(minutes=day.late_tolerance_minutes)
        late = max(
            0, whole_minutes(minute_floor(check_in.instant, truncate=rules.truncate_seconds) - late_from)
        )
        late_code = bracket_code(late, rules.late_edges, "TL")
    if check_out is not None:
        early_from = day.end - dt.timedelta(minutes=day.early_tolerance_minutes)
        early = max(
            0, whole_minutes(early_from - minute_floor(check_out.instant, truncate=rules.truncate_seconds))
        )
        early_code = bracket_code(early, rules.early_edges, "PSW")

    # Missing punches: no check-in counts as TL4, no check-out as PSW4 once the window has closed,
    # neither as TK.
    if check_in is None and check_out is None:
        status = Status.TK
        steps.append(ExplanationStep("no_punch", {}))
    elif check_in is None:
        status = Status.TIDAK_LENGKAP
        late_code = f"TL{len(rules.late_edges)}"
        missing.append(Flag.MISSING_CHECK_IN)
        steps.append(ExplanationStep("missing_check_in", {"code": late_code}))
    elif check_out is None:
        status = Status.TIDAK_LENGKAP
        if not window_open:
            early_code = f"PSW{len(rules.early_edges)}"
            missing.append(Flag.MISSING_CHECK_OUT)
            steps.append(ExplanationStep("missing_check_out", {"code": early_code}))
    else:
        status = Status.HADIR

    worked = _worked(check_in, check_out, rules.truncate_seconds)
    if status == Status.HADIR:
        steps.append(
            ExplanationStep(
                "late_early",
                {
                    "late": late,
                    "early": early,
                    "late_code": late_code,
                    "early_code": early_code,
                    "late_tolerance": day.late_tolerance_minutes,
                    "early_tolerance": day.early_tolerance_minutes,
                    "worked": worked,
                },
            )
        )
        if rules.absent_below_minutes is not None and worked < rules.absent_below_minutes:
            status = Status.TK
            steps.append(ExplanationStep("worked_below_absent", {"threshold": rules.absent_below_minutes}))
        elif rules.half_day_below_minutes is not None and worked < rules.half_day_below_minutes:
            status = Status.SETENGAH_HARI
            steps.append(
                ExplanationStep("worked_below_half_day", {"threshold": rules.half_day_below_minutes})
            )

    return {
        "status": status,
        "check_in": check_in.instant if check_in else None,
        "check_out": check_out.instant if check_out else None,
        "late_minutes": late,
        "early_minutes": early,
        "late_code": late_code,
        "early_code": early_code,
        "worked_minutes": worked,
        "missing_flags": missing,
    }


def _evaluate_windows(
    day: DaySchedule, trusted: list[PunchInput], steps: list, *, window_open: bool
) -> dict:
    """Presence windows: one punch in the first window stands for the check-in, one in the last
    window for the check-out. A missing window counts as a missing check-in or check-out."""
    rules = day.rules
    hits = []
    for window_start, window_end in day.windows:
        inside = [punch for punch in trusted if window_start <= punch.instant <= window_end]
        hits.append(inside[0] if inside else None)
        steps.append(
            ExplanationStep(
                "presence_window",
                {
                    "start": _time_text(window_start, day.time_zone),
                    "end": _time_text(window_end, day.time_zone),
                    "punch": _time_text(inside[0].instant if inside else None, day.time_zone),
                },
            )
        )

    check_in = hits[0] if hits else None
    check_out = hits[-1] if len(hits) > 1 else None
    missing: list[str] = []
    late_code = early_code = ""
    if not any(hits):
        status = Status.TK
        steps.append(ExplanationStep("no_punch", {}))
    elif all(hits):
        status = Status.HADIR
    else:
        status = Status.TIDAK_LENGKAP
        if check_in is None:
            late_code = f"TL{len(rules.late_edges)}"
            missing.append(Flag.MISSING_CHECK_IN)
            steps.append(ExplanationStep("missing_check_in", {"code": late_code}))
        if check_out is None and not window_open:
            early_code = f"PSW{len(rules.early_edges)}"
            missing.append(Flag.MISSING_CHECK_OUT)
            steps.append(ExplanationStep("missing_check_out", {"code": early_code}))

    return {
        "status": status,
        "check_in": check_in.instant if check_in else None,
        "check_out": check_out.instant if check_out else None,
        "late_minutes": 0 if check_in else None,
        "early_minutes": 0 if check_out else None,
        "late_code": late_code,
        "early_code": early_code,
        "worked_minutes": _worked(check_in, check_out, rules.truncate_seconds),
        "missing_flags": missing,
    }


# ---------------------------------------------------------------------------------------------
# Entry point


def compute_days(
    days: Sequence[DaySchedule],
    *,
    punches: Iterable[PunchInput] = (),
    absences: Sequence[AbsenceInput] = (),
    holidays: Iterable[HolidayInput] = (),
    outages: Sequence[OutageWindow] = (),
    now: dt.datetime,
) -> list[DayResult]:
    """Compute one result per scheduled day of one employee, in the order of `days`."""
    holiday_by_date = {holiday.date: holiday for holiday in holidays}
    matched, outside = assign_punches(days, punches)
    return [
        evaluate_day(
            day,
            punches=matched[index],
            outside_punches=outside[index],
            absences=absences,
            holiday=holiday_by_date.get(day.work_date),
            outages=outages,
            now=now,
        )
        for index, day in enumerate(days)
    ]
