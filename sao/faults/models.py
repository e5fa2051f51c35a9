"""Device fault tickets, their state history, outage windows, BKD targets and manual presence."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FaultCause(models.TextChoices):
    # Detected by SAO's periodic check.
    SILENT = "silent", _("No contact during working hours")
    CLOCK = "clock", _("Clock drift")
    LOG_FULL = "log_full", _("Attendance log full")
    # Reported by the unit.
    SENSOR = "sensor", _("Fingerprint or face sensor broken")
    POWER = "power", _("No power")
    NETWORK = "network", _("No network")
    DAMAGED = "damaged", _("Device damaged or lost")
    OTHER = "other", _("Other")


DETECTED_CAUSES = frozenset({FaultCause.SILENT, FaultCause.CLOCK, FaultCause.LOG_FULL})
REPORTED_CAUSES = (FaultCause.SENSOR, FaultCause.POWER, FaultCause.NETWORK, FaultCause.DAMAGED,
                   FaultCause.OTHER)
# A drifting clock still records every punch (flagged suspect), so it opens no outage window.
OUTAGE_CAUSES = frozenset(set(FaultCause) - {FaultCause.CLOCK})


class FaultOrigin(models.TextChoices):
    DETECTED = "detected", _("Detected by SAO")
    UNIT = "unit", _("Reported by the unit")


class FaultStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACKNOWLEDGED = "ack", _("Acknowledged")
    IN_REPAIR = "repair", _("In repair")
    RESOLVED = "resolved", _("Resolved")
    REPLACED = "replaced", _("Device replaced")


OPEN_STATUSES = (FaultStatus.REPORTED, FaultStatus.ACKNOWLEDGED, FaultStatus.IN_REPAIR)
CLOSED_STATUSES = (FaultStatus.RESOLVED, FaultStatus.REPLACED)

# Status moves BKD may make. A ticket must be acknowledged before it is closed, so that the
# response time is always measured.
TRANSITIONS: dict[str, frozenset[str]] = {
    FaultStatus.REPORTED: frozenset({FaultStatus.ACKNOWLEDGED}),
    FaultStatus.ACKNOWLEDGED: frozenset({FaultStatus.IN_REPAIR, FaultStatus.RESOLVED,
                                         FaultStatus.REPLACED}),
    FaultStatus.IN_REPAIR: frozenset({FaultStatus.RESOLVED, FaultStatus.REPLACED}),
    FaultStatus.RESOLVED: frozenset(),
    FaultStatus.REPLACED: frozenset(),
}


class FaultStartSource(models.TextChoices):
    DETECTED = "detected", _("Detected")
    STATED = "stated", _("Stated by the unit")


class FaultTicket(models.Model):
    """One fault of one device, from its detection or report to its resolution."""

    device = models.ForeignKey("devices.Device", verbose_name=_("device"),
                               on_delete=models.PROTECT, related_name="fault_tickets")
    # The device's unit when the ticket opened. A later move of the device leaves it unchanged.
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="fault_tickets")
    cause = models.CharField(_("cause"), max_length=10, choices=FaultCause.choices)
    origin = models.CharField(_("origin"), max_length=10, choices=FaultOrigin.choices)
    status = models.CharField(_("status"), max_length=10, choices=FaultStatus.choices,
                              default=FaultStatus.REPORTED)
    detail = models.TextField(_("detection detail"), blank=True)

    failure_started_at = models.DateTimeField(_("failure started at"))
    failure_start_source = models.CharField(_("failure start source"), max_length=10,
                                            choices=FaultStartSource.choices)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)

    # The unit's report: set on creation for unit tickets, or later on a detected ticket.
    reported_at = models.DateTimeField(_("reported by the unit at"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reported_cause = models.CharField(_("reported fault type"), max_length=10, blank=True,
                                      choices=FaultCause.choices)
    stated_started_at = models.DateTimeField(_("failure start stated by the unit"), null=True,
                                             blank=True)
    description = models.TextField(_("description"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="faults/photos/%Y/%m/", blank=True)
    late_report = models.BooleanField(_("reported more than one hour after the failure"),
                                      default=False)

    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    repair_started_at = models.DateTimeField(_("repair started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("fault ticket")
        verbose_name_plural = _("fault tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "cause"],
                condition=Q(status__in=["reported", "ack", "repair"]),
                name="fault_ticket_one_open_per_device_cause",
            ),
        ]
        indexes = [models.Index(fields=["unit", "opened_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.device} {self.cause}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def response_time(self) -> dt.timedelta | None:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.opened_at

    @property
    def repair_time(self) -> dt.timedelta | None:
        if self.closed_at is None or self.acknowledged_at is None:
            return None
        return self.closed_at - self.acknowledged_at

    @property
    def report_delay(self) -> dt.timedelta | None:
        if self.reported_at is None:
            return None
        return self.reported_at - self.failure_started_at


class FaultStateChange(models.Model):
    """One status move of a ticket: who made it, when, and why."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("from"), max_length=10, choices=FaultStatus.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=FaultStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("by (label)"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("fault state change")
        verbose_name_plural = _("fault state changes")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status or '-'} → {self.to_status}"


