"""Writes of the devices app: the upload ledger, punch ingestion, registry, PIN mapping, commands.

Every source of punches (push, pull, file, manual) goes through `raw_upload_store` and then
`punches_ingest`. Views, commands and workers call these functions; nothing else writes
these models.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sao.audit.services import audit_record
from sao.devices import conf, store
from sao.devices.models import (
    CommandKind,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceOperation,
    DeviceStatus,
    DeviceUser,
    PinMapping,
    Punch,
    QuarantinedRecord,
    QuarantineReason,
    RawUpload,
    UploadSource,
)
from sao.devices.records import PunchRecord, RejectedLine

logger = logging.getLogger(__name__)

UTC = dt.UTC

# The ZK clock counts from 2000-01-01 00:00; garbage records decode to that day, so records
# dated on or before it are quarantined even on devices without a commissioning date.
DEVICE_EPOCH_DATE = dt.date(2000, 1, 1)


class DeviceError(Exception):
    """A device action breaks a rule; `code` is stable, the message is translated."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Raw upload ledger


def raw_upload_store(
    *,
    body: bytes,
    source: str,
    serial: str = "",
    device: Device | None = None,
    filename: str = "",
    query_string: str = "",
    content_type: str = "",
    table: str = "",
    received_at: dt.datetime | None = None,
) -> RawUpload:
    """Store the bytes of one request or file before anything parses them, and commit them.

    Inside a caller's transaction the row commits with that transaction.
    """
    return store.raw_upload_insert(
        device=device,
        serial=serial or (device.serial if device is not None else ""),
        source=source,
        table=table[:20],
        received_at=received_at or timezone.now(),
        body=bytes(body),
        filename=filename[:255],
        query_string=query_string,
        content_type=content_type[:120],
    )


# Replay functions of the sources parsed outside the push endpoints, by RawUpload.source.
# Each takes `upload=` and returns an object with `handled`, `count` and `ingest`.
REPLAY_HANDLERS = {
    "file": "sao.devices.files.upload_replay",
    "pull": "sao.devices.pull.upload_replay",
}


def raw_upload_replay(*, upload: RawUpload):
    """Parse a stored upload again; records already stored count as duplicates.

    Push uploads are parsed here; file and pull uploads by the function REPLAY_HANDLERS names.
    """
    from django.utils.module_loading import import_string

    from sao.devices.processing import upload_process

    if upload.source in (UploadSource.PUSH, UploadSource.MANUAL) or not upload.source:
        return upload_process(upload=upload)

    handler_path = REPLAY_HANDLERS.get(upload.source, "")
    try:
        handler = import_string(handler_path)
    except ImportError as exc:
        raise DeviceError(
            _("Uploads from source %(source)s cannot be replayed: %(handler)s is missing.")
            % {"source": upload.source, "handler": handler_path or "-"},
            code="no_replay_handler",
        ) from exc
    return handler(upload=upload)


# ---------------------------------------------------------------------------------------------
# Registry


def device_for_serial(*, serial: str) -> Device:
    """Return the device with this serial, creating a pending one for an unknown serial."""
    serial = serial.strip()
    device = store.device_find(serial=serial)
    if device is not None:
        return device

    try:
        with transaction.atomic():
            device = Device.objects.create(serial=serial, status=DeviceStatus.PENDING)
    except IntegrityError:
        # Another request registered the same serial between our read and our insert.
        return Device.objects.select_related("unit").get(serial=serial)
    logger.warning("Unknown device serial %s held as pending", serial)
    return device


def device_register(
    *,
    serial: str,
    unit,
    model: str = "",
    time_zone: str = "",
    commissioned_on: dt.date | None = None,
    actor=None,
    actor_label: str = "",
) -> tuple[Device, bool]:
    """Create or update a registered device; a pending one is accepted and its uploads replayed.

    Returns the device and whether it was created.
    """
    existing = Device.objects.filter(serial=serial).first()
    if existing is not None and existing.status == DeviceStatus.PENDING:
        device = device_accept(device=existing, unit=unit, actor=actor, actor_label=actor_label,
                               model=model, time_zone=time_zone, commissioned_on=commissioned_on)
        return device, False

    with transaction.atomic():
        device, created = Device.objects.select_for_update().get_or_create(
            serial=serial,
            defaults={"unit": unit, "status": DeviceStatus.ACTIVE, "accepted_at": timezone.now()},
        )
        old = _device_snapshot(device)
        device.unit = unit
        if device.status == DeviceStatus.PENDING:
            device.status = DeviceStatus.ACTIVE
        device.model = model or device.model
        device.time_zone = time_zone or device.time_zone
        device.commissioned_on = commissioned_on or device.commissioned_on
        device.save()
        audit_record(actor=actor, actor_label=actor_label, action="device.register",
                     obj=device, old=None if created else old, new=_device_snapshot(device))
    return device, created


def _device_snapshot(device: Device) -> dict:
    return {
        "serial": device.serial, "unit_id": device.unit_id, "status": device.status,
        "model": device.model, "time_zone": device.time_zone,
        "commissioned_on": device.commissioned_on,
    }


