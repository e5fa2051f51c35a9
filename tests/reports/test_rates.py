"""The rate formulas and the ranking as pure functions, against hand-computed values."""

from decimal import Decimal

from sao.reports.rates import Counts, UnitRef, percent, rank, rates_from, total


def unit(code: str) -> UnitRef:
    return UnitRef(pk=hash(code) % 1000, code=code, name=code, kind="opd", path=f"/P/{code}/", depth=1)


def test_percent_rounds_half_up():
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 200) == Decimal("0.50")
    assert percent(1, 400) == Decimal("0.25")


def test_percent_of_zero_is_none():
    assert percent(0, 0) is None


def test_rates_from_hand_values():
    # 7 scheduled, 4 present, 1 on duty, 2 TK, 3 present without TL/PSW.
    rates = rates_from(Counts(scheduled=7, present=4, on_duty=1, unexcused=2, compliant=3))

    assert rates.physical == Decimal("57.14")
    assert rates.with_duty == Decimal("71.43")
    assert rates.unexcused == Decimal("28.57")
    assert rates.not_unexcused == Decimal("71.43")
    assert rates.compliance == Decimal("75.00")


def test_compliance_without_presence_is_none():
    rates = rates_from(Counts(scheduled=4, unexcused=4))

    assert rates.physical == Decimal("0.00")
    assert rates.unexcused == Decimal("100.00")
    assert rates.compliance is None


def test_counts_add_field_by_field():
    summed = total([Counts(1, 1, 0, 0, 1), Counts(3, 1, 1, 1, 0)])

    assert summed == Counts(scheduled=4, present=2, on_duty=1, unexcused=1, compliant=1)


def test_rank_shares_equal_places():
    rows = [
        (unit("A"), Counts(scheduled=10, present=9)),
        (unit("B"), Counts(scheduled=10, present=10)),
        (unit("C"), Counts(scheduled=20, present=18)),
        (unit("D"), Counts(scheduled=10, present=5)),
    ]

    ranked = rank(rows, rate="physical")

    assert [(row.unit.code, row.rank) for row in ranked] == [("B", 1), ("A", 2), ("C", 2), ("D", 4)]


def test_rank_tk_lowest_first():
    rows = [(unit("A"), Counts(scheduled=10, unexcused=3)), (unit("B"), Counts(scheduled=10, unexcused=1))]

    ranked = rank(rows, rate="unexcused", target=Decimal(97))

    assert [row.unit.code for row in ranked] == ["B", "A"]
    # The gap of a TK ranking is measured on 100% minus TK: 90 - 97 for B.
    assert ranked[0].gap == Decimal("-7.00")


def test_rank_units_without_data_last():
    rows = [(unit("EMPTY"), Counts()), (unit("A"), Counts(scheduled=2, present=1))]

    ranked = rank(rows, rate="physical", target=Decimal(99))

    assert [(row.unit.code, row.rank) for row in ranked] == [("A", 1), ("EMPTY", None)]
    assert ranked[0].gap == Decimal("-49.00")
    assert ranked[1].gap is None
