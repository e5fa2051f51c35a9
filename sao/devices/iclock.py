"""The ZKTeco PUSH ("iclock", ADMS) protocol: parsing device bodies and building replies.

Pure functions over bytes and strings; nothing here touches the database. The line formats
follow ZKTeco's PUSH SDK 3.2.0 and bodies captured from ZKTeco and Solution units
(X100-C, X903) with push versions 2.0.33S and 2.4.0.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from sao.devices.records import PunchRecord, RejectedLine

# Lines end in LF or CRLF; a lone CR is not a line break on these devices.
LINE_BREAK = re.compile(rb"\r?\n")

# An ATTLOG line has PIN, time, state and verify at least; firmware adds up to 12 more fields.
ATTLOG_MIN_FIELDS = 4
ATTLOG_MAX_FIELDS = 16

# OPERLOG line tags; other lines are fragments (a template split by a line break) and ignored.
OPERLOG_TAGS = ("OPLOG", "USER", "FP", "FACE", "BIOPHOTO", "USERPIC", "BIODATA")


def decode_line(raw: bytes) -> str:
    """Decode one device line as UTF-8, falling back to Latin-1 so no byte is lost."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def split_lines(body: bytes) -> list[tuple[int, str]]:
    """Split a body into (1-based line number, text) pairs, skipping blank lines."""
    lines = []
    for number, raw in enumerate(LINE_BREAK.split(body), start=1):
        text = decode_line(raw)
        if text.strip():
            lines.append((number, text))
    return lines


def parse_device_time(text: str) -> dt.datetime:
    """Parse `YYYY-MM-DD HH:MM:SS` (or with a T); raises ValueError on a bad or impossible time.

    `fromisoformat` is several times faster than strptime, but it also accepts a bare date or
    a time with an offset. So the layout is checked first.
    """
    text = text.strip()
    if not (len(text) == 19 and text[4] == "-" and text[7] == "-" and text[10] in " T"
            and text[13] == ":" and text[16] == ":"):
        raise ValueError(text)
    return dt.datetime.fromisoformat(text)


def _int_field(value: str, default: int = 0) -> int:
    value = value.strip()
    return int(value) if value else default


def parse_attlog(body: bytes) -> tuple[list[PunchRecord], list[RejectedLine]]:
    """Parse an ATTLOG body: one punch per line, fields split on TAB only.

    Layout: PIN, time, state, verify, workcode, reserved... An empty workcode is 0; the PIN is
    kept as text with its leading zeros. Lines that cannot be read are returned as rejected
    with a reason code, never dropped.
    """
    records: list[PunchRecord] = []
    rejected: list[RejectedLine] = []
    for number, text in split_lines(body):
        # The trailing TAB of many firmwares leaves one empty last field; it is not a column.
        fields = text.split("\t")
        while len(fields) > ATTLOG_MIN_FIELDS and fields[-1].strip() == "":
            fields.pop()
        if len(fields) < ATTLOG_MIN_FIELDS:
            rejected.append(RejectedLine(
                line=number, raw=text, code="too_few_columns",
                message=_("Line %(line)s has %(count)s TAB-separated fields; at least "
                          "%(minimum)s (PIN, time, state, verify) are needed.")
                % {"line": number, "count": len(fields), "minimum": ATTLOG_MIN_FIELDS},
            ))
            continue

        pin = fields[0].strip()
        try:
            local_time = parse_device_time(fields[1])
        except ValueError:
            code = "invalid_date" if re.fullmatch(
                r"\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\s*", fields[1]) else "bad_time"
            rejected.append(RejectedLine(
                line=number, raw=text, code=code,
                message=_("Line %(line)s: the time %(value)s is not a valid "
                          "YYYY-MM-DD HH:MM:SS date and time.")
                % {"line": number, "value": fields[1]},
            ))
            continue
        try:
            state = _int_field(fields[2])
            verify = _int_field(fields[3])
            workcode = _int_field(fields[4]) if len(fields) > 4 else 0
        except ValueError:
            rejected.append(RejectedLine(
                line=number, raw=text, code="bad_number",
                message=_("Line %(line)s: state, verify mode and work code must be whole "
                          "numbers.") % {"line": number},
            ))
            continue
        records.append(PunchRecord(pin=pin, local_time=local_time, state=state, verify=verify,
                                   workcode=workcode, line=number, raw=text))
    return records, rejected


@dataclass
class OperlogUser:
    """A USER line: the user's fields as Key=Value pairs (the password is not kept)."""

    line: int
    pin: str
    name: str
    privilege: int
    card: str
    group: str
    has_password: bool


