"""Report settings that BKD edits: the target lines of the dashboard and the signing officials."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RateTarget(models.Model):
    """A target line drawn on the rankings and trends, such as the provincial 97% and 99%."""

    label = models.CharField(_("label"), max_length=80)
    percent = models.DecimalField(
        _("target (percent)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["percent"]
        verbose_name = _("rate target")
        verbose_name_plural = _("rate targets")
        constraints = [models.UniqueConstraint(fields=["percent"], name="rate_target_one_per_percent")]

    def __str__(self) -> str:
        return f"{self.label} ({self.percent}%)"


class ReportSignatory(models.Model):
    """The official who signs the PDF reports of a unit; sub-units without one use their parent's."""

    unit = models.OneToOneField(
        "org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="report_signatory"
    )
    name = models.CharField(_("name with titles"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=18)
    position = models.CharField(_("position"), max_length=200)
    rank = models.CharField(_("rank (pangkat/golongan)"), max_length=80, blank=True)
    city = models.CharField(_("city of signing"), max_length=80, default="Samarinda")

    class Meta:
        verbose_name = _("report signatory")
        verbose_name_plural = _("report signatories")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_id})"


class UnitDayCount(models.Model):
    """Person-day counts of one unit on one date, summed from the daily results for fast rates.

    Rows are rebuilt by `unit_day_counts_refresh`, which periodic tasks run for recent days, so they
    lag the daily results until the next refresh. The rates read today's counts from the results.
    """

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    scheduled = models.PositiveIntegerField(_("scheduled person-days"))
    present = models.PositiveIntegerField(_("present"))
    on_duty = models.PositiveIntegerField(_("on official duty"))
    unexcused = models.PositiveIntegerField(_("absent without notice (TK)"))
    compliant = models.PositiveIntegerField(_("present without TL or PSW"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("unit day count")
        verbose_name_plural = _("unit day counts")
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="unit_day_count_one_per_date")]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A report file written by a background worker, for exports too large to wait for."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs")
    report = models.CharField(_("report"), max_length=20)
    params = models.JSONField(_("parameters"), default=dict)
    file_format = models.CharField(_("format"), max_length=4)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self) -> str:
        return f"{self.report} {self.file_format} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
