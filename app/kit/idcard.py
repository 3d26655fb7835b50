"""Mainland resident ID card numbers (居民身份证号码), GB 11643-1999.

Layout: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd = male), 1 check character computed with ISO 7064 MOD 11-2.
Only the 18-character form is accepted; the legacy 15-digit form is rejected.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, Literal

__all__ = [
    "InvalidIdNumber",
    "Reason",
    "birth_date_of",
    "compute_check_char",
    "gender_of",
    "make_id_number",
    "normalize_id_number",
]

Reason = Literal["format", "checksum", "birth_date"]

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS: Final = "10X98765432"
# ASCII-only classes: `\d` would also accept full-width and other Unicode digits.
_FORMAT: Final = re.compile(r"[1-9][0-9]{16}[0-9X]")
_BODY: Final = re.compile(r"[0-9]{17}")
_EARLIEST_BIRTH: Final = date(1900, 1, 1)


class InvalidIdNumber(ValueError):
    """Raised for an unacceptable ID number; `reason` is a stable code."""

    def __init__(self, reason: Reason) -> None:
        # The number itself is deliberately kept out of the message so that
        # logged exceptions never carry personal information.
        super().__init__(reason)
        self.reason: Reason = reason

    def __str__(self) -> str:
        return f"invalid ID number ({self.reason})"


def compute_check_char(body: str) -> str:
    """Check character for the first 17 digits of an ID number."""
    if not _BODY.fullmatch(body):
        raise ValueError("body must be exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _parse_birth(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def normalize_id_number(raw: str, *, today: date | None = None) -> str:
    """Validate an ID number and return it in canonical form (upper-case X)."""
    if not isinstance(raw, str):
        raise InvalidIdNumber("format")
    number = raw.strip().upper()
    if not _FORMAT.fullmatch(number):
        raise InvalidIdNumber("format")
    # Checksum before date so that a single mistyped digit is reported as
    # such, whichever position it is in.
    if compute_check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum")
    try:
        birth = _parse_birth(number)
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    limit = today if today is not None else date.today()
    if not _EARLIEST_BIRTH <= birth <= limit:
        raise InvalidIdNumber("birth_date")
    return number


def birth_date_of(id_number: str, *, today: date | None = None) -> date:
    return _parse_birth(normalize_id_number(id_number, today=today))


def gender_of(id_number: str, *, today: date | None = None) -> Literal["male", "female"]:
    number = normalize_id_number(id_number, today=today)
    return "male" if int(number[16]) % 2 == 1 else "female"


def make_id_number(region: str, birth: date, seq: str) -> str:
    """Build an ID number with a correct check character, e.g. for demo data.

    The birth date is not range-checked, so checksum-valid numbers with
    future dates can be produced for tests.
    """
    if not re.fullmatch(r"[1-9][0-9]{5}", region):
        raise ValueError("region must be 6 ASCII digits not starting with 0")
    if not re.fullmatch(r"[0-9]{3}", seq):
        raise ValueError("seq must be 3 ASCII digits")
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq}"
    return body + compute_check_char(body)
