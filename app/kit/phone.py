"""Mainland China mobile numbers (11 digits, 1[3-9]xxxxxxxxx).

Normalised numbers are stored without country code; they are personal
information under PIPL (个人信息保护法) and should be masked for display.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["InvalidMobile", "normalize_mobile"]

# \s also covers the full-width space (U+3000) common in Chinese input.
_SEPARATORS: Final = re.compile(r"[\s\-]")
# ASCII-only: `\d` would also accept full-width and other Unicode digits.
_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")


class InvalidMobile(ValueError):
    def __init__(self) -> None:
        # No number in the message: logged exceptions must not carry PII.
        super().__init__("invalid mainland mobile number")


def normalize_mobile(raw: str) -> str:
    """Return the bare 11-digit number, dropping +86/86, spaces and hyphens."""
    if not isinstance(raw, str):
        raise InvalidMobile()
    number = _SEPARATORS.sub("", raw)
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        # Length guard: no valid bare mobile starts with 86, but be explicit
        # that the prefix is only a country code when 11 digits follow.
        number = number[2:]
    if not _MOBILE.fullmatch(number):
        raise InvalidMobile()
    return number
