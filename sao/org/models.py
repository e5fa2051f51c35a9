"""Units, employees, their dated assignments and legal status, and user accounts with roles."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    OPD = "opd", _("Agency (OPD)")
    RSUD = "rsud", _("Regional hospital (RSUD)")
    UPT = "upt", _("Technical unit (UPT)")
    SCHOOL = "school", _("School")
    OFFICE = "office", _("Office")


class ScheduleProfile(models.TextChoices):
    FIVE_DAY = "5day", _("Five-day week")
    SIX_DAY = "6day", _("Six-day week")
    SHIFT = "shift", _("Shifts and rosters")


# The three Indonesian time zones a unit can be in: WIB, WITA and WIT.
TIME_ZONE_CHOICES = [
    ("Asia/Jakarta", "WIB (Asia/Jakarta)"),
    ("Asia/Makassar", "WITA (Asia/Makassar)"),
    ("Asia/Jayapura", "WIT (Asia/Jayapura)"),
]


class Unit(models.Model):
    """A node of the organisation tree: province, OPD, RSUD, UPT, school or office."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TIME_ZONE_CHOICES, default="Asia/Makassar"
    )
    schedule_profile = models.CharField(
        _("schedule profile"), max_length=10, choices=ScheduleProfile.choices,
        default=ScheduleProfile.FIVE_DAY,
    )
    # The source marks a city or schedule profile with "?" when no public document confirmed it.
    details_unverified = models.BooleanField(_("details unverified"), default=False)
    employee_estimate = models.PositiveIntegerField(_("employee estimate"), null=True, blank=True)
    source = models.TextField(_("source"), blank=True)
    # Materialised path of codes, "/PROV-KALTIM/OPD-DINKES/RSUD-AWS/", for subtree queries.
    path = models.CharField(max_length=1000, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.code}/"
        self.depth = parent_path.count("/") - 1

    def agency(self) -> Unit:
        """Return the agency this unit belongs to: the top-level OPD under the province, or a RSUD."""
        node = self
        while node.parent is not None:
            if node.kind == UnitKind.RSUD or node.parent.kind == UnitKind.PROVINCE:
                return node
            node = node.parent
        return node


class EmployeeKind(models.TextChoices):
    CPNS = "CPNS", _("CPNS (civil servant candidate)")
    PNS = "PNS", _("PNS (civil servant)")
    PPPK = "PPPK", _("PPPK (contract civil servant)")
    PPPK_PW = "PPPK_PW", _("PPPK paruh waktu (part-time)")
    NON_ASN = "NON_ASN", _("Non-ASN staff")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class LegalStatus(models.TextChoices):
    """Kedudukan hukum, with the SIASN reference codes."""

    ACTIVE = "01", _("Active")
    CLTN = "02", _("Unpaid leave outside the state budget (CLTN)")
    STUDY = "03", _("Study assignment (tugas belajar)")
    SUSPENDED = "04", _("Temporarily dismissed")
    WAITING_PAY = "05", _("Receiving waiting pay (uang tunggu)")
    CLTN_EXTENDED = "13", _("CLTN extension")
    DISCIPLINED = "15", _("Under disciplinary sanction")
    PRE_RETIREMENT = "20", _("Pre-retirement period (MPP)")
    DISMISSED = "66", _("Dismissed")
    RETIREMENT_AGE = "98", _("Reached retirement age")
    RETIRED = "99", pgettext_lazy("legal status", "Retired")


# Statuses under which an employee is expected at work and counts in the attendance
# denominator; CLTN, tugas belajar and the others leave it from their effective date.
WORKING_LEGAL_STATUSES = frozenset({LegalStatus.ACTIVE, LegalStatus.DISCIPLINED})


class GradeScheme(models.TextChoices):
    PNS = "PNS", _("PNS golongan (I/a–IV/e)")
    PPPK = "PPPK", _("PPPK golongan (I–XVII)")


class PositionKind(models.TextChoices):
    STRUCTURAL = "1", _("Structural")
    FUNCTIONAL = "2", _("Functional (certain)")
    DUAL = "3", _("Dual")
    GENERAL = "4", _("General functional (pelaksana)")