def can_accept_devices(user) -> bool:
    """Tell whether a user may accept a pending device, which only the BKD roles may.

    A serial that is not registered belongs to no unit, so a unit operator who could accept
    it could claim another office's machine and its punches.
    """
    from sao.org.scope import PROVINCE_ROLES, effective_role

    return effective_role(user) in PROVINCE_ROLES


def device_accept(
    *,
    device: Device,
    unit,
    actor=None,
    actor_label: str = "",
    model: str = "",
    time_zone: str = "",
    commissioned_on: dt.date | None = None,
) -> Device:
    """Accept a pending device into a unit, then ingest everything it already sent.

    A user `actor` must hold a BKD role (`can_accept_devices`); commands run without a user
    and give `actor_label` instead. The acceptance commits first; each stored upload is then
    replayed in its own transaction so that one unreadable upload cannot undo the acceptance.
    """
    if getattr(actor, "pk", None) is not None and not can_accept_devices(actor):
        raise DeviceError(
            _("Only the BKD operator or administrator can accept device %(serial)s.")
            % {"serial": device.serial},
            code="accept_needs_bkd",
        )

    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.status != DeviceStatus.PENDING:
            raise DeviceError(
                _("Device %(serial)s is not pending, so it cannot be accepted again.")
                % {"serial": device.serial},
                code="not_pending",
            )
        old = _device_snapshot(device)
        device.unit = unit
        device.status = DeviceStatus.ACTIVE
        device.accepted_at = timezone.now()
        device.model = model or device.model
        device.time_zone = time_zone or device.time_zone
        device.commissioned_on = commissioned_on or device.commissioned_on
        device.save()
        audit_record(actor=actor, actor_label=actor_label, action="device.accept", obj=device,
                     old=old, new=_device_snapshot(device))

    device = Device.objects.select_related("unit").get(pk=device.pk)
    for upload in device.uploads.filter(parsed_at__isnull=True).order_by("id"):
        raw_upload_replay(upload=upload)
    return device


def device_mark_contact(*, device: Device, now: dt.datetime, ip_address: str = "",
                        table: str = "", stamp: str = "") -> None:
    """Record that the device just made a request, in one UPDATE.

    A silence longer than the clock tolerance since the last request starts a new online
    run (`online_since`). With `table` and `stamp`, the same UPDATE keeps the upload stamp
    the device sent for that table (see `device_stamp_record`).
    """
    values = {"last_contact_at": now}
    if (device.online_since is None or device.last_contact_at is None
            or now - device.last_contact_at > conf.clock_max_offset()):
        values["online_since"] = now
    if ip_address:
        values["ip_address"] = ip_address[:45]
    values.update(_stamp_values(table=table, stamp=stamp))
    store.device_update(device_id=device.pk, values=values)
    for name, value in values.items():
        setattr(device, name, value)


def device_handshake_record(*, device: Device, push_version: str, language: str,
                            now: dt.datetime, resync_sent: bool = False) -> None:
    """Record the push version and language a device announced in its handshake.

    A handshake starts a new online run, because the device has just started or reconnected
    and the records it sends next may be stored ones. `resync_sent` is True when this reply
    carries the requested ATTLOGStamp=0, which clears the request.
    """
    values = {"push_version": push_version[:20], "language": language[:10],
              "online_since": now}
    if resync_sent:
        values["resync_requested"] = False
    Device.objects.filter(pk=device.pk).update(**values)
    for name, value in values.items():
        setattr(device, name, value)


# Device field that keeps the last upload stamp of each push table.
STAMP_FIELDS = {"ATTLOG": "attlog_stamp", "OPERLOG": "operlog_stamp", "ATTPHOTO": "attphoto_stamp"}


def _stamp_values(*, table: str, stamp: str) -> dict[str, str]:
    stamp = stamp.strip()[:40]
    field_name = STAMP_FIELDS.get(table)
    if field_name is None or not stamp:
        return {}
    return {field_name: stamp}


def device_stamp_record(*, device: Device, table: str, stamp: str) -> None:
    """Keep the last upload stamp a device sent for a table, to echo it in the next handshake."""
    values = _stamp_values(table=table, stamp=stamp)
    if not values:
        return
    Device.objects.filter(pk=device.pk).update(**values)
    for name, value in values.items():
        setattr(device, name, value)


def device_info_record(*, device: Device, firmware: str, user_count: int | None,
                       fingerprint_count: int | None, record_count: int | None) -> None:
    """Store the counters of the INFO parameter of getrequest."""
    values = {"user_count": user_count, "fingerprint_count": fingerprint_count,
              "record_count": record_count}
    values = {name: value for name, value in values.items() if value is not None}
    if firmware:
        values["firmware"] = firmware[:120]
    if values:
        Device.objects.filter(pk=device.pk).update(**values)
        for name, value in values.items():
            setattr(device, name, value)


def device_resync_request(*, device: Device, actor, reason: str = "") -> Device:
    """Make the next handshake ask the device to re-send every stored record (ATTLOGStamp=0)."""
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        device.resync_requested = True
        device.save(update_fields=["resync_requested"])
        audit_record(actor=actor, action="device.resync_request", obj=device,
                     old={"resync_requested": False}, new={"resync_requested": True},
                     reason=reason)
    return device


