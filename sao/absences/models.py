"""Absence types, absence requests with their approval steps, delegations and leave rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AbsenceCategory(models.TextChoices):
    DINAS_LUAR = "DL", _("Dinas luar")
    PERJALANAN_DINAS = "PD", _("Perjalanan dinas")
    DIKLAT = "DIKLAT", _("Diklat (training)")
    IJIN = "IJIN", _("Ijin (permission)")
    SAKIT = "SAKIT", _("Sakit (sick)")
    CUTI = "CUTI", _("Cuti (leave)")
    TUGAS_BELAJAR = "TB", _("Tugas belajar (study assignment)")
    CLTN = "CLTN", _("CLTN (unpaid leave)")


class TppRule(models.TextChoices):
    """The treatment of a day of this absence under the regional TPP rules."""

    NO_DEDUCTION = "none", _("No deduction")
    SICK_BY_LENGTH = "sick", _("Deducted by the length of the sickness")
    AS_TK = "tk", _("Deducted at the TK rate")
    REDUCED = "reduced", _("Reduced")
    NOT_PAID = "unpaid", _("Not paid")


class AbsenceType(models.Model):
    """One kind of absence, with its reporting flag and its TPP rule kept independent."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=6, choices=AbsenceCategory.choices)
    counts_as_present = models.BooleanField(_("counts as present in reports"))
    # The status code the covered days get; blank means the type's own code. Perjalanan dinas
    # days read DL, as Kaltim's operators key them (DOMAIN.md 2.6: "DL / perjalanan dinas").
    day_code = models.CharField(
        _("day status code"), max_length=10, blank=True,
        help_text=_("The code the covered days show in results and recaps; empty: the type's code."),
    )
    tpp_rule = models.CharField(_("TPP rule"), max_length=8, choices=TppRule.choices)
    # Tugas belajar and CLTN take the employee out of the attendance denominator.
    leaves_denominator = models.BooleanField(_("removes the employee from the denominator"), default=False)
    needs_letter = models.BooleanField(_("needs a surat tugas or SPPD number"), default=False)
    needs_evidence = models.BooleanField(_("needs an evidence file"), default=False)
    uses_annual_balance = models.BooleanField(_("consumes cuti tahunan"), default=False)
    by_hours = models.BooleanField(_("may cover part of a day"), default=False)
    min_service_years = models.PositiveSmallIntegerField(_("minimum years of service"), default=0)
    max_days = models.PositiveIntegerField(_("maximum length in days"), null=True, blank=True)
    for_pns = models.BooleanField(_("for PNS and CPNS"), default=True)
    for_pppk = models.BooleanField(_("for PPPK"), default=True)
    requestable = models.BooleanField(_("can be requested"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("absence type")
        verbose_name_plural = _("absence types")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LeaveRule(models.Model):
    """The cuti tahunan entitlement and carry-over limits for one employee kind (PNS or PPPK)."""

    employee_kind = models.CharField(_("employee kind"), max_length=8, unique=True)
    annual_days = models.PositiveSmallIntegerField(_("working days per year"), default=12)
    carry_over = models.BooleanField(_("unused days carry over"), default=True)
    # Limits that include the current year's days: one unused year, two or more unused years.
    max_after_one_year = models.PositiveSmallIntegerField(_("maximum after one unused year"), default=18)
    max_after_two_years = models.PositiveSmallIntegerField(_("maximum after two unused years"), default=24)
    partly_used_cap = models.PositiveSmallIntegerField(
        _("maximum carried from a partly used year"), default=6
    )

    class Meta:
        verbose_name = _("leave rule")
        verbose_name_plural = _("leave rules")

    def __str__(self) -> str:
        return self.employee_kind


class RequestStatus(models.TextChoices):
    WAITING_SUPERVISOR = "atasan", _("Waiting for the supervisor")
    WAITING_VERIFIER = "verif", _("Waiting for the verifier")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGE_REQUESTED = "change", _("Change requested")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which a request still waits for someone's decision.
OPEN_STATUSES = (RequestStatus.WAITING_SUPERVISOR, RequestStatus.WAITING_VERIFIER)


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    SMS = "sms", _("SMS")
    IMPORT = "import", _("Import of paper approvals")


class TravelGroup(models.Model):
    """Several employees travelling together on one surat tugas, entered in one form."""

    reference = models.CharField(_("surat tugas / SPPD number"), max_length=100)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("travel group")
        verbose_name_plural = _("travel groups")

    def __str__(self) -> str:
        return self.reference


class AbsenceRequest(models.Model):
    """One absence of one employee over a date range, from entry to the final decision."""

    code = models.CharField(_("request code"), max_length=8, unique=True)
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("employee"), on_delete=models.PROTECT, related_name="absences"
    )
    absence_type = models.ForeignKey(
        AbsenceType, verbose_name=_("absence type"), on_delete=models.PROTECT, related_name="requests"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    start_time = models.TimeField(_("from time"), null=True, blank=True)
    end_time = models.TimeField(_("to time"), null=True, blank=True)
    working_days = models.PositiveIntegerField(_("working days"), default=0)
    reference = models.CharField(_("surat tugas / SPPD number"), max_length=100, blank=True)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    has_doctor_note = models.BooleanField(_("doctor's note"), default=False)
    evidence = models.FileField(_("evidence file"), upload_to="absences/%Y/%m/", blank=True)
    note = models.TextField(_("note"), blank=True)
    group = models.ForeignKey(
        TravelGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices, default=Channel.WEB)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absences_entered",
    )
    entered_by_label = models.CharField(_("entered by"), max_length=150, blank=True)
    entered_unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit of the entry"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True, db_index=True)
    # On-time facts fixed at entry: entered after the first day it covers, after its month closed.
    entered_late = models.BooleanField(_("entered after the day"), default=False)
    entered_after_close = models.BooleanField(_("entered after the month closed"), default=False)
    stage_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("absence request")
        verbose_name_plural = _("absence requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="absence_start_before_end"
            ),
        ]
        indexes = [models.Index(fields=["employee", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.code} {self.absence_type.code} {self.start_date}..{self.end_date}"


class StepAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    CHANGE = "change", _("Change requested")
    ESCALATE = "escalate", _("Escalated")
    RESUBMIT = "resubmit", _("Changed and submitted again")


class ApprovalStep(models.TextChoices):
    SUPERVISOR = "atasan", _("Supervisor (atasan langsung)")
    VERIFIER = "verif", _("Verifier (Kasubag Umum)")


class AbsenceStep(models.Model):
    """One action on a request: who did what at which stage, and on whose behalf."""

    request = models.ForeignKey(AbsenceRequest, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField(_("stage"), max_length=6, choices=ApprovalStep.choices, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=StepAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_employee = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delegation = models.ForeignKey(
        "Delegation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices, default=Channel.WEB)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("absence request step")
        verbose_name_plural = _("absence request steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.stage}"

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        if self.actor_employee_id:
            return self.actor_employee.full_name
        return "SAO"


class Delegation(models.Model):
    """An acting official (Plt or Plh) given an approver's role for a date range."""

    class Kind(models.TextChoices):
        PLT = "plt", _("Plt (pelaksana tugas)")
        PLH = "plh", _("Plh (pelaksana harian)")

    role = models.CharField(_("role"), max_length=6, choices=ApprovalStep.choices)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.PLH)
    # For the supervisor role: the official whose subordinates the acting employee approves.
    official = models.ForeignKey(
        "org.Employee",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delegated_from",
        verbose_name=_("official"),
    )
    # For the verifier role: the agency whose requests the acting employee verifies.
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("unit"),
    )
    acting = models.ForeignKey(
        "org.Employee",
        on_delete=models.CASCADE,
        related_name="delegated_to",
        verbose_name=_("acting official"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    decree = models.CharField(_("decree number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), null=True, blank=True, auto_now_add=True)
    # An ended delegation stops at once, whatever its valid_to; it stays for the history.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("delegation (Plt/Plh)")
        verbose_name_plural = _("delegations (Plt/Plh)")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_to")), name="delegation_from_before_to"
            ),
            models.CheckConstraint(
                condition=Q(role="atasan", official__isnull=False) | Q(role="verif", unit__isnull=False),
                name="delegation_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.role} {self.valid_from}..{self.valid_to}"
