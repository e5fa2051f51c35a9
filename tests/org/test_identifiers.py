import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sao.org.identifiers import format_nip, nik_matches_nip, parse_nik, parse_nip


@pytest.mark.parametrize(
    ("nip", "layout", "birth", "year", "month", "sex"),
    [
        ("198609262015051001", "PNS", dt.date(1986, 9, 26), 2015, 5, "M"),
        ("197001012000122003", "PNS", dt.date(1970, 1, 1), 2000, 12, "F"),
        ("200012312024211001", "PPPK", dt.date(2000, 12, 31), 2024, None, "M"),
        ("198902252024211013", "PPPK", dt.date(1989, 2, 25), 2024, None, "M"),
        ("199203152023212004", "PPPK", dt.date(1992, 3, 15), 2023, None, "F"),
    ],
)
def test_valid_nip_layouts(nip, layout, birth, year, month, sex):
    info = parse_nip(nip)

    assert info.layout == layout
    assert info.birth_date == birth
    assert info.appointed_year == year
    assert info.appointed_month == month
    assert info.sex == sex


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1.97E+17", "excel_number"),
        ("1.98609262015051E+17", "excel_number"),
        ("198609262015051000.0", "excel_number"),
        (1.98609262015051e17, "excel_number"),
        ("19860926201505100", "nip_length"),
        ("19860926201505100A", "nip_length"),
        ("198613262015051001", "nip_birth_date"),
        ("198602302015051001", "nip_birth_date"),
        ("198609262015131001", "nip_tmt_month"),
        ("198609262015001001", "nip_tmt_month"),
        ("198609262015053001", "nip_sex"),
        ("198609262015051000", "nip_serial"),
        ("200012312024201001", "nip_pppk_intake"),
        ("198609261990051001", "nip_tmt_year"),
    ],
)
def test_invalid_nip_code(value, code):
    with pytest.raises(ValidationError) as caught:
        parse_nip(value)

    assert caught.value.code == code


def test_excel_nip_message_names_value_and_fix():
    with pytest.raises(ValidationError) as caught:
        parse_nip("1.97E+17")

    message = caught.value.messages[0]
    assert "1.97E+17" in message
    assert "Text" in message


def test_nip_spaces_and_quote_accepted():
    assert parse_nip("'19860926 201505 1 001").nip == "198609262015051001"


def test_nik_female_day_plus_forty():
    info = parse_nik("6472056609860001")

    assert info.province_code == "64"
    assert info.sex == "F"
    assert (info.birth_day, info.birth_month, info.birth_year_2digit) == (26, 9, 86)


def test_nik_leap_day_any_century():
    assert parse_nik("6471052902000002").birth_day == 29


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("647205260986000", "nik_length"),
        ("0072052609860001", "nik_province"),
        ("6472053209860001", "nik_birth_date"),
        ("6472057209860001", "nik_birth_date"),
        ("6472052613860001", "nik_birth_date"),
        ("6.47205E+15", "excel_number"),
    ],
)
def test_invalid_nik_code(value, code):
    with pytest.raises(ValidationError) as caught:
        parse_nik(value)

    assert caught.value.code == code


def test_nik_matches_nip_birth_and_sex():
    nip = parse_nip("198609262015052001")

    assert nik_matches_nip(parse_nik("6472056609860001"), nip)
    assert not nik_matches_nip(parse_nik("6472052609860001"), nip)


def test_format_nip_groups():
    assert format_nip("198609262015051001") == "19860926 201505 1 001"
    assert format_nip("200012312024211001") == "20001231 2024 21 1 001"
