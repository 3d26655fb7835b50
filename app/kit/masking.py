"""Display masking of personal information, PIPL (个人信息保护法) art. 51.

Masks preserve length. Any value of two or more characters always has at
least one character hidden, whatever its shape; None passes through.
"""

from __future__ import annotations

from typing import overload

__all__ = ["mask_id_number", "mask_mobile", "mask_name"]

_FILL = "*"


def _mask(value: str, head: int, tail: int) -> str:
    n = len(value)
    if head + tail >= n:
        # Value shorter than the expected shape (bad data, partial input):
        # reveal at most a quarter at each end rather than the whole thing.
        head = tail = n // 4
    return value[:head] + _FILL * (n - head - tail) + value[n - tail :]


@overload
def mask_mobile(value: str) -> str: ...
@overload
def mask_mobile(value: None) -> None: ...
def mask_mobile(value: str | None) -> str | None:
    """'13812345678' -> '138****5678'."""
    return None if value is None else _mask(value, 3, 4)


@overload
def mask_id_number(value: str) -> str: ...
@overload
def mask_id_number(value: None) -> None: ...
def mask_id_number(value: str | None) -> str | None:
    """'110101199003071234' -> '110101********1234' (region code and last 4)."""
    return None if value is None else _mask(value, 6, 4)


@overload
def mask_name(value: str) -> str: ...
@overload
def mask_name(value: None) -> None: ...
def mask_name(value: str | None) -> str | None:
    """'张三丰' -> '张*丰', '张三' -> '张*'."""
    if value is None:
        return None
    if len(value) == 2:
        return value[0] + _FILL
    return _mask(value, 1, 1)
