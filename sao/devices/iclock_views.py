"""The push endpoints devices call under /iclock/: plain text, exact status codes, no CSRF.

Every upload POST is handled in this order, in one transaction with one commit:
1. read the body (no transaction is open while the device sends it);
2. find or register the serial, record the contact and the upload stamp, and store the raw
   body;
3. parse the body and apply it (punches, quarantine, device state, dirty days) inside a
   savepoint. A failed parse rolls back to the savepoint, so the body, the contact and the
   stamp still commit, with the error on the upload for `sao replay-upload`;
4. commit, then reply. A device that gets no 200 (the server died before the commit, or the
   reply was lost after it) resends the same data later, which the punch constraint absorbs.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from sao.devices import conf, iclock, services
from sao.devices.models import Device, RawUpload, UploadSource
from sao.devices.processing import TABLE_DEVICECMD, UploadOutcome, upload_process, upload_table

logger = logging.getLogger(__name__)


def text_response(text: str, *, status: int = 200) -> HttpResponse:
    """Build a plain-text reply with a Date header, which firmware uses to check the server.

    Content-Length is set here because `IclockMiddleware` skips CommonMiddleware, which sets
    it for other pages. Without it, gunicorn's threaded workers send the reply chunked. ZKTeco's
    own server sends a Content-Length, and not every firmware is known to read chunked replies.
    """
    response = HttpResponse(text, status=status, content_type="text/plain")
    response["Date"] = http_date()
    response["Content-Length"] = str(len(response.content))
    return response


def _param(request: HttpRequest, name: str) -> str:
    # Firmware spells some keys in other cases (SN/sn, options=all/ALL).
    for key, value in request.GET.items():
        if key.lower() == name.lower():
            return value
    return ""


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _device(request: HttpRequest) -> Device | None:
    """Find or register the device of the request's SN and record the contact."""
    serial = _param(request, "SN").strip()
    if not serial:
        return None
    device = services.device_for_serial(serial=serial)
    services.device_mark_contact(device=device, now=timezone.now(), ip_address=_client_ip(request))
    return device


def _missing_serial() -> HttpResponse:
    return text_response("ERROR: missing SN\n", status=400)


class BodyTooLarge(Exception):
    pass


def _read_body(request: HttpRequest) -> bytes:
    """Read the raw body within the cap; `request.body` is not used because of its own limit."""
    cap = conf.push_max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        raise BodyTooLarge(declared)
    body = request.read(cap + 1)
    if len(body) > cap:
        raise BodyTooLarge(len(body))
    return body


def _too_large(request: HttpRequest, size: int) -> HttpResponse:
    logger.warning("Rejected a %s-byte body from %s (SN=%s) on %s: the cap is %s bytes",
                   size, _client_ip(request), _param(request, "SN"), request.path,
                   conf.push_max_body_bytes())
    return text_response("ERROR: body too large\n", status=413)


def _receive(request: HttpRequest, body: bytes, table: str, *, stamp: str = "") -> RawUpload:
    """Find or register the device, record the contact and stamp, and store the body.

    Runs in the caller's transaction.
    """
    device = services.device_for_serial(serial=_param(request, "SN"))
    services.device_mark_contact(device=device, now=timezone.now(),
                                 ip_address=_client_ip(request), table=table, stamp=stamp)
    return services.raw_upload_store(
        body=body, source=UploadSource.PUSH, serial=device.serial, device=device,
        table=table, query_string=request.META.get("QUERY_STRING", ""),
        content_type=request.META.get("CONTENT_TYPE", ""),
    )


def _process(upload: RawUpload) -> UploadOutcome:
    """Process a stored upload inside a savepoint, so that a failure leaves the bytes for a replay."""
    try:
        with transaction.atomic():
            return upload_process(upload=upload, live=True)
    except Exception as exc:
        # Any failure of the parse, a bug included, keeps the bytes: they commit with the
        # caller's transaction, so the device need not resend, and `sao replay-upload` can
        # retry once the cause is fixed. A broken connection still fails the commit (500).
        logger.exception("Processing upload %s from %s failed", upload.pk, upload.serial)
        RawUpload.objects.filter(pk=upload.pk).update(parse_error=str(exc)[:2000])
        return UploadOutcome(handled=False)


def push_reply(outcome: UploadOutcome, *, table: str) -> HttpResponse:
    """Build the reply to an upload: `OK: n` for records, plain `OK` otherwise."""
    if table == TABLE_DEVICECMD or not outcome.handled or outcome.count == 0:
        return text_response("OK")
    return text_response(f"OK: {outcome.count}")


@csrf_exempt
def cdata(request: HttpRequest) -> HttpResponse:
    """Handshake and time query (GET) and uploads of every table (POST)."""
    if request.method == "POST":
        return _cdata_post(request)
    if request.method not in ("GET", "HEAD"):
        return text_response("ERROR: method not allowed\n", status=405)

    device = _device(request)
    if device is None:
        return _missing_serial()
    if _param(request, "options").lower() == "all":
        return _handshake(request, device)
    if _param(request, "type").lower() == "time":
        local_now = timezone.now().astimezone(device.zone)
        return text_response("Time={}\n".format(local_now.isoformat(timespec="seconds")))
    # type=LastPunch and other queries SAO does not serve.
    return text_response("OK")


