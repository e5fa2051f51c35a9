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
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sao.notify.gateways import notify_settings
from sao.notify.models import InboundSms, InboundStatus
from sao.notify.services import send_text

logger = logging.getLogger("sao.notify.sms")

REQUEST_KEYWORDS = {"IJIN": "IJIN", "IZIN": "IJIN", "SAKIT": "SAKIT", "CUTI": "CT", "DL": "DL", "PD": "PD"}
DECISION_KEYWORDS = {"SETUJU": "approve", "TOLAK": "reject", "UBAH": "change"}
HELP_KEYWORDS = {"BANTUAN", "HELP", "INFO"}
# Gammu files service inbox names: IN<yyyymmdd>_<hhmmss>_<serial>_<sender>_<part>.txt
INBOX_NAME = re.compile(r"^IN\d{8}_\d{6}_\d{2}_(?P<sender>[^_]+)_\d{2}\.txt$")
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


def handle_message(*, source_name: str, sender: str, text: str) -> InboundSms | None:
    """Act on one inbound message and queue the reply; None when it was handled before."""
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


def poll_inbox(*, inbox: str | None = None) -> dict[str, int]:
    """Read every message file in Gammu SMSD's inbox once, act on it, and move it to processed/.

    Returns counts by status. A file that cannot be read stays in place and is logged.
    """
    folder = Path(inbox or notify_settings().get("gammu_inbox") or "")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Gammu inbox folder {folder} does not exist; check --inbox or SAO_NOTIFY['gammu_inbox']."
        )
    processed = folder / "processed"
    processed.mkdir(exist_ok=True)

    counts: dict[str, int] = {}
    for path in sorted(folder.iterdir()):
        match = INBOX_NAME.match(path.name)
        if not path.is_file() or match is None:
            continue
        try:
            text = _read_inbox_file(path).strip()
        except OSError as exc:
            logger.error("Cannot read inbox file %s: %s", path, exc)
            counts["unreadable"] = counts.get("unreadable", 0) + 1
            continue
        message = handle_message(source_name=path.name, sender=match["sender"], text=text)
        status = message.status if message is not None else "duplicate"
        counts[status] = counts.get(status, 0) + 1
        shutil.move(str(path), str(processed / path.name))
    if counts:
        logger.info("SMS inbox %s read: %s", folder, counts)
    return counts
