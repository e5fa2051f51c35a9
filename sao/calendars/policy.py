"""The attendance policy document: parsing, validation and the schedule of one day.

The whole policy (work schedule profiles with dated versions, special periods such as Ramadan,
shifts, the unit-to-profile mapping, the computation rules, holiday sources, TPP deduction tables
and discipline settings) is one YAML document. BKD edits it as a whole; every accepted edit is
stored as a new PolicyVersion (see models.py). The Kaltim seed in sao/calendars/data/kaltim.yaml
documents every key with comments.

Times in the document are wall-clock times in the unit's time zone ("07:30"), never instants.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.utils.translation import gettext as _

from sao.attendance.engine import DayMode, DaySchedule, RuleSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SUPPORTED_FORMAT = 1


class _PolicyLoader(yaml.SafeLoader):
    """A safe YAML loader that leaves dates as text, so an impossible date gets a clear message."""


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


class PolicyError(ValueError):
    """An invalid policy document. `errors` lists one message per problem, each naming its key."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class DayRule:
    """The hours of one weekday: start and end, or presence windows (WFA)."""

    start: dt.time
    end: dt.time
    mode: str = DayMode.CHECK_IN_OUT
    windows: tuple[tuple[dt.time, dt.time], ...] = ()


@dataclass(frozen=True)
class ProfileVersion:
    valid_from: dt.date
    legal_basis: str
    days: dict[str, DayRule]


@dataclass(frozen=True)
class Profile:
    code: str
    name: str
    rostered: bool
    late_tolerance_minutes: int
    early_tolerance_minutes: int
    versions: tuple[ProfileVersion, ...]


@dataclass(frozen=True)
class SpecialPeriod:
    code: str
    name: str
    valid_from: dt.date
    valid_to: dt.date
    legal_basis: str
    profiles: tuple[str, ...]
    days: dict[str, DayRule]


@dataclass(frozen=True)
class Shift:
    code: str
    name: str
    start: dt.time
    end: dt.time
    before_start_minutes: int
    after_end_minutes: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class ExtraHoliday:
    date: dt.date
    name: str
    category: str


