import pytest

from app.kit.passwords import check_password_policy


@pytest.mark.parametrize(
    "pw",
    [
        "Hbrtkqz1",  # lower + upper + digit
        "hbrtkqz1!",  # lower + digit + symbol
        "HBRTKQZ1!",  # upper + digit + symbol
        "Hbrtkqz!",  # lower + upper + symbol
        "Lvshui8 中文",
        "Aa1" + "x" * 125,  # exactly 128
    ],
)
def test_acceptable(pw: str) -> None:
    assert check_password_policy(pw) == []


def test_too_short() -> None:
    assert check_password_policy("Ab1!xyz") == ["too_short"]


def test_too_long() -> None:
    assert check_password_policy("Aa1" + "x" * 126) == ["too_long"]


@pytest.mark.parametrize("pw", ["hbrtkqzw", "hbrtkqz1", "HBRTKQZ!", "80421357", "密码密码密码密码"])
def test_too_few_classes(pw: str) -> None:
    assert check_password_policy(pw) == ["too_few_classes"]


def test_non_ascii_letters_count_as_other() -> None:
    # 'é' and '²' are "other", not lowercase / digit.
    assert check_password_policy("ééééééé²") == ["too_few_classes"]
    assert check_password_policy("hbrtkqé1") == []


def test_multiple_violations_in_stable_order() -> None:
    assert check_password_policy("") == ["too_short", "too_few_classes"]
    assert check_password_policy("a" * 200) == ["too_long", "too_few_classes", "common"]


@pytest.mark.parametrize("pw", ["Password1", "Admin2026", "12345678!", "Iloveyou1", "Abcdefg1"])
def test_common_passwords(pw: str) -> None:
    assert "common" in check_password_policy(pw)


def test_username_inside_the_password() -> None:
    assert check_password_policy("Liming#2026", "LiMing") == ["contains_username"]
    assert check_password_policy("Liming#2026", "li") == []
