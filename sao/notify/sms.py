"""Inbound SMS commands: reading Gammu SMSD's inbox, parsing the syntax and acting on it.

Syntax (keywords are case-insensitive; dates as YYYY-MM-DD or DD-MM-YYYY):
    IJIN <date> [<date to>] <reason>           ijin for whole days
    SAKIT <date> <reason>                      one day sick without a doctor's note
    CUTI <date> <date to> [<note>]             cuti tahunan
    DL <date> <date to> <surat tugas no.> [<destination>]   dinas luar (PD: perjalanan dinas)
    SETUJU <code>                              the atasan approves request <code>
    TOLAK <code> <reason>                      the atasan rejects it
    UBAH <code> <reason>                       the atasan requests a change
    BANTUAN                                    replies with this syntax
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sao.notify import gammu_sql
from sao.notify.gateways import notify_settings
from sao.notify.models import InboundSms, InboundStatus
from sao.notify.services import send_text

logger = logging.getLogger("sao.notify.sms")

REQUEST_KEYWORDS = {"IJIN": "IJIN", "IZIN": "IJIN", "SAKIT": "SAKIT", "CUTI": "CT", "DL": "DL", "PD": "PD"}
DECISION_KEYWORDS = {"SETUJU": "approve", "TOLAK": "reject", "UBAH": "change"}
HELP_KEYWORDS = {"BANTUAN", "HELP", "INFO"}
# Gammu files service inbox names: IN<yyyymmdd>_<hhmmss>_<serial>_<sender>_<part>.txt. The parts
# of a concatenated SMS are separate files numbered 00, 01, ... with the same sender, written one
# after the other, and the files carry no UDH (seen with gammu-smsd 1.42 and its dummy phone:
# IN20261204_230549_00_+6281200000001_00.txt and IN20261204_230549_00_+6281200000001_01.txt).
INBOX_NAME = re.compile(r"^IN\d{8}_\d{6}_\d{2}_(?P<sender>[^_]+)_(?P<part>\d{2})\.txt$")
# A group of inbox files is read only when its newest file is this old, so a concatenated SMS
# that gammu-smsd is still writing is not read without its last parts.
INBOX_SETTLE_SECONDS = 2
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


class SmsError(Exception):
    """A message that cannot be acted on; the text is the reply to the sender."""

    def __init__(self, reply: str, status: str = InboundStatus.INVALID):
        super().__init__(reply)
        self.reply = reply
        self.status = status


def normalise_phone(number: str) -> str:
    """Return an Indonesian mobile number as digits with country code 62 (0812... -> 62812...)."""
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


def find_employee(number: str):
    from sao.org.models import Employee

    normalised = normalise_phone(number)
    if len(normalised) < 8:
        return None
    # Stored numbers may contain spaces or dashes, so the database narrows by the last three
    # digits only and the full comparison happens on normalised numbers.
    candidates = Employee.objects.filter(phone__endswith=normalised[-3:]).select_related("unit", "supervisor")
    for employee in candidates:
        if normalise_phone(employee.phone) == normalised:
            return employee
    return None


def _help_text() -> str:
    return _(
        "SAO SMS: IJIN 2026-12-07 reason | SAKIT 2026-12-07 reason | CUTI 2026-12-07 2026-12-09 | "
        "DL 2026-12-07 2026-12-09 ST-123/BKD destination | SETUJU CODE | TOLAK CODE reason"
    )


def _date(token: str) -> dt.date | None:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(token, pattern).date()
        except ValueError:
            continue
    return None


@dataclass
class ParsedRequest:
    type_code: str
    start: dt.date
    end: dt.date
    reference: str
    rest: str


def parse_request(keyword: str, tokens: list[str]) -> ParsedRequest:
    """Parse the words after a request keyword, or raise SmsError with the fix."""
    type_code = REQUEST_KEYWORDS[keyword]
    start = _date(tokens[0]) if tokens else None
    if start is None:
        raise SmsError(
            _(
                "Invalid date %(value)s after %(keyword)s; write it as YYYY-MM-DD, "
                "e.g. %(keyword)s 2026-12-07."
            )
            % {"value": tokens[0] if tokens else "-", "keyword": keyword}
        )
    rest = tokens[1:]
    end = _date(rest[0]) if rest else None
    if end is not None:
        rest = rest[1:]
    elif type_code in ("CT", "DL", "PD"):
        raise SmsError(
            _("%(keyword)s needs a start and an end date, e.g. %(keyword)s 2026-12-07 2026-12-09.")
            % {"keyword": keyword}
        )
    reference = ""
    if type_code in ("DL", "PD"):
        if not rest:
            raise SmsError(
                _(
                    "%(keyword)s needs the surat tugas number after the dates, e.g. DL 2026-12-07 "
                    "2026-12-09 ST-123/BKD."
                )
                % {"keyword": keyword}
            )
        reference, rest = rest[0], rest[1:]
    if type_code in ("IJIN", "SAKIT") and not rest:
        raise SmsError(
            _("Add the reason after the date, e.g. %(keyword)s 2026-12-07 sakit gigi.") % {"keyword": keyword}
        )
    return ParsedRequest(
        type_code=type_code, start=start, end=end or start, reference=reference, rest=" ".join(rest)
    )


def _handle_request(employee, keyword: str, tokens: list[str]) -> str:
    from sao.absences.models import AbsenceType, Channel
    from sao.absences.services import AbsenceError, absence_request_create

    parsed = parse_request(keyword, tokens)
    absence_type = AbsenceType.objects.get(code=parsed.type_code)
    try:
        request = absence_request_create(
            employee=employee,
            absence_type=absence_type,
            start_date=parsed.start,
            end_date=parsed.end,
            actor=getattr(employee, "user", None),
            actor_employee=employee,
            actor_label=f"SMS {employee.identifier}",
            channel=Channel.SMS,
            reference=parsed.reference,
            destination=parsed.rest if parsed.reference else "",
            note="" if parsed.reference else parsed.rest,
        )
    except AbsenceError as exc:
        raise SmsError(exc.message, InboundStatus.REJECTED) from exc
    return _(
        "Request %(code)s received: %(type)s %(start)s to %(end)s, %(days)s working days. "
        "It now waits for approval."
    ) % {
        "code": request.code,
        "type": absence_type.code,
        "start": request.start_date,
        "end": request.end_date,
        "days": request.working_days,
    }


def _handle_decision(employee, keyword: str, tokens: list[str]) -> str:
    from sao.absences.models import AbsenceRequest, Channel
    from sao.absences.services import AbsenceError, absence_request_decide

    if not tokens:
        raise SmsError(
            _("Write the request code after %(keyword)s, e.g. %(keyword)s A1B2.") % {"keyword": keyword}
        )
    code = tokens[0].upper()
    request = AbsenceRequest.objects.filter(code=code).select_related("employee").first()
    if request is None:
        raise SmsError(
            _("Request code %(code)s was not found; check the code in the SMS you received.") % {"code": code}
        )
    try:
        request = absence_request_decide(
            request=request,
            action=DECISION_KEYWORDS[keyword],
            actor=getattr(employee, "user", None),
            actor_employee=employee,
            reason=" ".join(tokens[1:]),
            channel=Channel.SMS,
        )
    except AbsenceError as exc:
        raise SmsError(exc.message, InboundStatus.REJECTED) from exc
    return _("Request %(code)s of %(name)s is now: %(status)s.") % {
        "code": request.code,
        "name": request.employee.full_name,
        "status": request.get_status_display(),
    }


def handle_message(
    *, source_name: str, sender: str, text: str, incomplete: bool = False
) -> InboundSms | None:
    """Act on one inbound message and queue the reply; None when it was handled before.

    An `incomplete` message (parts of a concatenated SMS never arrived) is not acted on; the
    sender is asked to send it again.
    """
    if InboundSms.objects.filter(source_name=source_name).exists():
        return None
    employee = find_employee(sender)
    language = getattr(getattr(employee, "user", None), "language", None) or settings.LANGUAGE_CODE
    tokens = text.split()
    keyword = tokens[0].upper() if tokens else ""

    with translation.override(language), transaction.atomic():
        status = InboundStatus.DONE
        try:
            if employee is None:
                raise SmsError(
                    _(
                        "Number %(number)s is not registered in SAO; ask your unit operator to record "
                        "your mobile number."
                    )
                    % {"number": sender},
                    InboundStatus.UNKNOWN_SENDER,
                )
            if incomplete:
                raise SmsError(
                    _(
                        "Part of your SMS starting with \"%(start)s\" did not arrive; send the whole "
                        "message again."
                    )
                    % {"start": text[:20]}
                )
            if keyword in HELP_KEYWORDS:
                reply = _help_text()
            elif keyword in REQUEST_KEYWORDS:
                with transaction.atomic():
                    reply = _handle_request(employee, keyword, tokens[1:])
            elif keyword in DECISION_KEYWORDS:
                with transaction.atomic():
                    reply = _handle_decision(employee, keyword, tokens[1:])
            else:
                raise SmsError(
                    _("Unknown command %(word)s. %(help)s") % {"word": keyword or "-", "help": _help_text()}
                )
        except SmsError as exc:
            status, reply = exc.status, exc.reply
            logger.warning("SMS %s from %s not acted on (%s): %s", source_name, sender, status, reply)

        message = InboundSms.objects.create(
            source_name=source_name, sender=sender, text=text, status=status, reply=reply, employee=employee
        )
        send_text(recipient=sender, text=reply, topic="sms.reply", gateway="gammu")
    return message


def _read_inbox_file(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return data.decode("utf-16")
    return data.decode("utf-8", errors="replace")


def _inbox_groups(folder: Path) -> list[list[tuple[Path, str]]]:
    """Group the inbox files into messages: part 00 starts one, the next parts of that sender follow."""
    groups: list[list[tuple[Path, str]]] = []
    last_part: dict[str, tuple[list[tuple[Path, str]], int]] = {}
    for path in sorted(folder.iterdir()):
        match = INBOX_NAME.match(path.name)
        if not path.is_file() or match is None:
            continue
        sender, part = match["sender"], int(match["part"])
        current = last_part.get(sender)
        if part > 0 and current is not None and current[1] == part - 1:
            current[0].append((path, sender))
            last_part[sender] = (current[0], part)
            continue
        group = [(path, sender)]
        groups.append(group)
        last_part[sender] = (group, part)
    return groups


def poll_inbox(*, inbox: str | None = None, settle_seconds: float | None = None) -> dict[str, int]:
    """Read every message in Gammu SMSD's inbox folder once, act on it, and move its files to processed/.

    The files of a concatenated SMS are joined before parsing. Returns counts by status. A file
    that cannot be read stays in place and is logged.
    """
    config = notify_settings()
    folder = Path(inbox or config.get("gammu_inbox") or "")
    if not folder.is_dir():
        raise FileNotFoundError(
            errno.ENOENT,
            f"Gammu inbox folder {folder} does not exist; check --inbox or SAO_NOTIFY['gammu_inbox'].",
            str(folder),
        )
    if settle_seconds is None:
        settle_seconds = float(config.get("gammu_inbox_settle_seconds", INBOX_SETTLE_SECONDS))
    processed = folder / "processed"
    processed.mkdir(exist_ok=True)

    counts: dict[str, int] = {}
    waiting_senders: set[str] = set()
    for group in _inbox_groups(folder):
        sender = group[0][1]
        newest = max(path.stat().st_mtime for path, _sender in group)
        # Later messages of a sender whose earlier message is still being written wait too,
        # so that one sender's messages are acted on in the order they arrived.
        if sender in waiting_senders or time.time() - newest < settle_seconds:
            waiting_senders.add(sender)
            continue
        try:
            # Parts are joined before stripping: a part may end or start with a space.
            text = "".join(_read_inbox_file(path) for path, _sender in group).strip()
        except OSError as exc:
            logger.error("Failed to read inbox file %s: %s", group[0][0], exc)
            counts["unreadable"] = counts.get("unreadable", 0) + 1
            continue
        message = handle_message(source_name=group[0][0].name, sender=sender, text=text)
        status = message.status if message is not None else "duplicate"
        counts[status] = counts.get(status, 0) + 1
        for path, _sender in group:
            shutil.move(str(path), str(processed / path.name))
    if counts:
        logger.info("SMS inbox %s read: %s", folder, counts)
    return counts


def poll_sql_inbox(
    *, url: str | None = None, incomplete_after: dt.timedelta = gammu_sql.INCOMPLETE_AFTER
) -> dict[str, int]:
    """Read the unprocessed rows of gammu's inbox table once, act on each message, mark its rows.

    The parts of a concatenated SMS are joined first. A message with missing parts waits, and
    after `incomplete_after` its sender is asked to send it again. Rows are marked Processed
    after SAO has stored the message, so a message read again after a crash in between is
    recognised by its source name and only marked. Raises gammu_sql.GammuSqlError when gammu's
    database cannot be read.
    """
    database = gammu_sql.GammuDatabase(url or notify_settings().get("gammu_sql_url") or "")
    counts: dict[str, int] = {}

    for message in gammu_sql.group_parts(gammu_sql.read_unprocessed(database)):
        stale = not message.complete and gammu_sql.is_stale(message, after=incomplete_after)
        if not message.complete and not stale:
            counts["waiting"] = counts.get("waiting", 0) + 1
            continue
        handled = handle_message(
            source_name=message.source_name,
            sender=message.sender,
            text=message.text.strip(),
            incomplete=stale,
        )
        gammu_sql.mark_processed(database, message.ids)
        status = handled.status if handled is not None else "duplicate"
        counts[status] = counts.get(status, 0) + 1
    if counts:
        logger.info("Gammu SQL inbox read: %s", counts)
    return counts
