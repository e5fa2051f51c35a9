"""Pull punches from devices on a reachable LAN over the ZK binary protocol (port 4370, pyzk).

A pull is complete only when the number of records decoded equals the count the device
reports. A short read is stored but marked incomplete. The device's log is cleared only on
request, only after a complete read, and only after the records are committed.

Steps of `device_pull`:
1. connect, lock the keypad (`disable_device`) and read the record count and the user list;
2. read the attendance buffer in chunks, keeping the chunks that arrived if one times out;
3. store the buffer bytes in the raw upload ledger (committed on their own);
4. decode the records, choosing the record layout (8, 16 or 40 bytes) from what divides the
   payload and yields plausible times, never from the count alone;
5. ingest them in one transaction; a failure rolls back every punch of this pull;
6. when asked to clear and the read was complete: read the count again, and clear only if it
   still equals what was stored (the keypad stayed locked, so no punch can be lost);
7. unlock the keypad and disconnect, also on errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from struct import pack, unpack
from urllib.parse import parse_qsl, urlencode

from django.db import DatabaseError, connection, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from zk import ZK, const
from zk.exception import ZKError

from sao.devices.models import Device, DeviceStatus, RawUpload, UploadSource
from sao.devices.processing import UploadOutcome
from sao.devices.records import PunchRecord, RejectedLine
from sao.devices.services import IngestResult, punches_ingest, raw_upload_store

logger = logging.getLogger(__name__)

DEFAULT_PORT = 4370
# pyzk 0.9 reads TCP buffers in chunks of 0xFFC0 bytes; one chunk is about 4,000 records.
DEFAULT_CHUNK_SIZE = 0xFFC0
CMD_PREPARE_BUFFER = 1503
RECORD_SIZES = (40, 16, 8)
# The ZK clock starts at 2000-01-01; a decoded time before this is garbage.
EARLIEST_PLAUSIBLE = dt.datetime(2000, 1, 2)
REJECT_IMPLAUSIBLE = "implausible_record"
REJECT_UNKNOWN_UID = "unknown_uid"


class PullStatus(TextChoices):
    COMPLETE = "complete", gettext_lazy("Complete")
    INCOMPLETE = "incomplete", gettext_lazy("Incomplete")
    FAILED = "failed", gettext_lazy("Failed")


@dataclass
class PullResult:
    """Outcome of one pull; `expected` is the device's count, `decoded` what was read."""

    serial: str
    status: str = PullStatus.FAILED
    expected: int = 0
    decoded: int = 0
    record_size: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unknown_pins: int = 0
    cleared: bool = False
    upload_id: int | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class DecodedLog:
    record_size: int
    records: list[PunchRecord]
    rejected: list[RejectedLine]


def decode_time(value: int) -> dt.datetime:
    """Decode the ZK time encoding; raises ValueError for a day that does not exist."""
    second = value % 60
    value //= 60
    minute = value % 60
    value //= 60
    hour = value % 24
    value //= 24
    day = value % 31 + 1
    value //= 31
    month = value % 12 + 1
    year = value // 12 + 2000
    return dt.datetime(year, month, day, hour, minute, second)


def _decode_record(chunk: bytes, size: int, users: dict[int, str]) -> tuple[str, int, int, int, int, int]:
    """Return (pin, uid, time value, state, verify, workcode) of one record."""
    if size == 8:
        uid, verify, time_bytes, state = unpack("<HB4sB", chunk)
        return users.get(uid, ""), uid, unpack("<I", time_bytes)[0], state, verify, 0
    if size == 16:
        user_id, time_bytes, verify, state, _reserved, workcode = unpack("<I4sBB2sI", chunk)
        return str(user_id), 0, unpack("<I", time_bytes)[0], state, verify, workcode
    uid, user_id, verify, time_bytes, state, _space = unpack("<H24sB4sB8s", chunk)
    pin = user_id.split(b"\x00")[0].decode("utf-8", errors="replace").strip()
    return pin, uid, unpack("<I", time_bytes)[0], state, verify, 0


def _plausible(payload: bytes, size: int, latest: dt.datetime) -> int:
    """Count records of this size whose time is a real date between 2000-01-02 and `latest`."""
    count = 0
    for offset in range(0, len(payload) - size + 1, size):
        time_value = _decode_record(payload[offset:offset + size], size, {})[2]
        try:
            value = decode_time(time_value)
        except ValueError:
            continue
        if EARLIEST_PLAUSIBLE <= value <= latest:
            count += 1
    return count


def choose_record_size(payload: bytes, *, expected: int, latest: dt.datetime) -> int:
    """Pick the layout whose records all decode to plausible times; prefer whole divisors.

    pyzk divides the payload by the device's count, so a count taken a moment earlier or
    later picks the wrong layout and every record decodes to garbage. Here the count only
    breaks ties.
    """
    scored = []
    for size in RECORD_SIZES:
        records = len(payload) // size
        if records == 0:
            continue
        plausible = _plausible(payload, size, latest)
        divides = len(payload) % size == 0
        scored.append((plausible == records and divides, plausible / records, records == expected,
                       divides, size))
    if not scored:
        return 0
    return max(scored)[-1]