@dataclass(frozen=True)
class Policy:
    """A parsed and validated policy document."""

    name: str
    time_zone: str
    rules: RuleSettings
    before_start_minutes: int
    after_end_minutes: int
    profiles: dict[str, Profile]
    special_periods: tuple[SpecialPeriod, ...]
    shifts: dict[str, Shift]
    profile_by_schedule: dict[str, str]
    profile_by_unit: dict[str, str]
    holiday_source: str
    holiday_country: str
    holiday_categories: tuple[str, ...]
    extra_holidays: tuple[ExtraHoliday, ...]
    removed_holidays: frozenset[dt.date]
    tpp_tables: tuple[dict, ...] = ()
    discipline: dict = field(default_factory=dict)
    version: int = 0

    # -----------------------------------------------------------------------------------------

    def profile_for(self, *, schedule_profile: str, unit_code: str = "", override: str = "") -> Profile:
        """Return the profile of an employee: their own assignment, their unit's, or the default."""
        code = (
            override or self.profile_by_unit.get(unit_code) or self.profile_by_schedule.get(schedule_profile)
        )
        if code is None or code not in self.profiles:
            raise KeyError(schedule_profile)
        return self.profiles[code]

    def day_rule(self, profile: Profile, day: dt.date) -> tuple[DayRule | None, str, str]:
        """Return the rule for `day`, the rule version label and its legal basis.

        A special period naming the profile wins over the profile's own version. A weekday missing
        from the days that apply is a day off (rule None).
        """
        for period in self.special_periods:
            if profile.code in period.profiles and period.valid_from <= day <= period.valid_to:
                label = f"v{self.version}:{profile.code}:{period.code}"
                return period.days.get(WEEKDAYS[day.weekday()]), label, period.legal_basis

        version = None
        for candidate in profile.versions:
            if candidate.valid_from <= day:
                version = candidate
        if version is None:
            return None, f"v{self.version}:{profile.code}:none", ""
        label = f"v{self.version}:{profile.code}@{version.valid_from.isoformat()}"
        return version.days.get(WEEKDAYS[day.weekday()]), label, version.legal_basis

    def office_day(self, profile: Profile, day: dt.date, time_zone: str) -> DaySchedule:
        """Build the schedule of one day of a non-rostered profile."""
        rule, label, basis = self.day_rule(profile, day)
        if rule is None:
            return DaySchedule(
                work_date=day,
                time_zone=time_zone,
                is_working=False,
                profile_code=profile.code,
                rule_version=label,
                legal_basis=basis,
                rules=self.rules,
            )

        zone = ZoneInfo(time_zone)
        start = dt.datetime.combine(day, rule.start, zone)
        end = dt.datetime.combine(day, rule.end, zone)
        windows = tuple(
            (dt.datetime.combine(day, first, zone), dt.datetime.combine(day, last, zone))
            for first, last in rule.windows
        )
        if rule.mode == DayMode.WINDOWS:
            window_start, window_end = windows[0][0], windows[-1][1]
        else:
            window_start = start - dt.timedelta(minutes=self.before_start_minutes)
            window_end = end + dt.timedelta(minutes=self.after_end_minutes)
        return DaySchedule(
            work_date=day,
            time_zone=time_zone,
            is_working=True,
            start=start,
            end=end,
            window_start=window_start,
            window_end=window_end,
            mode=rule.mode,
            windows=windows,
            late_tolerance_minutes=profile.late_tolerance_minutes,
            early_tolerance_minutes=profile.early_tolerance_minutes,
            profile_code=profile.code,
            rule_version=label,
            legal_basis=basis,
            rules=self.rules,
        )

    def shift_day(
        self,
        profile: Profile,
        shift_code: str,
        day: dt.date,
        time_zone: str,
        *,
        works_on_holiday: bool = True,
    ) -> DaySchedule:
        """Build the schedule of one rostered shift. A night shift belongs to its start date."""
        shift = self.shifts[shift_code]
        zone = ZoneInfo(time_zone)
        start = dt.datetime.combine(day, shift.start, zone)
        end_date = day + dt.timedelta(days=1) if shift.crosses_midnight else day
        end = dt.datetime.combine(end_date, shift.end, zone)
        return DaySchedule(
            work_date=day,
            time_zone=time_zone,
            is_working=True,
            start=start,
            end=end,
            window_start=start - dt.timedelta(minutes=shift.before_start_minutes),
            window_end=end + dt.timedelta(minutes=shift.after_end_minutes),
            late_tolerance_minutes=profile.late_tolerance_minutes,
            early_tolerance_minutes=profile.early_tolerance_minutes,
            shift_code=shift.code,
            profile_code=profile.code,
            rule_version=f"v{self.version}:{profile.code}:shift:{shift.code}",
            works_on_holiday=works_on_holiday,
            rules=self.rules,
        )


# ---------------------------------------------------------------------------------------------
# Parsing


class _Reader:
    """Collect errors while reading a nested document, each error naming its key path."""

    def __init__(self):
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")

    def mapping(self, value, key: str, *, required: bool = True) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.error(key, _("expected a mapping of keys to values, found %(found)r.") % {"found": value})
            return {}
        return value

    def text(self, data: dict, key: str, path: str, *, default: str | None = None) -> str:
        value = data.get(key, default)
        if value is None:
            self.error(f"{path}.{key}", _("missing; add a text value."))
            return ""
        return str(value)

    def integer(
        self,
        data: dict,
        key: str,
        path: str,
        *,
        default: int | None = None,
        minimum: int = 0,
        allow_none: bool = False,
    ) -> int | None:
        value = data.get(key, default)
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.error(
                f"{path}.{key}",
                _("invalid value %(value)r; write a whole number of at least %(minimum)s.")
                % {"value": value, "minimum": minimum},
            )
            return default if isinstance(default, int) else minimum
        return value

    def date(self, data: dict, key: str, path: str) -> dt.date:
        value = data.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.error(f"{path}.{key}", _("invalid date %(value)r; write it as YYYY-MM-DD.") % {"value": value})
        return dt.date.min

    def time(self, value, path: str) -> dt.time:
        # YAML 1.1 reads an unquoted 07:30 as the sexagesimal integer 450, so accept that too.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        match = TIME_PATTERN.match(str(value)) if isinstance(value, str) else None
        if match is None:
            self.error(
                path, _('invalid time %(value)r; write it as "HH:MM" (24-hour, quoted).') % {"value": value}
            )
            return dt.time(0)
        return dt.time(int(match.group(1)), int(match.group(2)))


