"""Discipline flags for unexcused absence under PP 94/2021 (and PP 49/2018 for PPPK).

PP 94/2021 Pasal 9-11 counts the working days of absence without a valid reason (TK) within
one year, and separately a run of 10 consecutive working days. Only scheduled working days count:
weekends, holidays, cuti bersama and approved absences neither break nor extend a run. SAO only
flags; the official authorised to discipline (pejabat yang berwenang menghukum) decides.

PP 94/2021 binds PNS and CPNS, and PPPK get the sanction of the same level. Non-ASN staff are
bound by their work contract instead, so they get their counts and no PP 94/2021 level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# (minimum TK days in a year, level code, sanction code), most severe last.
PNS_LEVELS = (
    (3, "RINGAN", "TEGURAN_LISAN"),
    (4, "RINGAN", "TEGURAN_TERTULIS"),
    (7, "RINGAN", "PERNYATAAN_TIDAK_PUAS"),
    (11, "SEDANG", "POTONG_TUKIN_25_6_BULAN"),
    (14, "SEDANG", "POTONG_TUKIN_25_9_BULAN"),
    (17, "SEDANG", "POTONG_TUKIN_25_12_BULAN"),
    (21, "BERAT", "TURUN_JABATAN_12_BULAN"),
    (25, "BERAT", "BEBAS_JABATAN_12_BULAN"),
    (28, "BERAT", "PDH_TAPS"),
)
CONSECUTIVE_DAYS_FOR_DISMISSAL = 10

# PP 49/2018 has light, medium and heavy sanctions for PPPK. The day thresholds of PP 94/2021
# are applied and the level mapped to the PPPK sanction of that level.
PPPK_SANCTIONS = {
    "TEGURAN_LISAN": "PPPK_TEGURAN_LISAN",
    "TEGURAN_TERTULIS": "PPPK_TEGURAN_TERTULIS",
    "PERNYATAAN_TIDAK_PUAS": "PPPK_PERNYATAAN_TIDAK_PUAS",
    "POTONG_TUKIN_25_6_BULAN": "PPPK_HUKDIS_SEDANG",
    "POTONG_TUKIN_25_9_BULAN": "PPPK_HUKDIS_SEDANG",
    "POTONG_TUKIN_25_12_BULAN": "PPPK_HUKDIS_SEDANG",
    "TURUN_JABATAN_12_BULAN": "PPPK_PHPK",
    "BEBAS_JABATAN_12_BULAN": "PPPK_PHPK",
    "PDH_TAPS": "PPPK_PHPK",
}

# Employee kinds outside the civil service (ASN), whose discipline follows their contract.
NON_ASN_KINDS = frozenset({"NON_ASN"})
# The sanction code of a non-ASN employee with TK days: the contract decides, not PP 94/2021.
CONTRACT_RULES = "CONTRACT_RULES"

SANCTION_LABELS = {
    "TEGURAN_LISAN": _("Oral reprimand (teguran lisan)"),
    "TEGURAN_TERTULIS": _("Written reprimand (teguran tertulis)"),
    "PERNYATAAN_TIDAK_PUAS": _("Written statement of dissatisfaction (pernyataan tidak puas)"),
    "POTONG_TUKIN_25_6_BULAN": _("25% allowance cut for 6 months"),
    "POTONG_TUKIN_25_9_BULAN": _("25% allowance cut for 9 months"),
    "POTONG_TUKIN_25_12_BULAN": _("25% allowance cut for 12 months"),
    "TURUN_JABATAN_12_BULAN": _("Demotion by one level for 12 months"),
    "BEBAS_JABATAN_12_BULAN": _("Release from position to pelaksana for 12 months"),
    "PDH_TAPS": _("Honourable dismissal not at own request (PDH-TAPS)"),
    "PPPK_TEGURAN_LISAN": _("PPPK: oral reprimand"),
    "PPPK_TEGURAN_TERTULIS": _("PPPK: written reprimand"),
    "PPPK_PERNYATAAN_TIDAK_PUAS": _("PPPK: written statement of dissatisfaction"),
    "PPPK_HUKDIS_SEDANG": _("PPPK: medium disciplinary sanction"),
    "PPPK_PHPK": _("PPPK: termination of the work agreement (PHPK)"),
    CONTRACT_RULES: _("Non-ASN: no PP 94/2021 level, because the employee's work contract applies"),
}


@dataclass(frozen=True)
class DisciplineFlag:
    """The discipline position of one employee over one year of working days."""

    tk_days: int
    longest_run: int
    level: str  # "" (no sanction), RINGAN, SEDANG or BERAT
    sanction: str  # a key of SANCTION_LABELS, or ""
    by_consecutive_run: bool
    run_start: dt.date | None = None

    @property
    def listed(self) -> bool:
        """Tell whether the flag belongs on the discipline list: a PP 94/2021 level, or a
        non-ASN employee with at least one TK day."""
        return bool(self.level) or (self.sanction == CONTRACT_RULES and self.tk_days > 0)


def level_for_days(tk_days: int) -> tuple[str, str]:
    """Return (level, sanction) for a count of TK days in one year under PP 94/2021."""
    level = sanction = ""
    for minimum, level_code, sanction_code in PNS_LEVELS:
        if tk_days >= minimum:
            level, sanction = level_code, sanction_code
    return level, sanction


def discipline_flag(*, days: Iterable[tuple[dt.date, str]], employee_kind: str = "PNS") -> DisciplineFlag:
    """Flag one employee from their scheduled working days as (date, status) pairs.

    Pass only working days (results with is_working_day set). LIBUR days and approved absences
    are skipped by the caller or here, so they neither break nor extend a run of TK.
    """
    tk_days = 0
    run = longest = 0
    run_start = longest_start = None
    for day, status in sorted(days):
        if status == "LIBUR":
            continue
        if status == "TK":
            tk_days += 1
            if run == 0:
                run_start = day
            run += 1
            if run > longest:
                longest, longest_start = run, run_start
        elif status in ("HADIR", "TIDAK_LENGKAP", "SETENGAH_HARI", "PERLU_VERIFIKASI", "BELUM_FINAL"):
            run = 0
        # NOTE: approved absences (DL, CUTI, SAKIT, ...) are skipped like holidays, so they do not
        # break a run of TK. PP 94/2021 does not say which reading applies, so confirm with BKD.

    if employee_kind in NON_ASN_KINDS:
        return DisciplineFlag(
            tk_days=tk_days,
            longest_run=longest,
            level="",
            sanction=CONTRACT_RULES,
            by_consecutive_run=False,
        )

    level, sanction = level_for_days(tk_days)
    by_run = longest >= CONSECUTIVE_DAYS_FOR_DISMISSAL
    if by_run:
        level, sanction = "BERAT", "PDH_TAPS"
    if employee_kind in ("PPPK", "PPPK_PW") and sanction:
        sanction = PPPK_SANCTIONS[sanction]
    return DisciplineFlag(
        tk_days=tk_days,
        longest_run=longest,
        level=level,
        sanction=sanction,
        by_consecutive_run=by_run,
        run_start=longest_start if by_run else None,
    )
