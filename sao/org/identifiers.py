"""Validation of Indonesian civil-service identifiers: NIP (PNS), NI PPPK and NIK.

NIP PNS (Perka BKN 22/2007): YYYYMMDD birth date, YYYYMM TMT CPNS, sex digit (1 male,
2 female), 3-digit serial. NI PPPK: YYYYMMDD birth date, YYYY appointment year, the
PPPK marker 2, an intake digit 1-9, sex digit, 3-digit serial. Digit 13 distinguishes them:
0 or 1 starts a month (PNS), 2 is the PPPK marker. NIK (KTP): 2-digit province,
2-digit regency, 2-digit district, DDMMYY with DD+40 for women, 4-digit serial.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NIP_LAYOUT_PNS = "PNS"
NIP_LAYOUT_PPPK = "PPPK"

_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


@dataclass(frozen=True)
class NipInfo:
    nip: str
    layout: str
    birth_date: dt.date
    appointed_year: int
    appointed_month: int | None
    sex: str  # "M" or "F"
    serial: int


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def clean_digits(value: object, *, field: str) -> str:
    """Return the value as a digit string, rejecting the forms Excel produces from long numbers.

    A cell that Excel stored as a float shows as 1.97E+17 or 197001012020011000.0: the last
    digits are lost and cannot be recovered, so both are rejected with the fix.
    """
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if text.startswith("'"):
        text = text[1:]
    if _SCIENTIFIC.match(text):
        raise ValidationError(
            _("%(field)s %(value)s was turned into a number by Excel and lost its last digits; "
              "format the column as Text and type the full number again."),
            code="excel_number", params={"field": field, "value": text},
        )
    if text.endswith(".0") and text[:-2].isdigit():
        raise ValidationError(
            _("%(field)s %(value)s was stored as a number by Excel; format the column as Text "
              "and type the full number again."),
            code="excel_number", params={"field": field, "value": text},
        )
    if isinstance(value, float | Decimal):
        raise ValidationError(
            _("%(field)s %(value)s is a number cell, not text; format the column as Text."),
            code="excel_number", params={"field": field, "value": text},
        )
    return text


def parse_nip(value: object) -> NipInfo:
    """Validate an 18-digit NIP (PNS layout) or NI PPPK and return its parts."""
    nip = clean_digits(value, field="NIP")
    if not nip.isdigit() or len(nip) != 18:
        raise ValidationError(
            _("NIP %(value)s must be exactly 18 digits (it has %(count)s characters)."),
            code="nip_length", params={"value": nip, "count": len(nip)},
        )

    birth = _date_or_none(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if birth is None or not (1940 <= birth.year <= dt.date.today().year - 15):
        raise ValidationError(
            _("NIP %(value)s starts with %(part)s, which is not a valid birth date (YYYYMMDD)."),
            code="nip_birth_date", params={"value": nip, "part": nip[0:8]},
        )

    if nip[12] == "2":
        layout = NIP_LAYOUT_PPPK
        appointed_year, appointed_month = int(nip[8:12]), None
        if nip[13] == "0":
            raise ValidationError(
                _("NI PPPK %(value)s has intake digit 0 at position 14; it must be 1 to 9."),
                code="nip_pppk_intake", params={"value": nip},
            )
    else:
        layout = NIP_LAYOUT_PNS
        appointed_year, appointed_month = int(nip[8:12]), int(nip[12:14])
        if not 1 <= appointed_month <= 12:
            raise ValidationError(
                _("NIP %(value)s has TMT CPNS month %(month)s at positions 13-14; it must be "
                  "01 to 12."),
                code="nip_tmt_month", params={"value": nip, "month": nip[12:14]},
            )

    if not (1960 <= appointed_year <= dt.date.today().year + 1) or appointed_year < birth.year + 15:
        raise ValidationError(
            _("NIP %(value)s has appointment year %(year)s, which does not fit the birth date."),
            code="nip_tmt_year", params={"value": nip, "year": appointed_year},
        )

    if nip[14] not in "12":
        raise ValidationError(
            _("NIP %(value)s has sex digit %(digit)s at position 15; it must be 1 (male) or "
              "2 (female)."),
            code="nip_sex", params={"value": nip, "digit": nip[14]},
        )

    serial = int(nip[15:18])
    if serial == 0:
        raise ValidationError(
            _("NIP %(value)s has serial 000; serials run from 001."),
            code="nip_serial", params={"value": nip},
        )

    return NipInfo(
        nip=nip, layout=layout, birth_date=birth, appointed_year=appointed_year,
        appointed_month=appointed_month, sex="M" if nip[14] == "1" else "F", serial=serial,
    )


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    birth_day: int
    birth_month: int
    birth_year_2digit: int
    sex: str


def parse_nik(value: object) -> NikInfo:
    """Validate a 16-digit NIK and return its parts; the birth century cannot be known."""
    nik = clean_digits(value, field="NIK")
    if not nik.isdigit() or len(nik) != 16:
        raise ValidationError(
            _("NIK %(value)s must be exactly 16 digits (it has %(count)s characters)."),
            code="nik_length", params={"value": nik, "count": len(nik)},
        )

    province = nik[0:2]
    if not 11 <= int(province) <= 96:
        raise ValidationError(
            _("NIK %(value)s starts with province code %(code)s, which does not exist."),
            code="nik_province", params={"value": nik, "code": province},
        )

    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "F" if day > 40 else "M"
    if sex == "F":
        day -= 40
    # Year 2000 is a leap year, so 29 February passes for any two-digit year that could be one.
    probe_year = 2000 + year2 if year2 % 4 == 0 else 2001
    if _date_or_none(probe_year, month, day) is None:
        raise ValidationError(
            _("NIK %(value)s has %(part)s at positions 7-12, which is not a valid birth date "
              "(DDMMYY, day plus 40 for women)."),
            code="nik_birth_date", params={"value": nik, "part": nik[6:12]},
        )

    return NikInfo(
        nik=nik, province_code=province, birth_day=day, birth_month=month,
        birth_year_2digit=year2, sex=sex,
    )


def nik_matches_nip(nik: NikInfo, nip: NipInfo) -> bool:
    """Tell whether the NIK birth date and sex agree with the NIP (a data-quality check)."""
    return (
        nik.birth_day == nip.birth_date.day
        and nik.birth_month == nip.birth_date.month
        and nik.birth_year_2digit == nip.birth_date.year % 100
        and nik.sex == nip.sex
    )


def format_nip(nip: str) -> str:
    """Group a NIP for display: 19860926 201505 1 001 (PNS) or 20001231 2024 21 1 001 (PPPK)."""
    if len(nip) != 18:
        return nip
    if nip[12] == "2":
        return f"{nip[0:8]} {nip[8:12]} {nip[12:14]} {nip[14]} {nip[15:18]}"
    return f"{nip[0:8]} {nip[8:14]} {nip[14]} {nip[15:18]}"