class Employee(models.Model):
    """One person on the payroll of a unit. ASN are identified by NIP; non-ASN by NIK."""

    nip = models.CharField(_("NIP"), max_length=18, null=True, blank=True, unique=True)
    nik = models.CharField(_("NIK"), max_length=16, null=True, blank=True, unique=True)
    front_title = models.CharField(_("front title"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=150)
    back_title = models.CharField(_("back title"), max_length=60, blank=True)
    kind = models.CharField(_("employee kind"), max_length=8, choices=EmployeeKind.choices)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    grade_scheme = models.CharField(
        _("grade scheme"), max_length=4, choices=GradeScheme.choices, blank=True
    )
    grade_code = models.CharField(_("grade (golongan)"), max_length=8, blank=True)
    echelon = models.CharField(_("echelon"), max_length=8, blank=True)
    position_kind = models.CharField(
        _("position kind"), max_length=1, choices=PositionKind.choices, blank=True
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("current unit"), on_delete=models.PROTECT, related_name="employees"
    )
    supervisor = models.ForeignKey(
        "self", verbose_name=_("direct supervisor (atasan langsung)"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="subordinates",
    )
    legal_status = models.CharField(
        _("legal status"), max_length=2, choices=LegalStatus.choices, default=LegalStatus.ACTIVE
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="NON_ASN") | Q(nip__isnull=False),
                name="employee_asn_has_nip",
            ),
            models.CheckConstraint(
                condition=~Q(kind="NON_ASN") | Q(nip__isnull=True),
                name="employee_non_asn_has_no_nip",
            ),
        ]
        indexes = [models.Index(fields=["unit", "name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """Return the name with academic titles as Indonesian letters print it."""
        name = f"{self.front_title} {self.name}".strip()
        if self.back_title:
            name = f"{name}, {self.back_title}"
        return name

    @property
    def kind_short(self) -> str:
        """Return the employee kind as lists print it: CPNS, PNS, PPPK, PPPK PW, Non-ASN."""
        return {"PPPK_PW": "PPPK PW", "NON_ASN": "Non-ASN"}.get(self.kind, self.kind)

    @property
    def identifier(self) -> str:
        return self.nip or self.nik or f"#{self.pk}"


class UnitAssignment(models.Model):
    """A dated placement of an employee in a unit; a mutasi closes one and opens the next."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    decree = models.CharField(_("decree number"), max_length=100, blank=True)

    class Meta:
        ordering = ["employee", "valid_from"]
        verbose_name = _("unit assignment")
        verbose_name_plural = _("unit history")
        constraints = [
            models.UniqueConstraint(fields=["employee", "valid_from"], name="assignment_one_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_from_before_to",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.valid_from:%d-%m-%Y})"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class LegalStatusPeriod(models.Model):
    """A dated legal status (kedudukan hukum) with its TMT."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="legal_statuses")
    status = models.CharField(_("legal status"), max_length=2, choices=LegalStatus.choices)
    valid_from = models.DateField(_("valid from (TMT)"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    decree = models.CharField(_("decree number"), max_length=100, blank=True)

    class Meta:
        ordering = ["employee", "valid_from"]
        verbose_name = _("legal status period")
        verbose_name_plural = _("legal status history")
        constraints = [
            models.UniqueConstraint(fields=["employee", "valid_from"], name="legal_status_one_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="legal_status_from_before_to",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.valid_from:%d-%m-%Y})"


class EmployeeTpp(models.Model):
    """An employee's monthly TPP amount in whole rupiah from a date on, until the next row's date.

    A month's TPP deduction uses the amount in force on the first day of that month.
    """

    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="tpp_amounts"
    )
    amount = models.DecimalField(_("monthly TPP amount (Rp)"), max_digits=14, decimal_places=0)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["employee", "valid_from"]
        verbose_name = _("TPP amount")
        verbose_name_plural = _("TPP amounts")
        constraints = [
            models.UniqueConstraint(fields=["employee", "valid_from"], name="tpp_amount_one_start"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="tpp_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Rp {self.amount:,.0f} ({self.valid_from:%d-%m-%Y})".replace(",", ".")


class Role(models.TextChoices):
    ADMIN_BKD = "admin_bkd", _("BKD administrator")
    OPERATOR_BKD = "operator_bkd", _("BKD operator")
    OPERATOR_UNIT = "operator_unit", _("Unit operator")
    VERIFIER = "verifier", _("Verifier (Kasubag Umum)")
    SUPERVISOR = "supervisor", _("Supervisor (atasan)")
    LEADER = "leader", _("Agency head (pimpinan)")
    EMPLOYEE = "employee", _("Employee")


# Roles that need a unit, and roles that need a linked employee record.
ROLES_WITH_UNIT = frozenset({Role.OPERATOR_UNIT, Role.VERIFIER, Role.LEADER})
ROLES_WITH_EMPLOYEE = frozenset({Role.SUPERVISOR, Role.EMPLOYEE})


class User(AbstractUser):
    """A login of SAO, with one role and the unit or employee that role is scoped to."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    employee = models.OneToOneField(
        Employee, verbose_name=_("employee record"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="user",
    )
    language = models.CharField(
        _("language"), max_length=5, choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        default="id",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["operator_unit", "verifier", "leader"])
                | Q(unit__isnull=False),
                name="user_unit_role_has_unit",
            ),
        ]

    @property
    def is_bkd(self) -> bool:
        return self.role in (Role.ADMIN_BKD, Role.OPERATOR_BKD)


class ImportBatch(models.Model):
    """An uploaded master-data file, kept byte-exact, with its preview and outcome."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    kind = models.CharField(max_length=20, default="employees")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="import_batches")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("employee import batch")
        verbose_name_plural = _("employee import batches")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