def handshake_options(*, device: Device, legacy: bool, push_options: bool) -> iclock.HandshakeOptions:
    """Collect the handshake options of one device from its record."""
    if device.resync_requested or device.first_data_at is None:
        # "0" requests every record stored on the device, so a new device does not skip its log.
        attlog_stamp = "0"
    else:
        attlog_stamp = device.attlog_stamp or "9999"
    return iclock.HandshakeOptions(
        serial=device.serial,
        legacy=legacy,
        attlog_stamp=attlog_stamp,
        operlog_stamp=device.operlog_stamp or "9999",
        attphoto_stamp=device.attphoto_stamp or "9999",
        error_delay=device.error_delay_seconds,
        delay=device.delay_seconds,
        trans_times=device.trans_times,
        trans_interval=device.trans_interval_minutes,
        trans_flag=device.trans_flag,
        time_zone=iclock.time_zone_value(device.zone, unit=device.time_zone_format,
                                         at=timezone.now()),
        realtime=device.realtime,
        max_post_size=conf.push_max_body_bytes(),
        push_options=push_options,
    )


def _handshake(request: HttpRequest, device: Device) -> HttpResponse:
    push_version = _param(request, "pushver")
    options = handshake_options(device=device, legacy=not push_version,
                                push_options=_param(request, "PushOptionsFlag") == "1")
    services.device_handshake_record(device=device, push_version=push_version,
                                     language=_param(request, "language"), now=timezone.now(),
                                     resync_sent=device.resync_requested)
    return text_response(iclock.handshake_reply(options))


def _read_upload_body(request: HttpRequest) -> bytes | HttpResponse:
    """Read the body of an upload, or return the error reply for a missing SN or a large body.

    The serial of a too-large body is still registered and its contact recorded.
    """
    if not _param(request, "SN").strip():
        return _missing_serial()
    try:
        return _read_body(request)
    except BodyTooLarge as exc:
        _device(request)
        return _too_large(request, exc.args[0])


def _upload_stamp(request: HttpRequest, table: str) -> str:
    if table == "OPERLOG" and _param(request, "OpStamp"):
        return _param(request, "OpStamp")
    return _param(request, "Stamp")


def _cdata_post(request: HttpRequest) -> HttpResponse:
    body = _read_upload_body(request)
    if isinstance(body, HttpResponse):
        return body

    params = dict(request.GET.items())
    table = upload_table(table=_param(request, "table"), params=params, body=body)
    with transaction.atomic():
        upload = _receive(request, body, table, stamp=_upload_stamp(request, table))
        outcome = _process(upload)
    return push_reply(outcome, table=table)


@csrf_exempt
def getrequest(request: HttpRequest) -> HttpResponse:
    """Heartbeat: record the contact and INFO, and hand out queued commands."""
    device = _device(request)
    if device is None:
        return _missing_serial()

    info = _param(request, "INFO")
    if info:
        parsed = iclock.parse_info(info)
        services.device_info_record(device=device, firmware=parsed.firmware,
                                    user_count=parsed.user_count,
                                    fingerprint_count=parsed.fingerprint_count,
                                    record_count=parsed.record_count)

    if device.status != "active":
        return text_response("OK")
    commands = services.device_commands_deliver(device=device, now=timezone.now())
    if not commands:
        return text_response("OK")
    return text_response("".join(services.command_line(command) for command in commands))


@csrf_exempt
def devicecmd(request: HttpRequest) -> HttpResponse:
    """Command results: `ID=..&Return=..&CMD=..` lines, parsed from the raw body."""
    if request.method != "POST":
        return text_response("ERROR: method not allowed\n", status=405)
    body = _read_upload_body(request)
    if isinstance(body, HttpResponse):
        return body

    with transaction.atomic():
        upload = _receive(request, body, TABLE_DEVICECMD)
        outcome = _process(upload)
    return push_reply(outcome, table=TABLE_DEVICECMD)


@csrf_exempt
def ping(request: HttpRequest) -> HttpResponse:
    """Keep-alive during long uploads (announced by SupportPing=1)."""
    device = _device(request)
    if device is None:
        return _missing_serial()
    return text_response("OK")


@csrf_exempt
def fdata(request: HttpRequest) -> HttpResponse:
    """Biometric file uploads of some firmware: kept in the ledger, not parsed."""
    if request.method != "POST":
        device = _device(request)
        if device is None:
            return _missing_serial()
        return text_response("OK")
    body = _read_upload_body(request)
    if isinstance(body, HttpResponse):
        return body
    table = ("fdata:" + _param(request, "table"))[:20] if _param(request, "table") else "fdata"
    with transaction.atomic():
        _receive(request, body, table)
    return text_response("OK")