def _read_days(reader: _Reader, data, path: str) -> dict[str, DayRule]:
    days = {}
    for name, value in reader.mapping(data, path).items():
        key = f"{path}.{name}"
        if name not in WEEKDAYS:
            reader.error(key, _("unknown weekday; use one of %(names)s.") % {"names": ", ".join(WEEKDAYS)})
            continue
        value = reader.mapping(value, key)
        mode = value.get("mode", DayMode.CHECK_IN_OUT)
        if mode == DayMode.WINDOWS:
            raw_windows = value.get("windows")
            if not isinstance(raw_windows, list) or len(raw_windows) < 2:
                reader.error(
                    f"{key}.windows",
                    _(
                        "a windows day needs at least two windows, "
                        'e.g. [["06:30", "07:30"], ["11:00", "13:00"]].'
                    ),
                )
                continue
            windows = []
            for position, window in enumerate(raw_windows):
                window_key = f"{key}.windows[{position}]"
                if not isinstance(window, list) or len(window) != 2:
                    reader.error(window_key, _('write each window as ["HH:MM", "HH:MM"].'))
                    continue
                first, last = reader.time(window[0], window_key), reader.time(window[1], window_key)
                if last <= first:
                    reader.error(window_key, _("the window ends before it starts; swap the two times."))
                windows.append((first, last))
            if not windows:
                continue
            days[name] = DayRule(start=windows[0][0], end=windows[-1][1], mode=mode, windows=tuple(windows))
        elif mode == DayMode.CHECK_IN_OUT:
            start = reader.time(value.get("start"), f"{key}.start")
            end = reader.time(value.get("end"), f"{key}.end")
            if end <= start:
                reader.error(
                    key,
                    _(
                        "end %(end)s is not after start %(start)s; office days cannot cross "
                        "midnight, use a shift instead."
                    )
                    % {"end": end, "start": start},
                )
            days[name] = DayRule(start=start, end=end)
        else:
            reader.error(
                f"{key}.mode",
                _("unknown mode %(mode)r; use %(choices)s.")
                % {"mode": mode, "choices": f"{DayMode.CHECK_IN_OUT}, {DayMode.WINDOWS}"},
            )
    return days


def _read_rules(reader: _Reader, data) -> RuleSettings:
    data = reader.mapping(data, "rules", required=False)
    edges = {}
    for key in ("late_edges", "early_edges"):
        value = data.get(key, [1, 31, 61, 91])
        if (
            not isinstance(value, list)
            or len(value) != 4
            or not all(isinstance(item, int) and item > 0 for item in value)
            or value != sorted(set(value))
        ):
            reader.error(f"rules.{key}", _("write four increasing whole minutes, e.g. [1, 31, 61, 91]."))
            value = [1, 31, 61, 91]
        edges[key] = tuple(value)
    pairing = data.get("pairing", "first_last")
    if pairing not in ("first_last", "first_first"):
        reader.error(
            "rules.pairing",
            _("unknown pairing %(value)r; use first_last or first_first.") % {"value": pairing},
        )
        pairing = "first_last"
    truncate = data.get("truncate_seconds", True)
    if not isinstance(truncate, bool):
        reader.error("rules.truncate_seconds", _("write true or false."))
        truncate = True
    return RuleSettings(
        late_edges=edges["late_edges"],
        early_edges=edges["early_edges"],
        truncate_seconds=truncate,
        pairing=pairing,
        absent_below_minutes=reader.integer(data, "absent_below_minutes", "rules", allow_none=True),
        half_day_below_minutes=reader.integer(data, "half_day_below_minutes", "rules", allow_none=True),
    )


