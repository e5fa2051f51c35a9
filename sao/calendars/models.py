"""Policy versions, per-employee schedule assignments, rosters and holiday overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One accepted version of the whole attendance policy document (YAML).

    The newest version is in force. Older versions stay for audit and for the rule version that
    each daily result names ("v3:KANTOR-5@2025-06-01").
    """

    number = models.PositiveIntegerField(_("version"), unique=True)
    document = models.TextField(_("policy document (YAML)"))
    legal_basis = models.TextField(_("legal basis of the change"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_label = models.CharField(_("created by (label)"), max_length=150, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"v{self.number}"


class EmployeeSchedule(models.Model):
    """A dated assignment of one employee to a schedule profile, overriding their unit's."""

    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="schedules")
    profile_code = models.CharField(_("schedule profile code"), max_length=40)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("employee schedule assignment")
        verbose_name_plural = _("employee schedule assignments")
        ordering = ["employee", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "valid_from"], name="employee_schedule_one_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="employee_schedule_from_before_to",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.profile_code} from {self.valid_from}"


class RosterEntry(models.Model):
    """One rostered shift of one employee on one date (the date the shift starts)."""

    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="roster_entries")
    date = models.DateField(_("date"))
    shift_code = models.CharField(_("shift"), max_length=20)
    # A rostered shift on a holiday is worked. Clear this to give the shift the holiday off.
    works_on_holiday = models.BooleanField(_("works on holidays"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee", "date", "shift_code"]
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "date", "shift_code"], name="roster_one_shift_per_day"
            ),
        ]
        indexes = [models.Index(fields=["date", "employee"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.shift_code}"


class HolidayCategory(models.TextChoices):
    NATIONAL = "LN", _("National holiday (libur nasional)")
    JOINT_LEAVE = "CB", _("Joint leave day (cuti bersama)")
    REGIONAL = "REGIONAL", _("Regional day off")


class HolidayOverride(models.Model):
    """A holiday added to, or removed from, the list of the `holidays` package."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(
        _("category"), max_length=10, choices=HolidayCategory.choices, default=HolidayCategory.NATIONAL
    )
    is_removal = models.BooleanField(_("removes the holiday"), default=False)
    legal_basis = models.TextField(_("legal basis"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
