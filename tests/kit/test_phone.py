import pytest

from app.kit.phone import InvalidMobile, normalize_mobile


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+8613812345678",
        "8613812345678",
        "+86 138 1234 5678",
        "86-138-1234-5678",
        " 138-1234-5678 ",
        "138\u30001234\u30005678",  # full-width spaces
    ],
)
def test_accepted_variants(raw: str) -> None:
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("second", "3456789")
def test_second_digit_range(second: str) -> None:
    number = f"1{second}012345678"
    assert normalize_mobile(number) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",  # second digit 2
        "10812345678",
        "23812345678",  # does not start with 1
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+85213812345678",  # other country code
        "+861381234567",
        "0086138123456789",
        "1381234567a",
        "１３８１２３４５６７８",  # full-width digits
        "(138)12345678",
        "+86",
    ],
)
def test_rejected(raw: str) -> None:
    with pytest.raises(InvalidMobile):
        normalize_mobile(raw)


def test_invalid_mobile_is_value_error_without_pii() -> None:
    with pytest.raises(ValueError) as exc:
        normalize_mobile("12812345678")
    assert "1281" not in str(exc.value)