@dataclass
class OperlogEntry:
    """An OPLOG line: operation code, operator PIN, device time and up to four parameters."""

    line: int
    code: int
    admin_pin: str
    local_time: dt.datetime | None
    objects: list[str]
    raw: str


@dataclass
class OperlogBody:
    users: list[OperlogUser] = field(default_factory=list)
    operations: list[OperlogEntry] = field(default_factory=list)
    # PIN → number of fingerprint templates announced by FP lines (highest FID + 1).
    fingerprints: dict[str, int] = field(default_factory=dict)
    # Lines that are no known record: template fragments, other tags. Kept for the log.
    ignored: list[tuple[int, str]] = field(default_factory=list)


def _key_value_fields(content: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in content.split("\t"):
        key, sep, value = item.partition("=")
        if sep:
            values[key.strip()] = value
    return values


def parse_operlog(body: bytes) -> OperlogBody:
    """Parse an OPERLOG body: `TAG ` then TAB-separated content, per line.

    USER and FP contents are `Key=Value` fields (names contain spaces, so only TAB splits);
    OPLOG content is positional: code, operator, time, then four parameters.
    """
    result = OperlogBody()
    for number, text in split_lines(body):
        tag, _sep, content = text.partition(" ")
        if tag not in OPERLOG_TAGS:
            result.ignored.append((number, text))
            continue

        if tag == "USER":
            values = _key_value_fields(content)
            pin = values.get("PIN", "").strip()
            if not pin:
                result.ignored.append((number, text))
                continue
            try:
                privilege = int(values.get("Pri", "0") or 0)
            except ValueError:
                privilege = 0
            result.users.append(OperlogUser(
                line=number, pin=pin, name=values.get("Name", "").strip(), privilege=privilege,
                card=values.get("Card", "").strip(), group=values.get("Grp", "").strip(),
                has_password=bool(values.get("Passwd", "")),
            ))
        elif tag == "OPLOG":
            parts = content.split("\t")
            try:
                code = int(parts[0])
            except ValueError:
                result.ignored.append((number, text))
                continue
            try:
                local_time = parse_device_time(parts[2]) if len(parts) > 2 else None
            except ValueError:
                local_time = None
            result.operations.append(OperlogEntry(
                line=number, code=code, admin_pin=parts[1].strip() if len(parts) > 1 else "",
                local_time=local_time, objects=[part.strip() for part in parts[3:7]], raw=text,
            ))
        elif tag == "FP":
            values = _key_value_fields(content)
            pin = values.get("PIN", "").strip()
            try:
                finger = int(values.get("FID", "0") or 0)
            except ValueError:
                finger = 0
            if pin:
                result.fingerprints[pin] = max(result.fingerprints.get(pin, 0), finger + 1)
        # FACE, BIOPHOTO, USERPIC and BIODATA carry biometric data that SAO does not keep.
    return result


def parse_options(body: bytes) -> dict[str, str]:
    """Parse a `table=options` body: comma-separated Key=Value pairs on one or more lines.

    A value may itself contain commas (`~OEMVendor=ZKTECO CO., LTD.`), so a fragment without
    `=` is joined back to the value before it.
    """
    options: dict[str, str] = {}
    last_key = None
    for _number, text in split_lines(body):
        for fragment in text.split(","):
            key, sep, value = fragment.partition("=")
            if sep and key.strip():
                last_key = key.strip()
                options[last_key] = value.strip()
            elif last_key is not None:
                options[last_key] = f"{options[last_key]},{fragment}"
    return options


@dataclass
class DeviceInfo:
    """The INFO parameter of getrequest: firmware, users, fingerprints, records, IP address."""

    firmware: str = ""
    user_count: int | None = None
    fingerprint_count: int | None = None
    record_count: int | None = None
    ip_address: str = ""


def parse_info(value: str) -> DeviceInfo:
    """Parse `Ver 6.60,2,0,0,192.168.1.201,...`; older firmware sends only the first fields."""
    parts = [part.strip() for part in value.split(",")]
    info = DeviceInfo(firmware=parts[0] if parts else "")

    def number(index: int) -> int | None:
        try:
            return int(parts[index])
        except (IndexError, ValueError):
            return None

    info.user_count = number(1)
    info.fingerprint_count = number(2)
    info.record_count = number(3)
    if len(parts) > 4:
        info.ip_address = parts[4]
    return info


@dataclass
class ParsedResult:
    command_id: int
    return_code: int
    cmd: str
    payload: list[str]


def parse_command_results(body: bytes) -> list[ParsedResult]:
    """Parse command results: `ID=..&Return=..&CMD=..` lines, each followed by payload lines.

    The SHELL form puts ID, SN, Return and CMD on separate lines; those are collected too.
    Lines that belong to no result are dropped.
    """
    results: list[ParsedResult] = []
    current: ParsedResult | None = None
    for _number, text in split_lines(body):
        stripped = text.strip()
        if stripped.startswith("ID=") and "&" in stripped:
            values = dict(
                part.partition("=")[::2] for part in stripped.split("&") if "=" in part
            )
            current = _result_from(values)
            if current is not None:
                results.append(current)
            continue
        if stripped.startswith("ID="):
            current = _result_from({"ID": stripped[3:], "Return": "0"})
            if current is not None:
                results.append(current)
            continue
        if current is None:
            continue
        key, sep, value = stripped.partition("=")
        if current.cmd == "" and key in ("Return", "CMD", "SN") and sep:
            if key == "Return":
                current.return_code = _safe_int(value, current.return_code)
            elif key == "CMD":
                current.cmd = value
            continue
        current.payload.append(text)
    return results


def _safe_int(value: str, default: int) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return default


def _result_from(values: dict[str, str]) -> ParsedResult | None:
    try:
        command_id = int(values.get("ID", "").strip())
    except ValueError:
        return None
    return ParsedResult(command_id=command_id,
                        return_code=_safe_int(values.get("Return", "0"), -1),
                        cmd=values.get("CMD", "").strip(), payload=[])


# ---------------------------------------------------------------------------------------------
# Replies


# Server version announced to devices; newer firmware adapts its uploads to it.
SERVER_VERSION = "2.4.1"

# Options a device with PushOptionsFlag=1 is asked to post back as table=options.
PUSH_OPTIONS = ("~DeviceName,FWVersion,UserCount,TransactionCount,FPCount,FaceCount,"
                "FingerFunOn,FaceFunOn,~Platform,~OEMVendor,MAC,IPAddress")


def time_zone_value(zone: ZoneInfo, *, unit: str, at: dt.datetime) -> str:
    """Format the zone's UTC offset at `at` as the firmware expects: 8, 480 or +08:00."""
    offset = at.astimezone(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if unit == "minutes":
        return str(minutes)
    if unit == "hhmm":
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if minutes % 60 == 0:
        return str(minutes // 60)
    return ("%.2f" % (minutes / 60)).rstrip("0")


@dataclass
class HandshakeOptions:
    """Everything the handshake reply depends on, taken from the device record and request."""

    serial: str
    legacy: bool  # push 1.0: no pushver in the request, so the Stamp/OpStamp keys apply
    attlog_stamp: str
    operlog_stamp: str
    attphoto_stamp: str
    error_delay: int
    delay: int
    trans_times: str
    trans_interval: int
    trans_flag: str
    time_zone: str
    realtime: bool
    max_post_size: int
    push_options: bool  # the device sent PushOptionsFlag=1


def handshake_reply(options: HandshakeOptions) -> str:
    """Build the `GET OPTION FROM: <SN>` reply, one Key=Value per line, LF line ends."""
    lines = [f"GET OPTION FROM: {options.serial}"]
    if options.legacy:
        lines += [f"Stamp={options.attlog_stamp}", f"OpStamp={options.operlog_stamp}",
                  f"PhotoStamp={options.attphoto_stamp}"]
    else:
        lines += [f"ATTLOGStamp={options.attlog_stamp}",
                  f"OPERLOGStamp={options.operlog_stamp}",
                  f"ATTPHOTOStamp={options.attphoto_stamp}"]
    lines += [
        f"ErrorDelay={options.error_delay}",
        f"Delay={options.delay}",
        f"TransTimes={options.trans_times}",
        f"TransInterval={options.trans_interval}",
        f"TransFlag={options.trans_flag}",
        f"TimeZone={options.time_zone}",
        f"Realtime={1 if options.realtime else 0}",
        "Encrypt=0",
        "Timeout=60",
        "SyncTime=3600",
    ]
    if not options.legacy:
        lines += [f"ServerVer={SERVER_VERSION}", f"PushProtVer={SERVER_VERSION}",
                  "SupportPing=1", f"MaxPostSize={options.max_post_size}"]
        if options.push_options:
            lines += ["PushOptionsFlag=1", f"PushOptions={PUSH_OPTIONS}"]
    return "\n".join(lines) + "\n"


def parse_reply_options(text: str) -> tuple[str, dict[str, str]]:
    """Split a handshake reply into its SN and its Key=Value options (for tests and tools)."""
    lines = [line for line in re.split(r"\r?\n", text) if line]
    header = lines[0]
    serial = header.split(":", 1)[1].strip() if ":" in header else ""
    options: dict[str, str] = {}
    for line in lines[1:]:
        key, _sep, value = line.partition("=")
        options[key] = value
    return serial, options
