"""Import of the employee master from a SIMPEG/SIASN export (CSV or XLSX).

The import runs in two steps: `employees_plan` reads and checks every row without writing
and returns what would change (the preview); `employees_apply` writes the valid rows,
upserting ASN by NIP and non-ASN by NIK. A rejected row names its line, column and fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sao.org.identifiers import NIP_LAYOUT_PPPK, parse_nik, parse_nip
from sao.org.importing.common import RowError, Sheet, cell_text, read_sheet
from sao.org.models import (
    Employee,
    EmployeeKind,
    EmployeeTpp,
    GradeScheme,
    LegalStatus,
    PositionKind,
    Sex,
    Unit,
)
from sao.org.services import (
    employee_set_legal_status,
    employee_snapshot,
    employee_tpp_set,
    employee_transfer,
    employee_update,
    tpp_amount_on,
)

logger = logging.getLogger(__name__)

# Column names of SAO's layout, each with the spellings SIMPEG and SIASN exports use.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip_baru", "nip_18", "ni_pppk", "nomor_induk"),
    "nik": ("nik", "no_ktp", "nomor_ktp"),
    "gelar_depan": ("gelar_depan",),
    "nama": ("nama", "nama_lengkap", "nama_pegawai"),
    "gelar_belakang": ("gelar_belakang",),
    "jenis_pegawai": ("jenis_pegawai", "status_pegawai", "status_kepegawaian", "status_asn"),
    "jenis_kelamin": ("jenis_kelamin", "jk", "sex"),
    "tanggal_lahir": ("tanggal_lahir", "tgl_lahir"),
    "golongan": ("golongan", "gol", "gol_akhir_nama", "pangkat_golongan"),
    "eselon": ("eselon", "eselon_nama"),
    "jenis_jabatan": ("jenis_jabatan", "jenis_jabatan_nama"),
    "jabatan": ("jabatan", "jabatan_nama", "nama_jabatan"),
    "kode_unit": ("kode_unit", "kode_unor", "unor_kode", "unit_code"),
    "tmt_unit": ("tmt_unit", "tmt_jabatan", "tmt_mutasi"),
    "nip_atasan": ("nip_atasan", "nip_atasan_langsung", "atasan_nip"),
    "kedudukan_hukum": ("kedudukan_hukum", "kedudukan_hukum_id", "kedudukan_hukum_nama"),
    "tmt_kedudukan": ("tmt_kedudukan", "tmt_kedudukan_hukum"),
    "telepon": ("telepon", "no_hp", "nomor_hp", "hp"),
    "email": ("email", "e_mail"),
    "tpp_amount": ("tpp_amount", "tpp", "nilai_tpp", "besaran_tpp", "pagu_tpp"),
    "tmt_tpp": ("tmt_tpp", "tpp_valid_from"),
}
REQUIRED = ("nama", "kode_unit")

KIND_WORDS = {
    "cpns": EmployeeKind.CPNS,
    "pns": EmployeeKind.PNS,
    "pppk": EmployeeKind.PPPK,
    "p3k": EmployeeKind.PPPK,
    "pppk paruh waktu": EmployeeKind.PPPK_PW,
    "pppk pw": EmployeeKind.PPPK_PW,
    "pppk_pw": EmployeeKind.PPPK_PW,
    "non asn": EmployeeKind.NON_ASN,
    "non-asn": EmployeeKind.NON_ASN,
    "non_asn": EmployeeKind.NON_ASN,
    "honorer": EmployeeKind.NON_ASN,
    "thl": EmployeeKind.NON_ASN,
}
SEX_WORDS = {
    "l": Sex.MALE, "laki-laki": Sex.MALE, "laki laki": Sex.MALE, "pria": Sex.MALE, "m": Sex.MALE,
    "1": Sex.MALE, "p": Sex.FEMALE, "perempuan": Sex.FEMALE, "wanita": Sex.FEMALE,
    "f": Sex.FEMALE, "2": Sex.FEMALE,
}
POSITION_KIND_WORDS = {
    "1": PositionKind.STRUCTURAL, "struktural": PositionKind.STRUCTURAL,
    "2": PositionKind.FUNCTIONAL, "fungsional": PositionKind.FUNCTIONAL,
    "fungsional tertentu": PositionKind.FUNCTIONAL,
    "3": PositionKind.DUAL, "rangkap": PositionKind.DUAL,
    "4": PositionKind.GENERAL, "pelaksana": PositionKind.GENERAL,
    "fungsional umum": PositionKind.GENERAL,
}
LEGAL_STATUS_WORDS = {
    "aktif": LegalStatus.ACTIVE, "cltn": LegalStatus.CLTN, "tugas belajar": LegalStatus.STUDY,
    "pemberhentian sementara": LegalStatus.SUSPENDED, "penerima uang tunggu": LegalStatus.WAITING_PAY,
    "perpanjangan cltn": LegalStatus.CLTN_EXTENDED, "hukuman disiplin": LegalStatus.DISCIPLINED,
    "masa persiapan pensiun": LegalStatus.PRE_RETIREMENT, "mpp": LegalStatus.PRE_RETIREMENT,
    "diberhentikan": LegalStatus.DISMISSED, "mencapai bup": LegalStatus.RETIREMENT_AGE,
    "pensiun": LegalStatus.RETIRED,
}

# PNS golongan: SIASN ids 11-45 and the roman form I/a-IV/e.
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
PNS_GRADES = {f"{roman}/{letter}" for roman in _ROMAN for letter in "abcd"} | {"IV/e"}
PNS_GRADE_IDS = {f"{number}{index}": f"{roman}/{letter}"
                 for roman, number in _ROMAN.items()
                 for index, letter in enumerate("abcde", start=1)
                 if f"{roman}/{letter}" in PNS_GRADES}
PPPK_GRADES = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
               "XIV", "XV", "XVI", "XVII"}
ECHELONS = {"I.a", "I.b", "II.a", "II.b", "III.a", "III.b", "IV.a", "IV.b", "V.a", "V.b"}

DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")


class _RowRejected(Exception):
    """One bad cell: its column, value, translated message and stable code."""

    def __init__(self, column: str, value: object, message: str, code: str):
        super().__init__(message)
        self.column = column
        self.value = "" if value is None else str(value)
        self.message = message
        self.code = code


class _RowProblems(Exception):
    """Every bad cell of one row."""

    def __init__(self, problems: list[_RowRejected]):
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass
class RowPlan:
    """The planned effect of one valid row: create, update (with the changed fields) or nothing."""

    line: int
    action: str  # "create", "update" or "unchanged"
    key: str  # the NIP, or the NIK of a non-ASN row
    name: str
    values: dict[str, Any]
    unit: Unit
    unit_from: dt.date
    supervisor_key: str
    legal_status: str
    legal_status_from: dt.date
    tpp_amount: Decimal | None = None
    tpp_from: dt.date | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    employee: Employee | None = None


@dataclass
class EmployeePlan:
    rows: list[RowPlan]
    errors: list[RowError]
    total_rows: int

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


@dataclass
class EmployeeImportResult:
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]


def _canonical_columns(sheet: Sheet) -> dict[str, str]:
    """Map each SAO column name to the header name the file uses for it."""
    found: dict[str, str] = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in sheet.header:
                found[canonical] = alias
                break
    return found


def parse_date(value: object, column: str) -> dt.date | None:
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _RowRejected(
        column, text,
        _("Date %(value)s is not a valid date; write it as YYYY-MM-DD (for example 1986-09-26) "
          "or DD-MM-YYYY.") % {"value": text},
        "date_invalid",
    )


# Rupiah as SIMPEG exports and people type them: 5250000, 5.250.000, 5,250,000, Rp 5.250.000,00.
_RUPIAH_DOTS = re.compile(r"\d{1,3}(\.\d{3})+(,0{1,2})?")
_RUPIAH_COMMAS = re.compile(r"\d{1,3}(,\d{3})+(\.0{1,2})?")
_RUPIAH_PLAIN = re.compile(r"\d+([.,]0{1,2})?")


def parse_rupiah(value: object, column: str) -> Decimal | None:
    """Read a whole rupiah amount from a number cell or a text such as "Rp 5.250.000"."""
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, bool):
        value = cell_text(value)
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
        if amount >= 0 and amount == amount.to_integral_value():
            return amount.quantize(Decimal(1))
        text = cell_text(value)
    else:
        text = cell_text(value)
        compact = re.sub(r"^rp\.?", "", text.strip().lower()).replace(" ", "")
        if _RUPIAH_DOTS.fullmatch(compact):
            return Decimal(compact.split(",")[0].replace(".", ""))
        if _RUPIAH_COMMAS.fullmatch(compact):
            return Decimal(compact.split(".")[0].replace(",", ""))
        if _RUPIAH_PLAIN.fullmatch(compact):
            return Decimal(re.split(r"[.,]", compact)[0])
    raise _RowRejected(
        column, text,
        _("TPP amount %(value)s is not a whole number of rupiah; write it without cents, for "
          "example 5250000 or 5.250.000.") % {"value": text},
        "tpp_amount_invalid",
    )


def _parse_grade(text: str, scheme: str) -> str:
    if not text:
        return ""
    compact = text.replace(" ", "")
    if scheme == GradeScheme.PNS:
        if compact in PNS_GRADE_IDS:
            return PNS_GRADE_IDS[compact]
        match = re.fullmatch(r"(IV|III|II|I)/([a-eA-E])", compact)
        if match and f"{match.group(1)}/{match.group(2).lower()}" in PNS_GRADES:
            return f"{match.group(1)}/{match.group(2).lower()}"
        raise _RowRejected(
            "golongan", text,
            _("Golongan %(value)s is not a PNS golongan; use I/a to IV/e or the SIASN id 11 to 45.")
            % {"value": text},
            "grade_invalid",
        )
    if compact.upper() in PPPK_GRADES:
        return compact.upper()
    raise _RowRejected(
        "golongan", text,
        _("Golongan %(value)s is not a PPPK golongan; use the roman numerals I to XVII.")
        % {"value": text},
        "grade_invalid",
    )


def _parse_echelon(text: str) -> str:
    if not text or text.lower() in {"non eselon", "non-eselon", "-", "99"}:
        return ""
    match = re.fullmatch(r"(IV|III|II|I|V)[.\s]?([abAB])", text.replace(" ", ""))
    if match and f"{match.group(1)}.{match.group(2).lower()}" in ECHELONS:
        return f"{match.group(1)}.{match.group(2).lower()}"
    raise _RowRejected(
        "eselon", text,
        _("Eselon %(value)s is unknown; use I.a to V.b, or leave it empty for non-eselon.")
        % {"value": text},
        "echelon_invalid",
    )


def _word(mapping: dict, text: str, column: str, code: str, allowed: str) -> str:
    key = text.strip().lower()
    if key in mapping:
        return mapping[key]
    raise _RowRejected(
        column, text,
        _("Value %(value)s is not recognised; use one of: %(allowed)s.")
        % {"value": text, "allowed": allowed},
        code,
    )


def _parse_row(record: dict[str, object], columns: dict[str, str], *, units: dict[str, Unit],
               today: dt.date) -> dict[str, Any]:
    """Check one row and return its clean values; raise _RowRejected at the first bad cell."""

    def raw(name: str) -> object:
        header = columns.get(name)
        return record.get(header) if header else None

    def text(name: str) -> str:
        return cell_text(raw(name))

    name = text("nama")
    if not name:
        raise _RowRejected("nama", "", _("The name is empty."), "name_missing")

    kind_text = text("jenis_pegawai")
    kind = _word(KIND_WORDS, kind_text, "jenis_pegawai", "kind_unknown",
                 "CPNS, PNS, PPPK, PPPK paruh waktu, Non ASN") if kind_text else ""

    nip_raw = raw("nip")
    nip_info = None
    if cell_text(nip_raw):
        try:
            nip_info = parse_nip(nip_raw)
        except ValidationError as exc:
            raise _RowRejected("nip", nip_raw, exc.messages[0], exc.code or "nip_invalid") from exc
        if not kind:
            kind = EmployeeKind.PPPK if nip_info.layout == NIP_LAYOUT_PPPK else EmployeeKind.PNS
        if kind == EmployeeKind.NON_ASN:
            raise _RowRejected(
                "nip", nip_info.nip,
                _("A non-ASN employee has no NIP; clear the NIP or correct the employee kind."),
                "nip_non_asn",
            )
        is_pppk_kind = kind in (EmployeeKind.PPPK, EmployeeKind.PPPK_PW)
        if is_pppk_kind != (nip_info.layout == NIP_LAYOUT_PPPK):
            raise _RowRejected(
                "nip", nip_info.nip,
                _("NIP %(nip)s has the %(layout)s layout but the employee kind is %(kind)s; "
                  "correct one of them.")
                % {"nip": nip_info.nip, "layout": nip_info.layout, "kind": kind},
                "nip_kind_mismatch",
            )
    elif kind and kind != EmployeeKind.NON_ASN:
        raise _RowRejected("nip", "", _("An ASN employee (%(kind)s) needs an 18-digit NIP.")
                           % {"kind": kind}, "nip_missing")
    else:
        kind = EmployeeKind.NON_ASN

    nik_raw = raw("nik")
    nik = None
    if cell_text(nik_raw):
        try:
            nik = parse_nik(nik_raw).nik
        except ValidationError as exc:
            raise _RowRejected("nik", nik_raw, exc.messages[0], exc.code or "nik_invalid") from exc
    if kind == EmployeeKind.NON_ASN and nik is None:
        raise _RowRejected(
            "nik", "", _("A non-ASN employee needs a 16-digit NIK, which identifies them in SAO."),
            "nik_missing",
        )

    # From here on the cells are independent, so every problem of the row is reported at once.
    problems: list[_RowRejected] = []

    def attempt(check, *args, default=None):
        try:
            return check(*args)
        except _RowRejected as rejected:
            problems.append(rejected)
            return default

    unit_code = text("kode_unit").upper()
    unit = units.get(unit_code)
    if unit is None:
        problems.append(_RowRejected(
            "kode_unit", unit_code,
            _("Unit code %(code)s is not in SAO; use a code from the unit tree or import the unit "
              "first.") % {"code": unit_code or "(empty)"},
            "unit_unknown",
        ))

    birth_date = attempt(parse_date, raw("tanggal_lahir"), "tanggal_lahir")
    if nip_info is not None:
        if birth_date is not None and birth_date != nip_info.birth_date:
            problems.append(_RowRejected(
                "tanggal_lahir", birth_date.isoformat(),
                _("Birth date %(date)s differs from the NIP's %(nip_date)s; correct the birth date "
                  "or the NIP.")
                % {"date": birth_date.isoformat(), "nip_date": nip_info.birth_date.isoformat()},
                "birth_date_mismatch",
            ))
        birth_date = nip_info.birth_date

    sex_text = text("jenis_kelamin")
    sex = attempt(_word, SEX_WORDS, sex_text, "jenis_kelamin", "sex_unknown", "L, P",
                  default="") if sex_text else ""
    if nip_info is not None:
        if sex and sex != nip_info.sex:
            problems.append(_RowRejected(
                "jenis_kelamin", sex_text,
                _("Sex %(value)s differs from digit 15 of the NIP (1 male, 2 female); correct the "
                  "sex or the NIP.") % {"value": sex_text},
                "sex_mismatch",
            ))
        sex = nip_info.sex

    scheme = ""
    if kind in (EmployeeKind.PNS, EmployeeKind.CPNS):
        scheme = GradeScheme.PNS
    elif kind in (EmployeeKind.PPPK, EmployeeKind.PPPK_PW):
        scheme = GradeScheme.PPPK
    grade = attempt(_parse_grade, text("golongan"), scheme, default="") if scheme else ""
    echelon = attempt(_parse_echelon, text("eselon"), default="")

    position_kind_text = text("jenis_jabatan")
    position_kind = attempt(
        _word, POSITION_KIND_WORDS, position_kind_text, "jenis_jabatan", "position_kind_unknown",
        "Struktural, Fungsional, Rangkap, Pelaksana", default="",
    ) if position_kind_text else ""

    status_text = text("kedudukan_hukum")
    legal_status = LegalStatus.ACTIVE
    if status_text:
        code = status_text.zfill(2) if status_text.isdigit() else None
        if code in LegalStatus.values:
            legal_status = code
        else:
            legal_status = attempt(
                _word, LEGAL_STATUS_WORDS, status_text, "kedudukan_hukum", "legal_status_unknown",
                _("Aktif, CLTN, Tugas Belajar, Pensiun (or the SIASN code 01 to 99)"),
                default=LegalStatus.ACTIVE,
            )

    email = text("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(_RowRejected("email", email, _("E-mail %(value)s is not a valid address.")
                                     % {"value": email}, "email_invalid"))
    phone = re.sub(r"[\s-]", "", text("telepon"))
    if phone and not re.fullmatch(r"\+?\d{8,15}", phone):
        problems.append(_RowRejected(
            "telepon", phone,
            _("Phone number %(value)s must be 8 to 15 digits, for example 081234567890.")
            % {"value": phone},
            "phone_invalid",
        ))
    unit_from = attempt(parse_date, raw("tmt_unit"), "tmt_unit") or today
    status_from = attempt(parse_date, raw("tmt_kedudukan"), "tmt_kedudukan") or today
    tpp_amount = attempt(parse_rupiah, raw("tpp_amount"), "tpp_amount")
    # Without a date the amount applies from the first day of the current month.
    tpp_from = attempt(parse_date, raw("tmt_tpp"), "tmt_tpp") or today.replace(day=1)

    if problems:
        raise _RowProblems(problems)

    values = {
        "nip": nip_info.nip if nip_info else None,
        "nik": nik,
        "front_title": text("gelar_depan"),
        "name": name,
        "back_title": text("gelar_belakang"),
        "kind": kind,
        "sex": sex,
        "birth_date": birth_date,
        "grade_scheme": scheme,
        "grade_code": grade,
        "echelon": echelon,
        "position_kind": position_kind,
        "position": text("jabatan"),
        "phone": phone,
        "email": email,
    }
    # An update touches only what the file states: an absent column or an empty cell keeps the
    # stored value, because partial SIMPEG exports are normal. Values read from the NIP count as
    # stated.
    column_of = {
        "nik": "nik", "front_title": "gelar_depan", "back_title": "gelar_belakang",
        "sex": "jenis_kelamin", "birth_date": "tanggal_lahir", "grade_code": "golongan",
        "echelon": "eselon", "position_kind": "jenis_jabatan", "position": "jabatan",
        "phone": "telepon", "email": "email", "kind": "jenis_pegawai",
    }
    stated = {"nip", "name"} | {key for key, column in column_of.items() if text(column)}
    if nip_info is not None:
        stated |= {"birth_date", "sex", "kind"}
    if "grade_code" in stated or "kind" in stated:
        stated.add("grade_scheme")
    if text("nip_atasan"):
        stated.add("supervisor_id")
    if status_text:
        stated.add("legal_status")

    return {
        "values": values,
        "stated": stated,
        "unit": unit,
        "unit_from": unit_from,
        "supervisor_key": clean_key(raw("nip_atasan")),
        "legal_status": legal_status,
        "legal_status_from": status_from,
        "tpp_amount": tpp_amount,
        "tpp_from": tpp_from,
    }


def describe_changes(changes: dict[str, tuple[Any, Any]]) -> list[tuple[str, str, str]]:
    """Turn planned changes into (field label, old, new) with units, people and codes by name."""
    labels = {field.attname: field.verbose_name for field in Employee._meta.concrete_fields}
    labels["tpp_amount"] = EmployeeTpp._meta.get_field("amount").verbose_name
    unit_ids = {value for name, pair in changes.items() if name == "unit_id" for value in pair}
    person_ids = {value for name, pair in changes.items() if name == "supervisor_id"
                  for value in pair if isinstance(value, int)}
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    people = {employee.pk: employee.full_name
              for employee in Employee.objects.filter(pk__in=person_ids)}
    choices = {
        "kind": dict(EmployeeKind.choices), "legal_status": dict(LegalStatus.choices),
        "sex": dict(Sex.choices), "position_kind": dict(PositionKind.choices),
        "grade_scheme": dict(GradeScheme.choices),
    }

    def shown(name: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if name == "unit_id":
            return units.get(value, str(value))
        if name == "supervisor_id":
            return people.get(value, str(value))
        if name in choices:
            return str(choices[name].get(value, value))
        if isinstance(value, dt.date):
            return value.strftime("%d-%m-%Y")
        if name == "tpp_amount":
            return f"Rp {value:,.0f}".replace(",", ".")
        return str(value)

    return [(str(labels.get(name, name)), shown(name, old), shown(name, new))
            for name, (old, new) in changes.items()]


def clean_key(value: object) -> str:
    return cell_text(value).replace(" ", "")


def employees_plan(*, data: bytes, filename: str, today: dt.date | None = None) -> EmployeePlan:
    """Read and check a file and return what importing it would change, writing nothing."""
    today = today or dt.date.today()
    sheet = read_sheet(data, filename=filename, required=[])
    columns = _canonical_columns(sheet)
    missing = [name for name in REQUIRED if name not in columns]
    if "nip" not in columns and "nik" not in columns:
        missing.insert(0, "nip")
    if missing:
        from sao.org.importing.common import ImportFileError

        raise ImportFileError(
            _("The header lacks the columns %(missing)s; the first row must name the columns, "
              "for example nip, nama, kode_unit.") % {"missing": ", ".join(missing)},
            code="missing_columns",
        )

    units = {unit.code: unit for unit in Unit.objects.all()}
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, record in sheet.rows:
        try:
            row = _parse_row(record, columns, units=units, today=today)
        except _RowRejected as rejected:
            errors.append(RowError(line, rejected.column, rejected.value, rejected.message,
                                   rejected.code))
            continue
        except _RowProblems as failed:
            errors.extend(RowError(line, problem.column, problem.value, problem.message,
                                   problem.code) for problem in failed.problems)
            continue
        key = row["values"]["nip"] or row["values"]["nik"]
        if key in seen:
            errors.append(RowError(
                line, "nip" if row["values"]["nip"] else "nik", key,
                _("%(key)s already appears on line %(first)s; keep one row per employee.")
                % {"key": key, "first": seen[key]},
                "duplicate_row",
            ))
            continue
        seen[key] = line
        parsed.append((line, row))

    keys_nip = [row["values"]["nip"] for _line, row in parsed if row["values"]["nip"]]
    keys_nik = [row["values"]["nik"] for _line, row in parsed if not row["values"]["nip"]]
    existing = {e.nip: e for e in Employee.objects.filter(nip__in=keys_nip)}
    existing |= {e.nik: e for e in Employee.objects.filter(nik__in=keys_nik, nip__isnull=True)}
    supervisor_keys = {row["supervisor_key"] for _line, row in parsed if row["supervisor_key"]}
    known_supervisors = set(
        Employee.objects.filter(nip__in=supervisor_keys).values_list("nip", flat=True)
    ) | set(seen)
    supervisor_ids = dict(
        Employee.objects.filter(nip__in=supervisor_keys).values_list("nip", "pk")
    )

    plans: list[RowPlan] = []
    for line, row in parsed:
        values = row["values"]
        key = values["nip"] or values["nik"]
        supervisor_key = row["supervisor_key"]
        if supervisor_key and supervisor_key not in known_supervisors:
            errors.append(RowError(
                line, "nip_atasan", supervisor_key,
                _("Supervisor NIP %(nip)s is neither in SAO nor in this file; correct it or add "
                  "the supervisor's row.") % {"nip": supervisor_key},
                "supervisor_unknown",
            ))
            continue
        if supervisor_key and supervisor_key == values["nip"]:
            errors.append(RowError(line, "nip_atasan", supervisor_key,
                                   _("An employee cannot be their own supervisor."),
                                   "supervisor_self"))
            continue

        employee = existing.get(key)
        plan = RowPlan(
            line=line, action="create", key=key, name=values["name"], values=values,
            unit=row["unit"], unit_from=row["unit_from"], supervisor_key=supervisor_key,
            legal_status=row["legal_status"], legal_status_from=row["legal_status_from"],
            tpp_amount=row["tpp_amount"], tpp_from=row["tpp_from"], employee=employee,
        )
        if employee is not None:
            stated = row["stated"]
            plan.values = {name: value for name, value in values.items() if name in stated}
            before = employee_snapshot(employee)
            target = dict(plan.values)
            target["unit_id"] = row["unit"].pk
            if "legal_status" in stated:
                target["legal_status"] = row["legal_status"]
            if supervisor_key in supervisor_ids:
                target["supervisor_id"] = supervisor_ids[supervisor_key]
            elif supervisor_key:
                # The supervisor's row is further down the file and gets its id on apply.
                target["supervisor_id"] = f"({supervisor_key})"
            plan.changes = {
                name: (before.get(name), value) for name, value in target.items()
                if before.get(name) != value and not (before.get(name) in ("", None)
                                                      and value in ("", None))
            }
            if row["tpp_amount"] is not None:
                current_tpp = tpp_amount_on(employee=employee, day=row["tpp_from"])
                if current_tpp != row["tpp_amount"]:
                    plan.changes["tpp_amount"] = (current_tpp, row["tpp_amount"])
            plan.action = "update" if plan.changes else "unchanged"
        plans.append(plan)

    errors.sort(key=lambda error: error.line)
    return EmployeePlan(rows=plans, errors=errors, total_rows=len(sheet.rows))


def _create_in_bulk(rows: list[RowPlan], *, actor, actor_label: str) -> dict[str, Employee]:
    """Insert new employees with their opening assignment, legal status and audit entries.

    The same rows `employee_create` writes one by one, in a handful of bulk queries, so a
    province-wide file of tens of thousands of rows applies within one request.
    """
    from sao.audit.models import AuditEntry
    from sao.org.models import LegalStatusPeriod, UnitAssignment

    employees = [
        Employee(unit=row.unit, legal_status=row.legal_status, **row.values) for row in rows
    ]
    Employee.objects.bulk_create(employees, batch_size=1000)
    if any(employee.pk is None for employee in employees):
        # Backends that return no ids from a bulk insert: read them back by key.
        ids = dict(Employee.objects.filter(nip__in=[e.nip for e in employees if e.nip])
                   .values_list("nip", "pk"))
        ids |= dict(Employee.objects.filter(nip__isnull=True,
                                            nik__in=[e.nik for e in employees if not e.nip])
                    .values_list("nik", "pk"))
        for employee in employees:
            employee.pk = ids[employee.nip or employee.nik]

    UnitAssignment.objects.bulk_create(
        [UnitAssignment(employee=employee, unit=row.unit, valid_from=row.unit_from)
         for employee, row in zip(employees, rows, strict=True)],
        batch_size=1000,
    )
    LegalStatusPeriod.objects.bulk_create(
        [LegalStatusPeriod(employee=employee, status=row.legal_status, valid_from=row.unit_from)
         for employee, row in zip(employees, rows, strict=True)],
        batch_size=1000,
    )
    EmployeeTpp.objects.bulk_create(
        [EmployeeTpp(employee=employee, amount=row.tpp_amount, valid_from=row.tpp_from)
         for employee, row in zip(employees, rows, strict=True) if row.tpp_amount is not None],
        batch_size=1000,
    )
    label = actor_label or (actor.get_username() if getattr(actor, "pk", None) else "")
    AuditEntry.objects.bulk_create(
        [AuditEntry(actor=actor if getattr(actor, "pk", None) else None, actor_label=label,
                    action="employee.create", object_type=employee._meta.label_lower,
                    object_id=str(employee.pk), object_label=str(employee)[:250],
                    new_value=_json_plain(_created_values(employee, row)))
         for employee, row in zip(employees, rows, strict=True)],
        batch_size=1000,
    )
    return {row.key: employee for employee, row in zip(employees, rows, strict=True)}


def _created_values(employee: Employee, row: RowPlan) -> dict[str, Any]:
    values = employee_snapshot(employee)
    if row.tpp_amount is not None:
        values["tpp_amount"] = str(row.tpp_amount)
        values["tpp_valid_from"] = row.tpp_from
    return values


def _json_plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in values.items()}


def employees_apply(*, plan: EmployeePlan, actor=None, actor_label: str = "") -> EmployeeImportResult:
    """Write the valid rows of a plan: create or update employees, transfers and statuses."""
    reason = _("Employee file import")
    new_rows = [row for row in plan.rows if row.action == "create"]
    updated = unchanged = 0

    with transaction.atomic():
        by_key = _create_in_bulk(new_rows, actor=actor, actor_label=actor_label)
        for row in plan.rows:
            if row.action == "create":
                continue
            employee = Employee.objects.get(pk=row.employee.pk)
            by_key[row.key] = employee
            if row.action == "unchanged":
                unchanged += 1
                continue

            employee_update(employee=employee, values=dict(row.values), actor=actor,
                            actor_label=actor_label, reason=reason)
            if employee.unit_id != row.unit.pk:
                employee_transfer(employee=employee, unit=row.unit, valid_from=row.unit_from,
                                  actor=actor, actor_label=actor_label, reason=reason)
            if "tpp_amount" in row.changes:
                employee_tpp_set(employee=employee, amount=row.tpp_amount, valid_from=row.tpp_from,
                                 actor=actor, actor_label=actor_label, reason=reason)
            if "legal_status" in row.changes:
                employee_set_legal_status(
                    employee=employee, status=row.legal_status,
                    valid_from=row.legal_status_from, actor=actor, actor_label=actor_label,
                    reason=reason,
                )
            updated += 1

        # Supervisors may sit later in the same file, so they are linked after every row exists.
        # A row without a supervisor NIP keeps the supervisor SAO already has.
        supervisors = dict(
            Employee.objects.filter(
                nip__in={row.supervisor_key for row in plan.rows if row.supervisor_key}
            ).values_list("nip", "pk")
        )
        links = [(by_key[row.key], supervisors[row.supervisor_key])
                 for row in plan.rows if row.supervisor_key]
        fresh = {employee.pk for employee in by_key.values()} & {
            by_key[row.key].pk for row in new_rows
        }
        new_links = [(employee, supervisor_id) for employee, supervisor_id in links
                     if employee.pk in fresh]
        for employee, supervisor_id in new_links:
            employee.supervisor_id = supervisor_id
        Employee.objects.bulk_update([employee for employee, _id in new_links], ["supervisor"],
                                     batch_size=1000)
        for employee, supervisor_id in links:
            if employee.pk not in fresh and employee.supervisor_id != supervisor_id:
                employee_update(employee=employee, values={"supervisor_id": supervisor_id},
                                actor=actor, actor_label=actor_label, reason=reason)

    logger.info("employees imported: %s created, %s updated, %s unchanged, %s rejected",
                len(new_rows), updated, unchanged, len(plan.errors))
    return EmployeeImportResult(created=len(new_rows), updated=updated, unchanged=unchanged,
                                errors=plan.errors)