class FaultOutage(models.Model):
    """A period in which a device did not record punches or could not send them.

    `end` stays empty while the device is still down. When it closes, SAO queues a
    DATA QUERY ATTLOG command for the window (`backfill_command`).
    """

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="outages")
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT,
                               related_name="fault_outages")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    backfill_command = models.ForeignKey("devices.DeviceCommand", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("outage window")
        verbose_name_plural = _("outage windows")
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                                   name="fault_outage_start_before_end"),
            # One window of a ticket is open at a time.
            models.UniqueConstraint(fields=["ticket"], condition=Q(end__isnull=True),
                                    name="fault_outage_one_open_per_ticket"),
        ]
        indexes = [models.Index(fields=["device", "start"])]

    def __str__(self) -> str:
        return f"{self.device_id} {self.start:%Y-%m-%d %H:%M} – {self.end or '…'}"


class FaultTargets(models.Model):
    """BKD's thresholds and service targets, in force from `valid_from` until the next row."""

    valid_from = models.DateField(_("valid from"), unique=True)
    silent_minutes = models.PositiveIntegerField(
        _("minutes without contact in working hours before a ticket opens"), default=30)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"), default=240)
    repair_minutes = models.PositiveIntegerField(_("repair target (minutes)"), default=4320)
    log_full_percent = models.PositiveSmallIntegerField(
        _("log use (percent of capacity) that counts as full"), default=95)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("fault targets")
        verbose_name_plural = _("fault targets")
        constraints = [
            models.CheckConstraint(condition=Q(log_full_percent__gte=1, log_full_percent__lte=100),
                                   name="fault_targets_log_full_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.silent_minutes}/{self.response_minutes}/{self.repair_minutes}"


class PresenceBatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the verifier")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ManualPresenceBatch(models.Model):
    """Presence entered by a unit operator for punches lost in an outage, with its evidence."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.PROTECT,
                               related_name="presence_batches")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    evidence = models.FileField(_("evidence (attendance sheet scan)"),
                                upload_to="faults/evidence/%Y/%m/")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=PresenceBatchStatus.choices,
                              default=PresenceBatchStatus.PENDING)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField(_("entered at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    upload = models.ForeignKey("devices.RawUpload", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("manual presence batch")
        verbose_name_plural = _("manual presence batches")

    def __str__(self) -> str:
        return f"#{self.pk} ticket {self.ticket_id} {self.status}"


class ManualPresenceEntry(models.Model):
    """One presence time of one employee inside a manual presence batch."""

    batch = models.ForeignKey(ManualPresenceBatch, on_delete=models.CASCADE,
                              related_name="entries")
    employee = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="+")
    instant = models.DateTimeField(_("time"))
    # ZK punch state: 0 check-in, 1 check-out.
    state = models.SmallIntegerField(_("state"))

    class Meta:
        verbose_name = _("manual presence entry")
        verbose_name_plural = _("manual presence entries")
        ordering = ["employee", "instant"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "employee", "instant", "state"],
                                    name="manual_presence_unique_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.instant:%Y-%m-%d %H:%M} ({self.state})"