# ---------------------------------------------------------------------------------------------
# Punch ingestion


@dataclass
class IngestResult:
    """Counts of one ingest call; `quarantined_by_reason` maps a reason code to line numbers."""

    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unknown_pins: int = 0
    quarantined_by_reason: dict[str, list[int]] = field(default_factory=dict)
    # PINs of the valid records that no mapping covers on the record's date.
    unmapped_pins: set[str] = field(default_factory=set)

    @property
    def handled(self) -> int:
        """Return the number of lines durably handled: stored, recognised or quarantined."""
        return self.accepted + self.duplicates + self.quarantined


def wall_time(local_time: dt.datetime) -> dt.datetime:
    """Tag a naive device wall-clock time as UTC, the form Punch.local_time stores."""
    return local_time.replace(tzinfo=UTC)


def local_to_instant(local_time: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Convert a naive device wall-clock time to an aware UTC instant in the device's zone."""
    return local_time.replace(tzinfo=zone).astimezone(UTC)


class PinResolver:
    """Find the employee of a (device, PIN) on a date: a device mapping first, else the nearest unit.

    Unit mappings of the device's unit and of every unit above it apply; the nearest unit wins.
    """

    def __init__(self, *, device: Device, pins: Iterable[str]):
        pins = set(pins)
        # Per PIN: (rank, valid from, valid to, employee id), highest rank first.
        self._by_pin: dict[str, list[tuple[int, dt.date, dt.date | None, int]]] = defaultdict(list)
        if not pins:
            return

        codes = []
        if device.unit_id is not None:
            codes = [code for code in device.unit.path.split("/") if code]
        rows = store.pin_mappings_fetch(device_id=device.pk, unit_codes=codes, pins=sorted(pins))
        for pin, employee_id, mapped_device_id, depth, valid_from, valid_to in rows:
            # Device mappings rank above any unit; deeper units rank above shallower ones.
            rank = 10_000 if mapped_device_id else depth
            self._by_pin[pin].append((rank, valid_from, valid_to, employee_id))
        for candidates in self._by_pin.values():
            candidates.sort(key=lambda item: item[0], reverse=True)

    def employee_id(self, pin: str, day: dt.date) -> int | None:
        for _rank, valid_from, valid_to, employee_id in self._by_pin.get(pin, ()):
            if valid_from <= day and (valid_to is None or day <= valid_to):
                return employee_id
        return None


def _quarantine_reason(
    *, record: PunchRecord, device: Device, instant: dt.datetime, received_at: dt.datetime,
    future_tolerance: dt.timedelta,
) -> tuple[str, str] | None:
    if not record.pin.strip():
        return QuarantineReason.EMPTY_PIN, _("The PIN is empty.")

    day = record.local_time.date()
    if device.commissioned_on is not None and day < device.commissioned_on:
        return QuarantineReason.BEFORE_COMMISSIONING, _(
            "The time %(time)s is before the device's commissioning date %(date)s; check the "
            "device clock."
        ) % {"time": record.local_time.isoformat(sep=" "), "date": device.commissioned_on}
    if day <= DEVICE_EPOCH_DATE:
        return QuarantineReason.BEFORE_COMMISSIONING, _(
            "The time %(time)s is the device clock's zero date, which marks a corrupt record."
        ) % {"time": record.local_time.isoformat(sep=" ")}

    if instant > received_at + future_tolerance:
        return QuarantineReason.FUTURE, _(
            "The time %(time)s is later than the receive time %(received)s plus %(minutes)s "
            "minutes; check the device clock."
        ) % {
            "time": record.local_time.isoformat(sep=" "),
            "received": received_at.astimezone(device.zone).replace(tzinfo=None)
            .isoformat(sep=" ", timespec="seconds"),
            "minutes": int(future_tolerance.total_seconds() // 60),
        }
    return None


def punches_ingest(
    *,
    upload: RawUpload,
    device: Device,
    records: Sequence[PunchRecord],
    rejected: Sequence[RejectedLine] = (),
    suspect: bool | None = None,
) -> IngestResult:
    """Store punch records of one upload, quarantining implausible ones, in one transaction.

    1. Each record is checked (empty PIN, before commissioning, later than the receive time);
       failures and the parser's `rejected` lines go to quarantine with their reason.
    2. Valid records get their UTC instant from the device's zone and their employee from
       the PIN mappings.
    3. A bulk insert lets the unique constraint drop duplicates. The number of rows the insert
       added separates accepted records from duplicates.
    4. The affected employee-days are marked for recomputation in the same transaction, and
       `mark_punches_dirty` enqueues the recompute on commit.

    Inside a caller's transaction this joins it without a savepoint, so after an error the
    caller's transaction can only roll back. `suspect` defaults to the device's clock flag.
    """
    result = IngestResult()
    zone = device.zone
    received_at = upload.received_at
    future_tolerance = conf.future_tolerance()
    if suspect is None:
        suspect = device.clock_suspect

    quarantine: list[QuarantinedRecord] = []
    for line in rejected:
        # The unique (device, code, raw) key needs a raw text; without one, the upload and
        # line number keep distinct lines apart.
        raw = line.raw or f"#upload {upload.pk} line {line.line}"
        quarantine.append(QuarantinedRecord(upload=upload, device=device, line=line.line,
                                            raw=raw, code=line.code, message=line.message))

    # A record inside these bounds with a PIN passes every check of `_quarantine_reason`, so
    # the common case skips the call.
    earliest_day = DEVICE_EPOCH_DATE + dt.timedelta(days=1)
    if device.commissioned_on is not None and device.commissioned_on > earliest_day:
        earliest_day = device.commissioned_on
    earliest_time = dt.datetime.combine(earliest_day, dt.time.min)
    latest_instant = received_at + future_tolerance

    valid: list[tuple[PunchRecord, dt.datetime]] = []
    for record in records:
        instant = record.local_time.replace(tzinfo=zone).astimezone(UTC)
        if (record.local_time >= earliest_time and instant <= latest_instant
                and record.pin.strip()):
            valid.append((record, instant))
            continue
        reason = _quarantine_reason(record=record, device=device, instant=instant,
                                    received_at=received_at, future_tolerance=future_tolerance)
        if reason is None:
            valid.append((record, instant))
            continue
        code, message = reason
        raw = record.raw or "\t".join((record.pin, record.local_time.isoformat(sep=" "),
                                         str(record.state), str(record.verify)))
        quarantine.append(QuarantinedRecord(upload=upload, device=device, line=record.line,
                                            raw=raw, code=code, message=message))

    resolver = PinResolver(device=device, pins={record.pin for record, _instant in valid})
    rows = []
    unknown: set[str] = set()
    # Looked up once, because model attribute access costs more than the rest of this loop.
    device_id, upload_id, source = device.pk, upload.pk, upload.source
    for record, instant in valid:
        employee_id = resolver.employee_id(record.pin, record.local_time.date())
        if employee_id is None:
            unknown.add(record.pin)
        rows.append((
            device_id, record.pin, record.local_time.replace(tzinfo=UTC), instant, record.state,
            record.verify, record.workcode, source, upload_id, employee_id, suspect, received_at,
        ))

    with transaction.atomic(savepoint=False):
        inserted = _insert_punches(rows, upload=upload)
        if quarantine:
            QuarantinedRecord.objects.bulk_create(quarantine, ignore_conflicts=True,
                                                  batch_size=1000)

        result.accepted = inserted.count
        result.duplicates = len(rows) - result.accepted
        result.quarantined = len(quarantine)
        result.unknown_pins = len(unknown)
        result.unmapped_pins = unknown
        for item in quarantine:
            result.quarantined_by_reason.setdefault(item.code, []).append(item.line)

        if valid:
            newest = max(instant for _record, instant in valid)
            store.device_punch_times_update(device_id=device.pk, newest=newest,
                                            received_at=received_at)
        store.raw_upload_counts_update(
            upload_id=upload.pk, parsed_at=timezone.now(),
            line_count=len(records) + len(rejected), accepted=result.accepted,
            duplicates=result.duplicates, quarantined=result.quarantined,
            unknown_pins=result.unknown_pins,
        )

        if inserted.mapped:
            _mark_dirty(inserted.mapped)

    if result.quarantined:
        counts = {code: len(lines) for code, lines in result.quarantined_by_reason.items()}
        logger.warning("Upload %s from %s: %s lines quarantined, by reason %s", upload.pk,
                       device.serial, result.quarantined, counts)
    return result


# Columns of the punch insert, in the order of the row tuples built by punches_ingest.
PUNCH_INSERT_COLUMNS = ("device_id", "pin", "local_time", "instant", "state", "verify",
                        "workcode", "source", "upload_id", "employee_id", "suspect",
                        "received_at")
PUNCH_INSERT_BATCH = 1000
# Positions of the employee id and the instant in those row tuples.
_EMPLOYEE_INDEX = PUNCH_INSERT_COLUMNS.index("employee_id")
_INSTANT_INDEX = PUNCH_INSERT_COLUMNS.index("instant")
# Temporary table that the PostgreSQL insert copies rows into (one per database session).
PUNCH_STAGE_TABLE = "sao_punch_stage"


@dataclass
class PunchInsert:
    """Outcome of one punch insert.

    `mapped` lists (employee id, instant) of the new rows that have an employee. On SQLite it
    also lists earlier rows of the same upload when only part of the batch was new.
    """

    count: int
    mapped: list[tuple[int, dt.datetime]]


def _insert_punches(rows: list[tuple], *, upload: RawUpload) -> PunchInsert:
    """Insert punch rows, leaving out those the unique constraint rejects as duplicates.

    `rows` are tuples in PUNCH_INSERT_COLUMNS order with aware datetimes. Both paths skip
    bulk_create, whose per-field preparation took most of the ingest time.
    """
    if not rows:
        return PunchInsert(count=0, mapped=[])
    if connection.vendor == "postgresql":
        return _insert_punches_copy(rows)
    return _insert_punches_sqlite(rows, upload=upload)


def _insert_punches_sqlite(rows: list[tuple], *, upload: RawUpload) -> PunchInsert:
    """Insert with executemany and ON CONFLICT DO NOTHING (SQLite 3.24+), 1,000 rows a call.

    The rowcount of executemany is the sum of the rows each statement added, so conflicts
    count zero.
    """
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input; values are parameters.
    sql = "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING".format(  # noqa: S608
        table=quote(Punch._meta.db_table),
        columns=", ".join(quote(name) for name in PUNCH_INSERT_COLUMNS),
        values=", ".join(["%s"] * len(PUNCH_INSERT_COLUMNS)),
    )
    count = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), PUNCH_INSERT_BATCH):
            batch = [
                (device_id, pin, _sqlite_datetime(local_time), _sqlite_datetime(instant), *middle,
                 _sqlite_datetime(received_at))
                for device_id, pin, local_time, instant, *middle, received_at
                in rows[start:start + PUNCH_INSERT_BATCH]
            ]
            cursor.executemany(sql, batch)
            count += cursor.rowcount

    if count == len(rows):
        mapped = [(row[_EMPLOYEE_INDEX], row[_INSTANT_INDEX]) for row in rows
                  if row[_EMPLOYEE_INDEX] is not None]
    elif count == 0:
        mapped = []
    else:
        # Which rows were new is unknown here, so every mapped punch of the upload is listed;
        # marking a day twice is harmless.
        mapped = list(Punch.objects.filter(upload=upload, employee__isnull=False)
                      .values_list("employee_id", "instant"))
    return PunchInsert(count=count, mapped=mapped)


