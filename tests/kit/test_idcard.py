from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.idcard import (
    InvalidIdNumber,
    birth_date_of,
    compute_check_char,
    gender_of,
    make_id_number,
    normalize_id_number,
)

TODAY = date(2024, 6, 1)
SAMPLE = "11010519491231002X"  # widely published GB 11643 sample, female

regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
seqs = st.from_regex(r"[0-9]{3}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


def reason_of(raw: str) -> str:
    with pytest.raises(InvalidIdNumber) as exc:
        normalize_id_number(raw, today=TODAY)
    return exc.value.reason


def test_public_sample_is_valid() -> None:
    assert normalize_id_number(SAMPLE, today=TODAY) == SAMPLE
    assert birth_date_of(SAMPLE, today=TODAY) == date(1949, 12, 31)
    assert gender_of(SAMPLE, today=TODAY) == "female"


def test_made_numbers_are_valid() -> None:
    male = make_id_number("110101", date(1990, 3, 7), "123")
    assert male == "110101199003071233"
    assert normalize_id_number(male, today=TODAY) == male
    assert gender_of(male, today=TODAY) == "male"
    female = make_id_number("440305", date(2000, 2, 29), "002")
    assert gender_of(female, today=TODAY) == "female"
    assert birth_date_of(female, today=TODAY) == date(2000, 2, 29)


def test_lowercase_x_and_whitespace_are_normalised() -> None:
    assert normalize_id_number(" 11010519491231002x ", today=TODAY) == SAMPLE


def test_wrong_checksum() -> None:
    assert reason_of("110105194912310021") == "checksum"
    assert reason_of("110101199003071234") == "checksum"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1101051949123100",  # too short
        "11010519491231002XX",  # too long
        "110105491231002",  # legacy 15-digit form
        "010105194912310021",  # region starts with 0
        "11010519491231002Y",
        "1101051949123100X2",  # X only allowed last
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "110105-19491231-002X",
    ],
)
def test_bad_format(raw: str) -> None:
    assert reason_of(raw) == "format"


def test_non_string_is_format_error() -> None:
    with pytest.raises(InvalidIdNumber) as exc:
        normalize_id_number(None, today=TODAY)  # type: ignore[arg-type]
    assert exc.value.reason == "format"


def checksummed(body: str) -> str:
    return body + compute_check_char(body)


@pytest.mark.parametrize(
    "birth",
    ["19900230", "19900001", "19901301", "19900100", "19000229", "18991231"],
)
def test_bad_birth_date(birth: str) -> None:
    assert reason_of(checksummed(f"110101{birth}123")) == "birth_date"


def test_future_birth_date() -> None:
    assert reason_of(make_id_number("110101", date(2024, 6, 2), "123")) == "birth_date"
    today_born = make_id_number("110101", TODAY, "123")
    assert normalize_id_number(today_born, today=TODAY) == today_born


def test_earliest_birth_date_accepted() -> None:
    number = make_id_number("110101", date(1900, 1, 1), "123")
    assert birth_date_of(number, today=TODAY) == date(1900, 1, 1)


def test_default_today_rejects_far_future() -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(make_id_number("110101", date(9999, 1, 1), "001"))


def test_error_message_does_not_leak_number() -> None:
    with pytest.raises(InvalidIdNumber) as exc:
        normalize_id_number("110105194912310021", today=TODAY)
    assert "1101" not in str(exc.value)
    assert "1101" not in repr(exc.value)


@pytest.mark.parametrize(("region", "seq"), [("010101", "123"), ("11010", "123"), ("110101", "12")])
def test_make_id_number_rejects_bad_parts(region: str, seq: str) -> None:
    with pytest.raises(ValueError):
        make_id_number(region, date(1990, 1, 1), seq)


@given(regions, births, seqs)
def test_made_numbers_validate_and_round_trip(region: str, birth: date, seq: str) -> None:
    number = make_id_number(region, birth, seq)
    assert normalize_id_number(number, today=TODAY) == number
    assert normalize_id_number(number.lower(), today=TODAY) == number
    assert birth_date_of(number, today=TODAY) == birth
    assert gender_of(number, today=TODAY) == ("male" if int(seq[2]) % 2 else "female")


@given(regions, births, seqs, st.integers(0, 17), st.integers(1, 10))
def test_single_character_change_fails_checksum(
    region: str, birth: date, seq: str, pos: int, shift: int
) -> None:
    number = make_id_number(region, birth, seq)
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    old = alphabet.index(number[pos])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[pos]:
        return  # shift == len(alphabet) for digit positions: no change
    mutated = number[:pos] + new + number[pos + 1 :]
    expected = "format" if pos == 0 and new == "0" else "checksum"
    assert reason_of(mutated) == expected
