"""Daily attendance results, the recompute queue and the monthly close."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class DirtyDay(models.Model):
    """An (employee, work date) pair waiting for recomputation.

    Rows are inserted with ignore_conflicts, so marking the same day twice is harmless, and the
    recompute task deletes the rows it has processed.
    """

    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="dirty_days")
    date = models.DateField(_("work date"))
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("day to recompute")
        verbose_name_plural = _("days to recompute")
        constraints = [
            models.UniqueConstraint(fields=["employee", "date"], name="dirty_day_one_per_date"),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date}"


class DayStatus(models.TextChoices):
    HADIR = "HADIR", _("Present")
    TIDAK_LENGKAP = "TIDAK_LENGKAP", _("Incomplete punches")
    SETENGAH_HARI = "SETENGAH_HARI", _("Half day")
    TK = "TK", _("Absent without notice (TK)")
    LIBUR = "LIBUR", _("Day off or holiday")
    BELUM_FINAL = "BELUM_FINAL", _("Not final yet")
    PERLU_VERIFIKASI = "PERLU_VERIFIKASI", _("Needs verification")
    DL = "DL", _("Official travel (dinas luar)")
    CUTI = "CUTI", _("Leave (cuti)")
    IJIN = "IJIN", _("Permission (ijin)")
    SAKIT = "SAKIT", _("Sick")


class DailyResult(models.Model):
    """The computed attendance of one employee on one work date, one row per shift.

    Office days have shift_code "". Rows are rewritten by the recompute, except in a closed month.
    Absence codes outside DayStatus (from the absences app) are stored as they come. The engine's
    explanation is not stored: the result screen rebuilds it by computing the day again
    (sao.attendance.compute.explain_day).
    """

    # No index of its own on employee or unit: the unique constraint (employee, date, shift) and
    # the index (unit, date) lead with them, and every extra index slows the recompute's writes.
    #
    # No foreign-key constraints either (db_constraint=False). The rows are derived data, written
    # only by the recompute (sao.attendance.storage.write_results) from employees and units it has
    # just read. PostgreSQL checks a constraint with one trigger query per row and column: copying
    # 900,000 rows took 12.1 s with both constraints and 5.3 s without them (PostgreSQL 15, 2-core
    # development machine, docs/benchmarks.md). Django still applies on_delete, so deleting an
    # employee deletes their rows and a unit with rows cannot be deleted (PROTECT). For an
    # employee deleted during a write, the writer locks the chunk's employees and drops the rows
    # of those already gone, and `_delete_results_of_employee` removes rows committed meanwhile.
    # NOTE: raw SQL that deletes employees or units bypasses both and leaves orphaned rows.
    employee = models.ForeignKey(
        "org.Employee",
        on_delete=models.CASCADE,
        related_name="daily_results",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField(_("work date"))
    shift_code = models.CharField(_("shift"), max_length=20, blank=True, default="")
    # The unit the employee was assigned to on that date, for scoping and the monthly close.
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    status = models.CharField(_("status"), max_length=20)
    is_working_day = models.BooleanField(_("working day"))
    check_in = models.DateTimeField(_("check-in"), null=True, blank=True)
    check_out = models.DateTimeField(_("check-out"), null=True, blank=True)
    late_minutes = models.PositiveIntegerField(_("minutes late"), null=True, blank=True)
    early_minutes = models.PositiveIntegerField(_("minutes early"), null=True, blank=True)
    late_code = models.CharField(_("late code"), max_length=6, blank=True)
    early_code = models.CharField(_("early leave code"), max_length=6, blank=True)
    worked_minutes = models.IntegerField(_("worked minutes"), null=True, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    absence_code = models.CharField(_("absence code"), max_length=20, blank=True)
    holiday_name = models.CharField(_("holiday"), max_length=200, blank=True)
    rule_version = models.CharField(_("rule version"), max_length=120)
    # Hash of the stored values (sao.attendance.storage.row_hash), so that a recompute rewrites
    # only rows whose values changed. Null on rows written by other code, which are rewritten.
    values_hash = models.BigIntegerField(_("values hash"), null=True, blank=True, editable=False)
    # When the stored values last changed; a recompute that changes nothing leaves the row alone.
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["employee", "date", "shift_code"]
        verbose_name = _("daily result")
        verbose_name_plural = _("daily results")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "date", "shift_code"], name="daily_result_one_per_shift"
            ),
        ]
        indexes = [models.Index(fields=["unit", "date"]), models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.shift_code} {self.status}"


class MonthCloseStatus(models.TextChoices):
    CLOSED = "closed", _("Closed by the verifier")
    SIGNED = "signed", _("Signed off by the agency head")
    REOPENED = "reopened", _("Reopened by BKD")


class MonthClose(models.Model):
    """The close of one month of results for one agency (OPD), which freezes its results."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="month_closes"
    )
    month = models.DateField(_("month (first day)"))
    status = models.CharField(_("status"), max_length=10, choices=MonthCloseStatus.choices)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    # The results as they were closed: "employee|date|shift" → [status, late, early, late code, early code].
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-month", "unit"]
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="month_close_one_per_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.status}"

    @property
    def is_frozen(self) -> bool:
        return self.status in (MonthCloseStatus.CLOSED, MonthCloseStatus.SIGNED)


def _delete_results_of_employee(sender, instance, **kwargs) -> None:
    """Delete the results of a deleted employee that were committed after Django's cascade ran.

    Django deletes the results before the employee. A recompute that locked the employee
    (FOR KEY SHARE) before that makes the employee's DELETE wait until it commits, so its rows are
    only visible to a statement run after the employee's deletion, like this one.
    """
    DailyResult.objects.filter(employee_id=instance.pk).delete()


post_delete.connect(
    _delete_results_of_employee, sender="org.Employee", dispatch_uid="attendance_delete_results_of_employee"
)