@functools.lru_cache(maxsize=2)
def _punch_copy_sql(vendor: str) -> tuple[str, str, str]:
    """Return the statements of the PostgreSQL insert: create the stage, COPY, merge."""
    quote = connection.ops.quote_name
    stage = quote(PUNCH_STAGE_TABLE)
    columns = ", ".join(quote(name) for name in PUNCH_INSERT_COLUMNS)
    # Table and column names come from the model, never from input; values go through COPY.
    create_sql = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {columns}, 0 AS line_order FROM {quote(Punch._meta.db_table)} WITH NO DATA"
    )
    copy_sql = f"COPY {stage} ({columns}, line_order) FROM STDIN"
    merge_sql = (
        f"WITH staged AS (DELETE FROM {stage} RETURNING *), "  # noqa: S608
        f"inserted AS (INSERT INTO {quote(Punch._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM staged ORDER BY line_order ON CONFLICT DO NOTHING "
        "RETURNING employee_id, instant) "
        "SELECT count(*), "
        "array_agg(employee_id) FILTER (WHERE employee_id IS NOT NULL), "
        "array_agg(instant) FILTER (WHERE employee_id IS NOT NULL) "
        "FROM inserted"
    )
    return create_sql, copy_sql, merge_sql


def _insert_punches_copy(rows: list[tuple]) -> PunchInsert:
    """Insert on PostgreSQL: COPY into a temporary staging table, then one INSERT ... SELECT.

    The staging table lives as long as the database session. After its first call in a
    session, CREATE ... IF NOT EXISTS only looks it up, which also covers a pooler that
    hands out another session. The merge statement empties the table, so several calls in
    one transaction stay apart, and ON COMMIT DELETE ROWS frees its pages, which autovacuum
    never visits. `line_order` keeps the order of the lines, so of two lines with the same
    key the first one is stored, as on SQLite.
    """
    create_sql, copy_sql, merge_sql = _punch_copy_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(create_sql)
        # Django neither wraps nor logs COPY. Its errors become Django's DatabaseError here for
        # the callers that catch it, and with DEBUG it shows in connection.queries.
        logged = (cursor.debug_sql(copy_sql) if isinstance(cursor, CursorDebugWrapper)
                  else contextlib.nullcontext())
        with logged, connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for line_order, row in enumerate(rows):
                copy.write_row((*row, line_order))
        cursor.execute(merge_sql)
        count, employee_ids, instants = cursor.fetchone()
    mapped = list(zip(employee_ids or [], instants or [], strict=True))
    return PunchInsert(count=count, mapped=mapped)


