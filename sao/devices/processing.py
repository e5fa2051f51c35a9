"""Processing of stored push uploads, shared by the live endpoints and by replay from the ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sao.devices import iclock, services
from sao.devices.models import (
    CommandKind,
    CommandStatus,
    DeviceCommand,
    DeviceOperation,
    DeviceStatus,
    RawUpload,
    UploadSource,
)
from sao.devices.services import CommandResult, DeviceUserRecord, IngestResult, wall_time

logger = logging.getLogger(__name__)

# Tables SAO parses. Uploads of every other table stay in the ledger and get the reply OK.
TABLE_ATTLOG = "ATTLOG"
TABLE_OPERLOG = "OPERLOG"
TABLE_OPTIONS = "options"
TABLE_DEVICECMD = "devicecmd"
KNOWN_TABLES = {name.lower(): name for name in (TABLE_ATTLOG, TABLE_OPERLOG, TABLE_OPTIONS)}


def upload_table(*, table: str, params: dict[str, str], body: bytes) -> str:
    """Name the table of a cdata POST, inferring it for push 1.0 firmware that sends none.

    A body starting with `ID=` is a command result whatever the table parameter, because a
    Solution X100-C posts its results to cdata.
    """
    if body.lstrip().startswith(b"ID="):
        return TABLE_DEVICECMD
    if table:
        return KNOWN_TABLES.get(table.lower(), table[:20])
    if "OpStamp" in params:
        return TABLE_OPERLOG
    if "Stamp" in params:
        return TABLE_ATTLOG
    return ""


@dataclass
class UploadOutcome:
    """Outcome of processing an upload; `count` is the n of the `OK: n` reply."""

    handled: bool  # False when the upload waits for its device to be accepted
    count: int = 0
    ingest: IngestResult | None = None


def upload_process(*, upload: RawUpload, live: bool = False) -> UploadOutcome:
    """Parse one stored push upload by its table and apply it.

    Uploads from a pending or retired device, or without a device, stay unparsed in the ledger
    (the device's options excepted, which help to identify it). `live` is True while the
    device waits for the reply. Only then is the device clock compared with the receive time.
    """
    device = upload.device
    table = upload.table
    if device is None:
        return UploadOutcome(handled=False)
    if device.status != DeviceStatus.ACTIVE and table != TABLE_OPTIONS:
        return UploadOutcome(handled=False)

    body = bytes(upload.body)
    if table == TABLE_ATTLOG:
        return _process_attlog(upload=upload, body=body, live=live)
    if table == TABLE_OPERLOG:
        return _process_operlog(upload=upload, body=body)
    if table == TABLE_OPTIONS:
        services.device_options_update(device=device, options=iclock.parse_options(body))
        _mark_parsed(upload, lines=len(iclock.split_lines(body)))
        return UploadOutcome(handled=True, count=1)
    if table == TABLE_DEVICECMD:
        results = iclock.parse_command_results(body)
        services.device_command_results_record(
            device=device, now=upload.received_at,
            results=[CommandResult(command_id=item.command_id, return_code=item.return_code,
                                   cmd=item.cmd, payload=item.payload) for item in results],
        )
        _mark_parsed(upload, lines=len(results))
        return UploadOutcome(handled=True, count=len(results))

    # ATTPHOTO, BIODATA, fdata and tables SAO does not use: the ledger keeps the bytes.
    _mark_parsed(upload, lines=0)
    return UploadOutcome(handled=True)


def _mark_parsed(upload: RawUpload, *, lines: int) -> None:
    RawUpload.objects.filter(pk=upload.pk).update(parsed_at=timezone.now(), line_count=lines)


def _process_attlog(*, upload: RawUpload, body: bytes, live: bool) -> UploadOutcome:
    device = upload.device
    records, rejected = iclock.parse_attlog(body)

    suspect = None
    # A reply to DATA QUERY ATTLOG carries old records, so it is no evidence of the clock offset.
    if (live and device.realtime and upload.source == UploadSource.PUSH
            and len(records) <= services.REALTIME_MAX_LINES
            and not DeviceCommand.objects.filter(device=device, kind=CommandKind.ATTLOG_QUERY,
                                                 status=CommandStatus.SENT)
            .values_list("pk", flat=True)[:1]):
        services.device_clock_observe(device=device, records=records,
                                      received_at=upload.received_at)
        suspect = device.clock_suspect

    result = services.punches_ingest(upload=upload, device=device, records=records,
                                     rejected=rejected, suspect=suspect)
    return UploadOutcome(handled=True, count=result.handled, ingest=result)


def _process_operlog(*, upload: RawUpload, body: bytes) -> UploadOutcome:
    device = upload.device
    parsed = iclock.parse_operlog(body)
    line_count = len(iclock.split_lines(body))
    users = [
        DeviceUserRecord(pin=user.pin, name=user.name, privilege=user.privilege, card=user.card,
                         group=user.group, has_password=user.has_password)
        for user in parsed.users
    ]
    operations = [
        DeviceOperation(code=entry.code, admin_pin=entry.admin_pin[:32],
                        local_time=wall_time(entry.local_time) if entry.local_time else None,
                        objects_text="\t".join(entry.objects)[:200], raw=entry.raw)
        for entry in parsed.operations
    ]
    with transaction.atomic():
        services.device_users_upsert(device=device, users=users, upload=upload)
        services.device_fingerprints_count(device=device, pins=parsed.fingerprints)
        services.device_operations_store(device=device, upload=upload, operations=operations)
        _mark_parsed(upload, lines=line_count)
    if parsed.ignored:
        logger.info("OPERLOG upload %s from %s: skipped %s lines with an unknown tag or a "
                    "broken template (first at line %s)", upload.pk, device.serial,
                    len(parsed.ignored), parsed.ignored[0][0])
    # The X100-C accepted `OK: 2` for two lines, so the count is the number of lines received.
    return UploadOutcome(handled=True, count=line_count)