def parse_policy(text: str, *, version: int = 0) -> Policy:
    """Parse and validate a policy document, raising PolicyError with every problem found."""
    try:
        document = yaml.load(text, Loader=_PolicyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise PolicyError([_("The file is not valid YAML: %(error)s") % {"error": exc}]) from exc

    reader = _Reader()
    document = reader.mapping(document, "(document)")
    if document and document.get("format") != SUPPORTED_FORMAT:
        reader.error(
            "format",
            _("unsupported format %(value)r; this version of SAO reads format %(supported)s.")
            % {"value": document.get("format"), "supported": SUPPORTED_FORMAT},
        )

    time_zone = reader.text(document, "time_zone", "(document)", default="Asia/Makassar")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.error(
            "time_zone",
            _("unknown time zone %(value)r; use an IANA name such as Asia/Makassar.") % {"value": time_zone},
        )
        time_zone = "Asia/Makassar"

    rules = _read_rules(reader, document.get("rules"))
    windows = reader.mapping(document.get("windows"), "windows", required=False)

    profiles = {}
    for code, data in reader.mapping(document.get("profiles"), "profiles").items():
        path = f"profiles.{code}"
        data = reader.mapping(data, path)
        rostered = bool(data.get("rostered", False))
        versions = []
        for position, entry in enumerate(data.get("versions") or []):
            version_path = f"{path}.versions[{position}]"
            entry = reader.mapping(entry, version_path)
            versions.append(
                ProfileVersion(
                    valid_from=reader.date(entry, "valid_from", version_path),
                    legal_basis=str(entry.get("legal_basis", "")),
                    days=_read_days(reader, entry.get("days"), f"{version_path}.days"),
                )
            )
        if not rostered and not versions:
            reader.error(
                f"{path}.versions",
                _("a profile that is not rostered needs at least one version with valid_from and days."),
            )
        dates = [item.valid_from for item in versions]
        if dates != sorted(set(dates)):
            reader.error(
                f"{path}.versions", _("list the versions in increasing valid_from order, one per date.")
            )
        profiles[str(code)] = Profile(
            code=str(code),
            name=str(data.get("name", code)),
            rostered=rostered,
            late_tolerance_minutes=reader.integer(data, "late_tolerance_minutes", path, default=0) or 0,
            early_tolerance_minutes=reader.integer(data, "early_tolerance_minutes", path, default=0) or 0,
            versions=tuple(versions),
        )

    periods = []
    for position, data in enumerate(document.get("special_periods") or []):
        path = f"special_periods[{position}]"
        data = reader.mapping(data, path)
        period = SpecialPeriod(
            code=reader.text(data, "code", path),
            name=str(data.get("name", "")),
            valid_from=reader.date(data, "valid_from", path),
            valid_to=reader.date(data, "valid_to", path),
            legal_basis=str(data.get("legal_basis", "")),
            profiles=tuple(str(item) for item in data.get("profiles") or []),
            days=_read_days(reader, data.get("days"), f"{path}.days"),
        )
        if period.valid_to < period.valid_from:
            reader.error(f"{path}.valid_to", _("valid_to is before valid_from; swap the two dates."))
        for profile_code in period.profiles:
            if profile_code not in profiles:
                reader.error(
                    f"{path}.profiles",
                    _("unknown profile %(code)s; define it under profiles.") % {"code": profile_code},
                )
        periods.append(period)

    shifts = {}
    for code, data in reader.mapping(document.get("shifts"), "shifts", required=False).items():
        path = f"shifts.{code}"
        data = reader.mapping(data, path)
        shifts[str(code)] = Shift(
            code=str(code),
            name=str(data.get("name", code)),
            start=reader.time(data.get("start"), f"{path}.start"),
            end=reader.time(data.get("end"), f"{path}.end"),
            before_start_minutes=reader.integer(data, "before_start_minutes", path, default=120),
            after_end_minutes=reader.integer(data, "after_end_minutes", path, default=240),
        )

    mapping = reader.mapping(document.get("unit_profiles"), "unit_profiles")
    by_schedule = {
        str(key): str(value)
        for key, value in reader.mapping(
            mapping.get("by_schedule_profile"), "unit_profiles.by_schedule_profile"
        ).items()
    }
    by_unit = {
        str(key): str(value)
        for key, value in reader.mapping(
            mapping.get("by_unit_code"), "unit_profiles.by_unit_code", required=False
        ).items()
    }
    for key, code in [
        *(("by_schedule_profile." + key, code) for key, code in by_schedule.items()),
        *(("by_unit_code." + key, code) for key, code in by_unit.items()),
    ]:
        if code not in profiles:
            reader.error(
                f"unit_profiles.{key}",
                _("unknown profile %(code)s; define it under profiles.") % {"code": code},
            )
    for needed in ("5day", "6day", "shift"):
        if needed not in by_schedule:
            reader.error(
                "unit_profiles.by_schedule_profile",
                _("missing %(key)s; map every unit schedule profile (5day, 6day, shift) to a profile.")
                % {"key": needed},
            )

    holidays = reader.mapping(document.get("holidays"), "holidays", required=False)
    source = holidays.get("source", "package")
    if source not in ("package", "none"):
        reader.error(
            "holidays.source", _("unknown source %(value)r; use package or none.") % {"value": source}
        )
    extra = []
    for position, data in enumerate(holidays.get("extra") or []):
        path = f"holidays.extra[{position}]"
        data = reader.mapping(data, path)
        category = str(data.get("category", "LN"))
        if category not in ("LN", "CB", "REGIONAL"):
            reader.error(
                f"{path}.category",
                _("unknown category %(value)r; use LN, CB or REGIONAL.") % {"value": category},
            )
        extra.append(
            ExtraHoliday(
                date=reader.date(data, "date", path), name=str(data.get("name", "")), category=category
            )
        )
    removed = frozenset(
        reader.date({"date": value}, "date", f"holidays.removed[{position}]")
        for position, value in enumerate(holidays.get("removed") or [])
    )

    tpp_tables = tuple(
        {**table, "valid_from": _as_date(table.get("valid_from")) or table.get("valid_from")}
        if isinstance(table, dict)
        else table
        for table in document.get("tpp_tables") or ()
    )
    if tpp_tables:
        from sao.attendance.tpp import validate_tpp_tables

        for message in validate_tpp_tables(tpp_tables):
            reader.errors.append(message)

    if reader.errors:
        raise PolicyError(reader.errors)

    return Policy(
        name=str(document.get("name", "")),
        time_zone=time_zone,
        rules=rules,
        before_start_minutes=reader.integer(windows, "before_start_minutes", "windows", default=180),
        after_end_minutes=reader.integer(windows, "after_end_minutes", "windows", default=360),
        profiles=profiles,
        special_periods=tuple(periods),
        shifts=shifts,
        profile_by_schedule=by_schedule,
        profile_by_unit=by_unit,
        holiday_source=source,
        holiday_country=str(holidays.get("country", "ID")),
        holiday_categories=tuple(holidays.get("categories") or ("PUBLIC", "GOVERNMENT")),
        extra_holidays=tuple(extra),
        removed_holidays=removed,
        tpp_tables=tpp_tables,
        discipline=dict(document.get("discipline") or {}),
        version=version,
    )