def _sqlite_datetime(value: dt.datetime) -> str:
    """Return an aware datetime as the naive UTC text that Django stores in SQLite.

    Django's own adapter reads settings on every call, which showed in profiles.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _mark_dirty(punches: list[tuple[int, dt.datetime]]) -> None:
    from sao.attendance.dirty import mark_punches_dirty

    mark_punches_dirty(punches=punches)


# ---------------------------------------------------------------------------------------------
# Clock trust


# Push ATTLOG uploads with at most this many lines are taken as realtime (one new punch each),
# so the newest line's time can be compared with the receive time.
REALTIME_MAX_LINES = 2


def device_clock_observe(
    *,
    device: Device,
    records: Sequence[PunchRecord],
    received_at: dt.datetime,
) -> int | None:
    """Measure the device clock offset on a realtime upload and flag the device when it drifts.

    Returns the offset in seconds (device time minus receive time), or None when the upload
    cannot tell. ATTLOG lines carry no time of sending, so only a punch the device made
    while it was online, and therefore sent at once, shows the device's current time. The
    upload tells nothing when:
    - it has several records (a backlog or a query reply, not one new punch);
    - its newest record is dated before `device.online_since`, the start of the current
      online run, so it may have been stored during an outage or before a restart;
    - its newest record is not newer than the device's last punch (a resend).
    A stored record that passes these checks was sent at most one tolerance late, because
    a longer silence starts a new run, so it cannot make the offset exceed the tolerance.
    """
    if not records or len(records) > REALTIME_MAX_LINES:
        return None

    newest = max(local_to_instant(record.local_time, device.zone) for record in records)
    if device.online_since is None or newest < device.online_since:
        return None
    if device.last_punch_at is not None and newest <= device.last_punch_at:
        return None

    offset = int((newest - received_at).total_seconds())
    drifted = abs(offset) > conf.clock_max_offset().total_seconds()
    store.device_update(device_id=device.pk, values={
        "clock_offset_seconds": offset, "clock_checked_at": received_at,
        "clock_suspect": drifted,
    })
    if drifted and not device.clock_suspect:
        logger.warning("Device %s clock is off by %s s; its punches are flagged suspect",
                       device.serial, offset)
    device.clock_offset_seconds = offset
    device.clock_checked_at = received_at
    device.clock_suspect = drifted
    return offset


def device_clock_trust(*, device: Device, actor, reason: str = "") -> Device:
    """Clear the clock flag of a device after an operator checked its clock."""
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        old = {"clock_suspect": device.clock_suspect}
        device.clock_suspect = False
        device.save(update_fields=["clock_suspect"])
        audit_record(actor=actor, action="device.clock_trust", obj=device, old=old,
                     new={"clock_suspect": False}, reason=reason)
    return device


# ---------------------------------------------------------------------------------------------
# PIN mapping


@dataclass
class PinMappingResult:
    mapping: PinMapping
    attached: int  # earlier punches that got their employee from this mapping


def pin_mapping_create(
    *,
    employee,
    pin: str,
    valid_from: dt.date,
    device: Device | None = None,
    unit=None,
    valid_to: dt.date | None = None,
    actor=None,
    actor_label: str = "",
    reason: str = "",
) -> PinMappingResult:
    """Map a PIN on one device or on every device of a unit to an employee from a date.

    Unmapped punches already stored for that PIN in the validity period get the employee,
    so no device has to upload them again.
    """
    pin = pin.strip()
    if (device is None) == (unit is None):
        raise DeviceError(_("Give either a device or a unit for the PIN mapping, not both."),
                          code="device_xor_unit")
    if not pin:
        raise DeviceError(_("The PIN is empty."), code="empty_pin")
    if valid_to is not None and valid_to < valid_from:
        raise DeviceError(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": valid_to, "start": valid_from},
            code="dates_reversed",
        )

    with transaction.atomic():
        try:
            with transaction.atomic():
                mapping = PinMapping.objects.create(device=device, unit=unit, pin=pin,
                                                    employee=employee, valid_from=valid_from,
                                                    valid_to=valid_to)
        except IntegrityError as exc:
            raise DeviceError(
                _("PIN %(pin)s already has a mapping starting on %(date)s there.")
                % {"pin": pin, "date": valid_from},
                code="duplicate_mapping",
            ) from exc

        punches = Punch.objects.filter(employee__isnull=True, pin=pin,
                                       local_time__gte=wall_time(_midnight(valid_from)))
        if valid_to is not None:
            punches = punches.filter(
                local_time__lt=wall_time(_midnight(valid_to + dt.timedelta(days=1)))
            )
        if device is not None:
            punches = punches.filter(device=device)
        else:
            # NOTE: a nearer unit's mapping for the same PIN is not checked here. Punches it
            # already attached keep their employee, and unmapped ones go to this employee.
            punches = punches.filter(device__unit__path__startswith=unit.path)
        attached_rows = list(punches.values_list("id", "instant"))
        Punch.objects.filter(id__in=[row[0] for row in attached_rows]).update(employee=employee)

        audit_record(actor=actor, actor_label=actor_label, action="pin_mapping.create",
                     obj=mapping, new={
                         "pin": pin, "device": device.serial if device else None,
                         "unit": unit.code if unit else None, "employee_id": employee.pk,
                         "valid_from": valid_from, "valid_to": valid_to,
                         "attached_punches": len(attached_rows),
                     }, reason=reason)
        if attached_rows:
            dirty = [(employee.pk, instant) for _id, instant in attached_rows]
            transaction.on_commit(lambda: _mark_dirty(dirty))
    return PinMappingResult(mapping=mapping, attached=len(attached_rows))


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min)


# ---------------------------------------------------------------------------------------------
# Device users and operation log


@dataclass(frozen=True)
class DeviceUserRecord:
    """A user as a device reports it; `name_bytes` keeps the undecoded name where known."""

    pin: str
    name: str = ""
    privilege: int = 0
    card: str = ""
    group: str = ""
    has_password: bool = False
    uid: int | None = None
    name_bytes: bytes = b""


def decode_device_name(data: bytes, *, encoding: str = "utf-8") -> tuple[str, bool]:
    """Decode a user name from a device; returns the text and whether bytes had to be replaced.

    The device's own code page is tried first, then UTF-8 and Latin-1 would mis-read
    GBK names, so the fallback replaces undecodable bytes instead of guessing.
    """
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode(encoding), False
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode(encoding if _known_codec(encoding) else "utf-8", errors="replace"), True


def _known_codec(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def device_users_upsert(
    *, device: Device, users: Sequence[DeviceUserRecord], upload: RawUpload | None = None,
) -> int:
    """Create or update the device's user list from reported users; returns how many were given."""
    with transaction.atomic():
        existing = {user.pin: user for user in DeviceUser.objects.filter(
            device=device, pin__in=[record.pin for record in users])}
        for record in users:
            user = existing.get(record.pin) or DeviceUser(device=device, pin=record.pin)
            user.name = record.name[:120]
            user.name_bytes = record.name_bytes
            user.privilege = record.privilege
            user.card = record.card[:40]
            user.group = record.group[:10]
            user.has_password = record.has_password
            if record.uid is not None:
                user.uid = record.uid
            user.upload = upload
            user.save()
            existing[record.pin] = user
    return len(users)