def decode_attlog(payload: bytes, *, users: dict[int, str], expected: int,
                  latest: dt.datetime | None = None, serial: str = "") -> DecodedLog:
    """Decode the attendance records of a buffer (without its 4-byte size header)."""
    latest = latest or dt.datetime.now() + dt.timedelta(days=2)
    size = choose_record_size(payload, expected=expected, latest=latest)
    log = DecodedLog(record_size=size, records=[], rejected=[])
    if size == 0:
        return log

    for index, offset in enumerate(range(0, len(payload) - size + 1, size), start=1):
        chunk = payload[offset:offset + size]
        pin, uid, time_value, state, verify, workcode = _decode_record(chunk, size, users)
        raw = chunk.hex()
        try:
            local_time = decode_time(time_value)
        except ValueError:
            local_time = None
        if local_time is None or not EARLIEST_PLAUSIBLE <= local_time <= latest:
            log.rejected.append(RejectedLine(
                line=index, raw=raw, code=REJECT_IMPLAUSIBLE,
                message=_("Record %(index)s decodes to an impossible time; the device memory or "
                          "the transfer is damaged.") % {"index": index}))
            continue
        if size == 8 and not pin:
            # The oldest layout stores the internal slot number. A slot without a user belongs
            # to a deleted user, so its number must not be taken for a PIN.
            log.rejected.append(RejectedLine(
                line=index, raw=raw, code=REJECT_UNKNOWN_UID,
                message=_("Record %(index)s belongs to device slot %(uid)s, which has no user on "
                          "the device.") % {"index": index, "uid": uid}))
            continue
        log.records.append(PunchRecord(pin=pin, local_time=local_time, state=state, verify=verify,
                                       workcode=workcode, line=index, raw=raw, device_serial=serial))
    return log


class ChunkedZK(ZK):
    """pyzk's client with a buffered read that keeps the chunks received before a failure.

    NOTE: it calls pyzk 0.9 private methods (`_ZK__send_command`, `_ZK__read_chunk`) because
    pyzk's public `read_with_buffer` discards everything when one chunk times out. Check them
    when pyzk is upgraded.
    """

    def read_buffer_partial(self, command: int, *, chunk_size: int) -> tuple[bytes, int, str]:
        """Return (bytes received, bytes announced, error text or "")."""
        response = self._ZK__send_command(CMD_PREPARE_BUFFER, pack("<bhii", 1, command, 0, 0), 1024)
        if not response.get("status"):
            return b"", 0, "buffered read not supported"
        data = self._ZK__data
        if response["code"] == const.CMD_DATA:
            return bytes(data), len(data), ""

        size = unpack("<I", data[1:5])[0]
        received: list[bytes] = []
        start = 0
        error = ""
        while start < size:
            length = min(chunk_size, size - start)
            try:
                chunk = self._ZK__read_chunk(start, length)
            except (ZKError, OSError) as exc:
                error = str(exc) or exc.__class__.__name__
                break
            received.append(chunk)
            start += len(chunk)
            if len(chunk) < length:
                error = "short chunk"
                break
        if not error:
            self.free_data()
        return b"".join(received), size, error


def _users_by_uid(conn: ZK) -> dict[int, str]:
    return {user.uid: user.user_id for user in conn.get_users()}


def device_pull(*, device: Device, host: str, port: int = DEFAULT_PORT, timeout: float = 10,
                comm_key: int = 0, force_udp: bool = False, clear: bool = False,
                chunk_size: int = DEFAULT_CHUNK_SIZE) -> PullResult:
    """Read a device's attendance log, store it, and clear the device only if asked and safe.

    See the module docstring for the steps. Clearing needs autocommit (no enclosing
    transaction), so that the records are durable before the device deletes them.
    """
    result = PullResult(serial=device.serial)
    if device.status != DeviceStatus.ACTIVE:
        result.messages.append(_("Device %(serial)s is not active; accept it into a unit before "
                                 "pulling its punches.") % {"serial": device.serial})
        return result
    if clear and connection.in_atomic_block:
        raise RuntimeError("device_pull(clear=True) must run outside a transaction: the records "
                           "have to be committed before the device log is cleared.")

    client = ChunkedZK(host, port=port, timeout=timeout, password=comm_key, force_udp=force_udp,
                       ommit_ping=True)
    try:
        conn = client.connect()
    except (ZKError, OSError) as exc:
        result.messages.append(_("Cannot connect to device %(serial)s at %(host)s:%(port)s: "
                                 "%(error)s; check the address and that port %(port)s is open.")
                               % {"serial": device.serial, "host": host, "port": port, "error": exc})
        logger.warning("Pull from %s at %s:%s failed to connect: %s", device.serial, host, port, exc)
        return result

    try:
        _pull_connected(conn, device=device, result=result, clear=clear, chunk_size=chunk_size)
    except (ZKError, OSError) as exc:
        result.status = PullStatus.FAILED
        result.messages.append(_("The transfer from device %(serial)s failed: %(error)s.")
                               % {"serial": device.serial, "error": exc})
        logger.warning("Pull from %s failed: %s", device.serial, exc)
    except DatabaseError as exc:
        # Nothing of this pull was committed except the raw buffer, and nothing was cleared.
        result.status = PullStatus.FAILED
        result.accepted = result.duplicates = result.quarantined = 0
        result.messages.append(_("Storing the records of device %(serial)s failed (%(error)s); "
                                 "nothing was cleared, pull again.")
                               % {"serial": device.serial, "error": exc})
        logger.exception("Pull from %s: storing the records failed", device.serial)
    finally:
        _release(conn, device)
    return result


