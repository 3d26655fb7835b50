import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.masking import mask_id_number, mask_mobile, mask_name

MASKERS = [mask_mobile, mask_id_number, mask_name]


def test_mask_mobile() -> None:
    assert mask_mobile("13812345678") == "138****5678"


def test_mask_id_number() -> None:
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张*丰"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("张", "*"), ("", "")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("mask", MASKERS)
def test_none_passes_through(mask: object) -> None:
    assert mask(None) is None  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("12", "**"), ("1234", "1**4"), ("1381234", "1*****4"), ("13812345", "138*2345")],
)
def test_short_mobile_never_revealed(value: str, masked: str) -> None:
    assert mask_mobile(value) == masked


def test_short_id_number_never_revealed() -> None:
    assert mask_id_number("1101011990") == "11******90"


@given(st.text(alphabet=st.characters(exclude_characters="*"), min_size=2))
def test_mask_never_returns_input(value: str) -> None:
    for mask in MASKERS:
        masked = mask(value)
        assert masked != value
        assert len(masked) == len(value)