def device_fingerprints_count(*, device: Device, pins: dict[str, int]) -> None:
    """Raise each user's fingerprint count to the highest finger index seen plus one."""
    for pin, count in pins.items():
        DeviceUser.objects.filter(device=device, pin=pin, fingerprint_count__lt=count).update(
            fingerprint_count=count
        )


def device_operations_store(*, device: Device, upload: RawUpload,
                            operations: Sequence[DeviceOperation]) -> int:
    """Store OPLOG lines; a re-sent line is stored once. Returns how many lines were given."""
    for operation in operations:
        operation.device = device
        operation.upload = upload
        operation.alert = operation.code in DeviceOperation.ALERT_CODES
        if operation.alert:
            logger.warning("Device %s reported operation %s (tampering signal): %s",
                           device.serial, operation.code, operation.raw)
    DeviceOperation.objects.bulk_create(operations, ignore_conflicts=True, batch_size=1000)
    return len(operations)


# ---------------------------------------------------------------------------------------------
# Commands


# Limits of one getrequest reply: at most 200 commands and under 40 KB (PUSH SDK 3.2.0).
MAX_COMMANDS_PER_REPLY = 200
MAX_REPLY_BYTES = 40 * 1024


def zk_time_seconds(moment: dt.datetime) -> int:
    """Encode a wall-clock time in the ZK "time_second" format used by SET OPTIONS DateTime."""
    return (
        ((moment.year - 2000) * 12 * 31 + (moment.month - 1) * 31 + (moment.day - 1)) * 86400
        + moment.hour * 3600 + moment.minute * 60 + moment.second
    )