def _release(conn: ZK, device: Device) -> None:
    for action in (conn.enable_device, conn.disconnect):
        try:
            action()
        except (ZKError, OSError) as exc:
            logger.warning("Device %s: %s failed after the pull: %s", device.serial, action.__name__, exc)


def _pull_connected(conn: ChunkedZK, *, device: Device, result: PullResult, clear: bool,
                    chunk_size: int) -> None:
    conn.disable_device()
    conn.read_sizes()
    result.expected = conn.records
    users = _users_by_uid(conn) if conn.users else {}

    buffer, announced, error = conn.read_buffer_partial(const.CMD_ATTLOG_RRQ, chunk_size=chunk_size)
    # The user list goes with the buffer, because 8-byte records name users by slot number only.
    query = {"records": result.expected, "announced_bytes": announced, "users": json.dumps(users)}
    upload = raw_upload_store(body=buffer, source=UploadSource.PULL, device=device,
                              content_type="application/octet-stream", query_string=urlencode(query))
    result.upload_id = upload.pk
    if error:
        result.messages.append(_("The transfer stopped after %(received)s of %(announced)s bytes "
                                 "(%(error)s).") % {"received": len(buffer), "announced": announced,
                                                    "error": error})
        logger.warning("Pull from %s stopped after %s of %s bytes: %s", device.serial, len(buffer),
                       announced, error)

    log = _decode_upload(buffer, users=users, expected=result.expected, device=device,
                         received_at=upload.received_at)
    result.record_size = log.record_size
    result.decoded = len(log.records) + len(log.rejected)

    ingest = _ingest(upload=upload, device=device, log=log)
    result.accepted = ingest.accepted
    result.duplicates = ingest.duplicates
    result.quarantined = ingest.quarantined
    result.unknown_pins = ingest.unknown_pins

    complete = not error and result.decoded >= result.expected
    result.status = PullStatus.COMPLETE if complete else PullStatus.INCOMPLETE
    if not complete:
        result.messages.append(_("Device %(serial)s reported %(expected)s records but %(decoded)s "
                                 "were read; the read is incomplete, so the device log is not "
                                 "cleared. Pull again.")
                               % {"serial": device.serial, "expected": result.expected,
                                  "decoded": result.decoded})
        logger.warning("Pull from %s incomplete: expected %s, got %s", device.serial,
                       result.expected, result.decoded)

    if clear and complete:
        _clear_if_unchanged(conn, device=device, result=result)


def _decode_upload(buffer: bytes, *, users: dict[int, str], expected: int, device: Device,
                   received_at: dt.datetime) -> DecodedLog:
    """Decode a stored buffer; times later than a day after the receive time are implausible."""
    payload = buffer[4:] if len(buffer) >= 4 else b""
    latest = timezone.localtime(received_at, device.zone).replace(tzinfo=None) + dt.timedelta(days=1)
    return decode_attlog(payload, users=users, expected=expected, latest=latest, serial=device.serial)


def upload_replay(*, upload: RawUpload) -> UploadOutcome:
    """Decode and ingest a stored pull buffer again (the replay handler of source "pull")."""
    device = upload.device
    if device is None or device.status != DeviceStatus.ACTIVE:
        return UploadOutcome(handled=False)

    options = dict(parse_qsl(upload.query_string))
    users = {int(uid): pin for uid, pin in json.loads(options.get("users") or "{}").items()}
    log = _decode_upload(bytes(upload.body), users=users, expected=int(options.get("records") or 0),
                         device=device, received_at=upload.received_at)
    ingest = _ingest(upload=upload, device=device, log=log)
    return UploadOutcome(handled=True, count=ingest.handled, ingest=ingest)


def _ingest(*, upload, device: Device, log: DecodedLog) -> IngestResult:
    """Store every decoded record of this pull, or none of them."""
    with transaction.atomic():
        return punches_ingest(upload=upload, device=device, records=log.records, rejected=log.rejected)


def _clear_if_unchanged(conn: ChunkedZK, *, device: Device, result: PullResult) -> None:
    conn.read_sizes()
    if conn.records != result.decoded:
        result.messages.append(_("Device %(serial)s now holds %(count)s records instead of "
                                 "%(decoded)s; it was not cleared.")
                               % {"serial": device.serial, "count": conn.records,
                                  "decoded": result.decoded})
        return
    conn.clear_attendance()
    result.cleared = True
    logger.info("Device %s cleared after %s records were stored", device.serial, result.decoded)
