import pytest

from app.kit.passwords import check_password_policy


@pytest.mark.parametrize(
    "pw",
    [
        "Abcdefg1",  # lower + upper + digit
        "abcdefg1!",  # lower + digit + symbol
        "ABCDEFG1!",  # upper + digit + symbol
        "Abcdefg!",  # lower + upper + symbol
        "Passw0rd 中文",
        "Aa1" + "x" * 125,  # exactly 128
    ],
)
def test_acceptable(pw: str) -> None:
    assert check_password_policy(pw) == []


def test_too_short() -> None:
    assert check_password_policy("Ab1!xyz") == ["too_short"]


def test_too_long() -> None:
    assert check_password_policy("Aa1" + "x" * 126) == ["too_long"]


@pytest.mark.parametrize("pw", ["abcdefgh", "abcdefg1", "ABCDEFG!", "12345678", "密码密码密码密码"])
def test_too_few_classes(pw: str) -> None:
    assert check_password_policy(pw) == ["too_few_classes"]


def test_non_ascii_letters_count_as_other() -> None:
    # 'é' and '²' are "other", not lowercase / digit.
    assert check_password_policy("ééééééé²") == ["too_few_classes"]
    assert check_password_policy("abcdefé1") == []


def test_multiple_violations_in_stable_order() -> None:
    assert check_password_policy("") == ["too_short", "too_few_classes"]
    assert check_password_policy("a" * 200) == ["too_long", "too_few_classes"]