def _command_texts(*, device: Device, kind: str, start: dt.datetime | None,
                   end: dt.datetime | None, now: dt.datetime) -> list[str]:
    if kind == CommandKind.USER_SYNC:
        return [
            f"DATA UPDATE USERINFO PIN={pin}\tName={_clean_field(name)}\tPri=0"
            for pin, name in device_employee_pins(device=device, day=now.astimezone(device.zone)
                                                  .date())
        ]
    if kind == CommandKind.ATTLOG_QUERY:
        if start is None or end is None or end < start:
            raise DeviceError(_("Give a start and an end time, the end after the start."),
                              code="bad_range")
        return ["DATA QUERY ATTLOG StartTime={}\tEndTime={}".format(
            start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"))]
    if kind == CommandKind.SET_TIME:
        # NOTE: taken from push 3.x servers; 2.x firmware usually follows the Date header and
        # type=time instead. Confirm on each model before relying on it.
        local_now = now.astimezone(device.zone)
        return [f"SET OPTIONS DateTime={zk_time_seconds(local_now)}"]
    if kind == CommandKind.REBOOT:
        return ["REBOOT"]
    if kind == CommandKind.INFO:
        return ["INFO"]
    if kind == CommandKind.CHECK:
        return ["CHECK"]
    raise DeviceError(_("Unknown command kind %(kind)s.") % {"kind": kind}, code="bad_kind")


def _clean_field(value: str) -> str:
    # A TAB or line break inside a value would split the command into other fields.
    return " ".join(value.split())


def device_employee_pins(*, device: Device, day: dt.date) -> list[tuple[str, str]]:
    """Return (PIN, name) of every employee whose PIN mapping applies to this device on a day.

    A device mapping of a PIN wins over a mapping of the device's own unit, and among mappings
    of one level the latest `valid_from` wins. Mappings of the units above the device's unit are
    left out, so no employee from outside the device's unit is sent to it.
    """
    # NOTE: PinResolver, which attributes punches, still falls back to the mappings of the units
    # above. A PIN mapped only there is not sent here, yet a punch with it here goes to that person.
    condition = Q(device=device)
    if device.unit_id is not None:
        condition |= Q(unit_id=device.unit_id)
    mappings = (
        PinMapping.objects.filter(condition, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("employee")
        .order_by("pin", "-valid_from", "-pk")
    )

    chosen: dict[str, tuple[bool, str]] = {}
    for mapping in mappings:
        on_device = mapping.device_id is not None
        current = chosen.get(mapping.pin)
        if current is None or (on_device and not current[0]):
            chosen[mapping.pin] = (on_device, mapping.employee.name)
    return sorted((pin, name) for pin, (_on_device, name) in chosen.items())


def device_command_queue(
    *,
    device: Device,
    kind: str,
    actor=None,
    actor_label: str = "",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[DeviceCommand]:
    """Queue a command for a device; the next getrequest delivers it."""
    now = now or timezone.now()
    texts = _command_texts(device=device, kind=kind, start=start, end=end, now=now)
    if not texts:
        raise DeviceError(
            _("No employee has a PIN on device %(serial)s; map PINs first.")
            % {"serial": device.serial},
            code="nothing_to_send",
        )

    with transaction.atomic():
        commands = [
            DeviceCommand.objects.create(device=device, kind=kind, text=text,
                                         created_by=actor if getattr(actor, "pk", None) else None)
            for text in texts
        ]
        audit_record(actor=actor, actor_label=actor_label, action="device.command_queue",
                     obj=device, new={"kind": kind, "commands": [c.pk for c in commands],
                                      "first": texts[0][:200]})
    return commands


def device_commands_deliver(*, device: Device, now: dt.datetime) -> list[DeviceCommand]:
    """Pick the commands for one getrequest reply and mark them sent.

    Queued commands go in id order, together with sent ones that got no result within
    SAO_DEVICE_COMMAND_RESEND_SECONDS, within 200 commands and 40 KB. A REBOOT goes last
    because the device ignores whatever follows it.
    """
    resend_before = now - conf.command_resend_after()
    with transaction.atomic():
        candidates = list(
            DeviceCommand.objects.select_for_update()
            .filter(device=device)
            .filter(Q(status=CommandStatus.QUEUED)
                    | Q(status=CommandStatus.SENT, sent_at__lt=resend_before))
            .order_by("id")[: MAX_COMMANDS_PER_REPLY + 1]
        )
        chosen: list[DeviceCommand] = []
        size = 0
        reboot = None
        for command in candidates:
            if command.kind == CommandKind.REBOOT or command.text.strip() == "REBOOT":
                reboot = reboot or command
                continue
            line_size = len(command_line(command).encode())
            if len(chosen) >= MAX_COMMANDS_PER_REPLY - 1 or size + line_size > MAX_REPLY_BYTES:
                break
            chosen.append(command)
            size += line_size
        if reboot is not None and size + len(command_line(reboot).encode()) <= MAX_REPLY_BYTES:
            chosen.append(reboot)

        DeviceCommand.objects.filter(pk__in=[c.pk for c in chosen]).update(
            status=CommandStatus.SENT, sent_at=now, send_count=F("send_count") + 1)
    return chosen


def command_line(command: DeviceCommand) -> str:
    return f"C:{command.pk}:{command.text}\n"


@dataclass
class CommandResult:
    """One command result as the device posts it: `ID=..&Return=..&CMD=..` plus payload lines."""

    command_id: int
    return_code: int
    cmd: str = ""
    payload: list[str] = field(default_factory=list)


# INFO result keys that update the registry, and the Device field each fills.
INFO_FIELDS = {"FWVersion": "firmware", "UserCount": "user_count", "FPCount": "fingerprint_count",
               "TransactionCount": "record_count", "~DeviceName": "model"}


def device_command_results_record(*, device: Device, results: Sequence[CommandResult],
                                  now: dt.datetime) -> int:
    """Store the results of commands; returns how many matched a command of this device."""
    matched = 0
    with transaction.atomic():
        for item in results:
            status = CommandStatus.DONE if item.return_code >= 0 else CommandStatus.FAILED
            text = "\n".join(item.payload)
            count = DeviceCommand.objects.filter(pk=item.command_id, device=device).update(
                status=status, return_code=item.return_code, completed_at=now,
                result=(f"CMD={item.cmd}\n{text}" if item.cmd else text)[:20000],
            )
            if not count:
                logger.warning("Device %s sent a result for unknown command %s", device.serial,
                               item.command_id)
                continue
            matched += 1
            if item.cmd.upper() == "INFO" and item.payload:
                device_options_update(device=device, options=_key_values(item.payload))
    return matched


def _key_values(lines: Iterable[str]) -> dict[str, str]:
    values = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def device_options_update(*, device: Device, options: dict[str, str]) -> None:
    """Merge reported device options (table=options or an INFO result) into the registry."""
    device = Device.objects.get(pk=device.pk)
    merged = dict(device.device_options)
    merged.update(options)
    device.device_options = merged
    for key, name in INFO_FIELDS.items():
        value = options.get(key)
        if not value:
            continue
        if name in ("user_count", "fingerprint_count", "record_count"):
            try:
                setattr(device, name, int(value))
            except ValueError:
                continue
        elif name == "model" and device.model:
            continue
        else:
            setattr(device, name, value[:120] if name == "firmware" else value[:80])
    device.save(update_fields=["device_options", "firmware", "user_count", "fingerprint_count",
                               "record_count", "model"])
