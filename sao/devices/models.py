"""Devices, the raw upload ledger, punches, quarantine, PIN mappings, device users and commands."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Zone used when neither the device nor its unit names one (WITA, the province's zone).
DEFAULT_DEVICE_TIME_ZONE = "Asia/Makassar"


class DeviceStatus(models.TextChoices):
    PENDING = "pending", _("Pending acceptance")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", pgettext_lazy("device status", "Retired")


class TimeZoneFormat(models.TextChoices):
    """Format of the handshake's TimeZone option that a firmware expects: `8`, `480` or `+08:00`."""

    HOURS = "hours", _("Hours (TimeZone=8)")
    MINUTES = "minutes", _("Minutes (TimeZone=480)")
    HHMM = "hhmm", _("Hours and minutes (TimeZone=+08:00)")


class Device(models.Model):
    """A fingerprint or face terminal, identified by the serial number it sends as SN."""

    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="devices",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.PENDING
    )
    model = models.CharField(_("model"), max_length=80, blank=True)
    firmware = models.CharField(_("firmware"), max_length=120, blank=True)
    # IANA name; blank means the unit's zone (see `zone_name`).
    time_zone = models.CharField(_("time zone"), max_length=40, blank=True)
    time_zone_format = models.CharField(
        _("TimeZone option format"), max_length=8, choices=TimeZoneFormat.choices,
        default=TimeZoneFormat.HOURS,
    )
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)

    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_punch_at = models.DateTimeField(_("last punch"), null=True, blank=True)
    first_data_at = models.DateTimeField(_("first data received"), null=True, blank=True)
    ip_address = models.CharField(_("IP address"), max_length=45, blank=True)

    # Start of the current run of requests with no silence longer than the clock tolerance
    # (SAO_DEVICE_CLOCK_MAX_OFFSET_SECONDS), reset by each handshake. A record dated before it
    # may have waited on the device, so it is never taken as a reading of the device clock.
    online_since = models.DateTimeField(_("online since"), null=True, blank=True)

    # Clock trust: device time minus receive time, measured on realtime uploads.
    clock_offset_seconds = models.IntegerField(_("clock offset (seconds)"), null=True, blank=True)
    clock_checked_at = models.DateTimeField(_("clock checked at"), null=True, blank=True)
    clock_suspect = models.BooleanField(_("clock suspect"), default=False)

    # Push protocol state and per-device options sent in the handshake reply.
    push_version = models.CharField(_("push version"), max_length=20, blank=True)
    language = models.CharField(_("language code"), max_length=10, blank=True)
    attlog_stamp = models.CharField(_("last ATTLOG stamp"), max_length=40, blank=True)
    operlog_stamp = models.CharField(_("last OPERLOG stamp"), max_length=40, blank=True)
    attphoto_stamp = models.CharField(_("last ATTPHOTO stamp"), max_length=40, blank=True)
    # Set by an operator: the next handshake sends ATTLOGStamp=0 so the device re-sends its log.
    resync_requested = models.BooleanField(_("full re-send requested"), default=False)
    delay_seconds = models.PositiveIntegerField(_("poll interval (Delay)"), default=30)
    error_delay_seconds = models.PositiveIntegerField(_("retry interval (ErrorDelay)"), default=60)
    realtime = models.BooleanField(_("realtime upload"), default=True)
    trans_times = models.CharField(_("upload times (TransTimes)"), max_length=60,
                                   default="00:00;14:05")
    trans_interval_minutes = models.PositiveIntegerField(_("TransInterval (minutes)"), default=1)
    trans_flag = models.CharField(
        _("uploaded tables (TransFlag)"), max_length=90,
        default="TransData AttLog\tOpLog\tEnrollUser\tChgUser",
    )
    # Counters from the INFO parameter of getrequest and from table=options posts.
    user_count = models.IntegerField(_("users on device"), null=True, blank=True)
    fingerprint_count = models.IntegerField(_("fingerprints on device"), null=True, blank=True)
    record_count = models.IntegerField(_("records on device"), null=True, blank=True)
    device_options = models.JSONField(_("device options"), default=dict, blank=True)

    class Meta:
        ordering = ["serial"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(unit__isnull=False),
                name="device_registered_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.serial

    @property
    def zone_name(self) -> str:
        if self.time_zone:
            return self.time_zone
        if self.unit_id is not None:
            return self.unit.time_zone
        return DEFAULT_DEVICE_TIME_ZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    def is_online(self, *, now: dt.datetime) -> bool:
        """Tell whether the device polled within SAO_DEVICE_OFFLINE_AFTER_SECONDS."""
        from sao.devices.conf import offline_after

        return self.last_contact_at is not None and now - self.last_contact_at <= offline_after()


class UploadSource(models.TextChoices):
    PUSH = "push", _("Push (iclock)")
    PULL = "pull", _("Pull (port 4370)")
    FILE = "file", _("File import")
    MANUAL = "manual", _("Manual entry")


class RawUpload(models.Model):
    """The bytes of one device request or imported file, stored before any parse."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="uploads",
    )
    serial = models.CharField(_("serial number"), max_length=40, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=UploadSource.choices)
    # Push table name as the device sent it (ATTLOG, OPERLOG, options, devicecmd, ...).
    table = models.CharField(_("table"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    body = models.BinaryField(_("body"))
    size = models.PositiveIntegerField(_("size in bytes"))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    query_string = models.TextField(_("query string"), blank=True)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    parsed_at = models.DateTimeField(_("parsed at"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    accepted_count = models.PositiveIntegerField(_("accepted"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    quarantined_count = models.PositiveIntegerField(_("quarantined"), default=0)
    unknown_pin_count = models.PositiveIntegerField(_("unknown PINs"), default=0)
    parse_error = models.TextField(_("parse error"), blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("raw upload")
        verbose_name_plural = _("raw uploads")
        indexes = [models.Index(fields=["device", "received_at"])]

    def __str__(self) -> str:
        return f"{self.serial or self.filename} {self.table} {self.received_at:%Y-%m-%d %H:%M:%S}"


class Punch(models.Model):
    """One attendance record from a device; rows are only ever added, never changed or deleted.

    The only later write is filling `employee` when the PIN gets mapped.
    """

    # No single-column indexes on device and employee, because the composite indexes below
    # start with them and every index slows the bulk insert of punches.
    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT,
                               related_name="punches", db_index=False)
    pin = models.CharField(_("PIN"), max_length=32)
    # The device's wall-clock reading stored as if it were UTC: 07:28 on the device is kept as
    # 07:28+00:00. It is not an instant; `instant` is. Compare it only with other wall times.
    local_time = models.DateTimeField(_("device local time"))
    instant = models.DateTimeField(_("instant (UTC)"))
    state = models.SmallIntegerField(_("state"))
    verify = models.SmallIntegerField(_("verify mode"))
    workcode = models.IntegerField(_("work code"), default=0)
    source = models.CharField(_("source"), max_length=8, choices=UploadSource.choices)
    upload = models.ForeignKey(RawUpload, verbose_name=_("upload"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="punches")
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("employee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="punches", db_index=False,
    )
    # The device clock was not trusted when this punch arrived: review it; on its own it must
    # never make anyone late or absent.
    suspect = models.BooleanField(_("suspect clock"), default=False)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["instant", "id"]
        verbose_name = _("punch")
        verbose_name_plural = _("punches")
        constraints = [
            models.UniqueConstraint(fields=["device", "pin", "local_time", "state"],
                                    name="punch_unique_device_pin_time_state"),
        ]
        indexes = [
            models.Index(fields=["employee", "instant"]),
            models.Index(fields=["device", "instant"]),
            models.Index(fields=["pin", "device"], condition=Q(employee__isnull=True),
                         name="punch_unmapped_pin"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.pin} {self.local_time:%Y-%m-%d %H:%M:%S}"

    @property
    def local_wall_time(self) -> dt.datetime:
        """Return the device wall-clock time as a naive datetime."""
        return self.local_time.replace(tzinfo=None)


class QuarantineReason(models.TextChoices):
    EMPTY_PIN = "empty_pin", _("Empty PIN")
    BAD_TIME = "bad_time", _("Unreadable time")
    INVALID_DATE = "invalid_date", _("Invalid calendar date")
    BEFORE_COMMISSIONING = "before_commissioning", _("Before the device's commissioning date")
    FUTURE = "future", _("Later than the receive time")
    TOO_FEW_COLUMNS = "too_few_columns", _("Too few columns")
    BAD_NUMBER = "bad_number", _("Non-numeric state, verify or work code")


class QuarantinedRecord(models.Model):
    """A line that did not become a punch, kept with its reason for review."""

    upload = models.ForeignKey(RawUpload, verbose_name=_("upload"), on_delete=models.PROTECT,
                               related_name="quarantined")
    device = models.ForeignKey(Device, verbose_name=_("device"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="quarantined")
    line = models.PositiveIntegerField(_("line"))
    raw = models.TextField(_("raw line"))
    # A QuarantineReason value, or a source-specific code such as "unknown_uid".
    code = models.CharField(_("reason code"), max_length=40)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "line"]
        verbose_name = _("quarantined record")
        verbose_name_plural = _("quarantined records")
        constraints = [
            # A device that re-sends a batch must not quarantine the same line twice.
            models.UniqueConstraint(fields=["device", "code", "raw"],
                                    name="quarantine_unique_device_code_raw"),
        ]

    def __str__(self) -> str:
        return f"{self.code} line {self.line}: {self.raw[:60]}"


class PinMapping(models.Model):
    """Assignment of a device PIN to an employee, on one device or on every device of a unit."""

    device = models.ForeignKey(Device, verbose_name=_("device"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="pin_mappings")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="pin_mappings")
    pin = models.CharField(_("PIN"), max_length=32)
    employee = models.ForeignKey("org.Employee", verbose_name=_("employee"),
                                 on_delete=models.PROTECT, related_name="pin_mappings")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pin", "valid_from"]
        verbose_name = _("PIN mapping")
        verbose_name_plural = _("PIN mappings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(device__isnull=False) & Q(unit__isnull=True))
                | (Q(device__isnull=True) & Q(unit__isnull=False)),
                name="pin_mapping_device_xor_unit",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pin_mapping_from_before_to",
            ),
            models.UniqueConstraint(fields=["device", "pin", "valid_from"],
                                    condition=Q(device__isnull=False),
                                    name="pin_mapping_unique_device_pin_start"),
            models.UniqueConstraint(fields=["unit", "pin", "valid_from"],
                                    condition=Q(unit__isnull=False),
                                    name="pin_mapping_unique_unit_pin_start"),
        ]
        indexes = [models.Index(fields=["pin", "unit"]), models.Index(fields=["pin", "device"])]

    def __str__(self) -> str:
        where = f"device {self.device_id}" if self.device_id else f"unit {self.unit_id}"
        return f"PIN {self.pin} @ {where} → {self.employee_id} from {self.valid_from}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class DeviceUser(models.Model):
    """A user enrolled on a device, as the device last reported it (OPERLOG USER or pull)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="users")
    pin = models.CharField(_("PIN"), max_length=32)
    # Internal slot number of pull-protocol devices; push devices do not send it.
    uid = models.IntegerField(_("device slot (uid)"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    name_bytes = models.BinaryField(_("name as stored on the device"), blank=True, default=b"")
    privilege = models.SmallIntegerField(_("privilege"), default=0)
    card = models.CharField(_("card"), max_length=40, blank=True)
    group = models.CharField(_("group"), max_length=10, blank=True)
    # Whether the device has a password for this user. SAO never stores the password itself.
    has_password = models.BooleanField(_("has password"), default=False)
    fingerprint_count = models.PositiveSmallIntegerField(_("fingerprints"), default=0)
    upload = models.ForeignKey(RawUpload, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["device", "pin"]
        verbose_name = _("device user")
        verbose_name_plural = _("device users")
        constraints = [
            models.UniqueConstraint(fields=["device", "pin"], name="device_user_unique_pin"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.pin} {self.name}"


class DeviceOperation(models.Model):
    """One OPLOG line: power on, menu entry, enrolment, clock change, data clear and so on."""

    # OPLOG codes that signal tampering: clear data, set time, factory reset, delete records.
    ALERT_CODES = frozenset({13, 21, 22, 23})

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="operations")
    upload = models.ForeignKey(RawUpload, on_delete=models.PROTECT, related_name="operations")
    code = models.IntegerField(_("operation code"))
    admin_pin = models.CharField(_("operator PIN"), max_length=32, blank=True)
    # Device wall-clock time tagged as UTC, like Punch.local_time.
    local_time = models.DateTimeField(_("device local time"), null=True, blank=True)
    objects_text = models.CharField(_("operation parameters"), max_length=200, blank=True)
    raw = models.TextField(_("raw line"))
    alert = models.BooleanField(_("alert"), default=False)

    class Meta:
        verbose_name = _("device operation log entry")
        verbose_name_plural = _("device operation log")
        ordering = ["-local_time", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "raw"], name="device_operation_unique_raw"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} OPLOG {self.code}"


class CommandKind(models.TextChoices):
    USER_SYNC = "user_sync", _("Send employees to the device")
    ATTLOG_QUERY = "attlog_query", _("Query punches for a date range")
    SET_TIME = "set_time", _("Set the clock")
    REBOOT = "reboot", _("Reboot")
    INFO = "info", _("Read device information")
    CHECK = "check", _("Upload pending data")


class CommandStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DeviceCommand(models.Model):
    """A command for one device, delivered on getrequest as `C:<id>:<text>`; id is the pk."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    kind = models.CharField(_("kind"), max_length=14, choices=CommandKind.choices)
    text = models.TextField(_("command text"))
    status = models.CharField(_("status"), max_length=8, choices=CommandStatus.choices,
                              default=CommandStatus.QUEUED)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    return_code = models.IntegerField(_("return code"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("device command")
        verbose_name_plural = _("device commands")
        indexes = [models.Index(fields=["device", "status"])]

    def __str__(self) -> str:
        return f"C:{self.pk}:{self.text[:60]}"
