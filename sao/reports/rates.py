"""Attendance rates: pure functions over person-day counts aggregated by unit and period.

Every rate has the scheduled person-days as its denominator, except working-hours compliance,
which is measured over the person-days present. Scheduled person-days are the daily results
on working days, one per shift, so an employee rostered for two shifts on one date counts twice.
The rules engine writes results only for days on which the employee's legal status is working:
from the TMT on, and never under CLTN, tugas belajar or suspension. It marks holidays and days
off as non-working. So all those days are outside the denominator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

# Day statuses that prove physical presence: a punch on a working day, late or not.
PRESENT_STATUSES = ("HADIR", "TIDAK_LENGKAP", "SETENGAH_HARI")
# Absence codes for official duty away from the desk: dinas luar, perjalanan dinas, diklat.
# NOTE: the absences app does not define its codes yet. DL is the code the rules engine
# documents, and PD and DIKLAT are the usual codes for perjalanan dinas and training.
DUTY_STATUSES = ("DL", "PD", "DIKLAT")
UNEXCUSED_STATUS = "TK"
# Statuses of approved leave, for the daily list.
LEAVE_STATUSES = ("CUTI", "IJIN", "SAKIT", "CT", "CS", "CB", "CM", "CAP")

RATE_CODES = ("physical", "with_duty", "unexcused", "not_unexcused", "compliance")

RATE_LABELS = {
    "physical": _("Physical presence"),
    "with_duty": _("Presence including official duty"),
    "unexcused": _("Unexcused absence (TK)"),
    "not_unexcused": _("100% minus unexcused absence"),
    "compliance": _("Working-hours compliance"),
}

RATE_FORMULAS = {
    "physical": _(
        "Person-days present (a punch on a working day, late or not) ÷ scheduled person-days × 100"
    ),
    "with_duty": _(
        "(Person-days present + person-days on official duty: DL, perjalanan dinas, diklat) "
        "÷ scheduled person-days × 100"
    ),
    "unexcused": _("Person-days of TK (absent without notice) ÷ scheduled person-days × 100"),
    "not_unexcused": _("100 − unexcused absence rate"),
    "compliance": _("Person-days present without TL or PSW ÷ person-days present × 100"),
}

DENOMINATOR_TEXT = _(
    "Scheduled person-days: for every employee whose legal status is active on the date, the "
    "working days of that employee's schedule or roster, without national holidays, cuti "
    "bersama and days before the TMT. Employees on CLTN, tugas belajar or temporary dismissal "
    "are left out of the denominator, not counted as absent. Days still open today count as "
    "present once the check-in is recorded."
)

HUNDRED = Decimal(100)
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Counts:
    """Person-day counts of one unit (or group of units) in one period."""

    scheduled: int = 0
    present: int = 0
    on_duty: int = 0
    unexcused: int = 0
    compliant: int = 0

    def __add__(self, other: Counts) -> Counts:
        # Written out: with dataclasses.fields() the additions took 0.6 s of 3.2 s in a profile of
        # five dashboard requests on the benchmark province.
        return Counts(
            scheduled=self.scheduled + other.scheduled,
            present=self.present + other.present,
            on_duty=self.on_duty + other.on_duty,
            unexcused=self.unexcused + other.unexcused,
            compliant=self.compliant + other.compliant,
        )


@dataclass(frozen=True)
class Rates:
    """The five rates in percent, rounded to two places; None where the denominator is zero."""

    physical: Decimal | None
    with_duty: Decimal | None
    unexcused: Decimal | None
    not_unexcused: Decimal | None
    compliance: Decimal | None

    def get(self, code: str) -> Decimal | None:
        return getattr(self, code)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """Return numerator ÷ denominator × 100 rounded half-up to 0.01, or None for a zero denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(PLACES, rounding=ROUND_HALF_UP)


def rates_from(counts: Counts) -> Rates:
    unexcused = percent(counts.unexcused, counts.scheduled)
    return Rates(
        physical=percent(counts.present, counts.scheduled),
        with_duty=percent(counts.present + counts.on_duty, counts.scheduled),
        unexcused=unexcused,
        not_unexcused=None if unexcused is None else HUNDRED - unexcused,
        compliance=percent(counts.compliant, counts.present),
    )


def total(counts: Iterable[Counts]) -> Counts:
    result = Counts()
    for item in counts:
        result = result + item
    return result


@dataclass(frozen=True)
class UnitRef:
    """The fields of a unit that roll-ups need."""

    pk: int
    code: str
    name: str
    kind: str
    path: str
    depth: int


@dataclass(frozen=True)
class RankedRow:
    unit: UnitRef
    counts: Counts
    rates: Rates
    rank: int | None
    gap: Decimal | None  # rate minus the highest target; negative is below target


def rank(
    rows: Iterable[tuple[UnitRef, Counts]], *, rate: str, target: Decimal | None = None
) -> list[RankedRow]:
    """Rank units by one rate, best first; TK ranks lowest-first. Units without data come last.

    Equal rates share a rank (1, 2, 2, 4). `gap` is the rate minus `target` (for TK, target minus
    the rate is not meaningful, so the gap is measured on 100% minus TK).
    """
    descending = rate != "unexcused"
    computed = [(unit, counts, rates_from(counts)) for unit, counts in rows]
    with_data = [item for item in computed if item[2].get(rate) is not None]
    without = [item for item in computed if item[2].get(rate) is None]
    with_data.sort(key=lambda item: (-item[2].get(rate) if descending else item[2].get(rate), item[0].code))

    ranked = []
    previous = None
    for position, (unit, counts, rates) in enumerate(with_data, start=1):
        value = rates.get(rate)
        if previous is None or value != previous[0]:
            previous = (value, position)
        gap_basis = rates.not_unexcused if rate == "unexcused" else value
        gap = None if target is None or gap_basis is None else gap_basis - target
        ranked.append(RankedRow(unit=unit, counts=counts, rates=rates, rank=previous[1], gap=gap))
    for unit, counts, rates in sorted(without, key=lambda item: item[0].code):
        ranked.append(RankedRow(unit=unit, counts=counts, rates=rates, rank=None, gap=None))
    return ranked
