"""Password complexity policy, 等保2.0 (GB/T 22239-2019) 8.1.4.1 身份鉴别.

The standard only requires "complexity"; this is the usual assessed reading:
at least 8 and at most 128 characters, with at least three of four character
classes: lower-case, upper-case, digit, other. Hashing lives elsewhere.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_LENGTH", "MIN_CLASSES", "MIN_LENGTH", "check_password_policy"]

MIN_LENGTH: Final = 8
# Upper bound keeps the (deliberately slow) hash from being fed huge inputs.
MAX_LENGTH: Final = 128
MIN_CLASSES: Final = 3


def _char_class(c: str) -> int:
    # ASCII ranges on purpose: str.isupper()/isdigit() would count e.g. 'É'
    # or '²' into classes users and auditors do not expect.
    if "a" <= c <= "z":
        return 0
    if "A" <= c <= "Z":
        return 1
    if "0" <= c <= "9":
        return 2
    return 3


def check_password_policy(pw: str) -> list[str]:
    """Violation codes in a fixed order; an empty list means acceptable."""
    violations: list[str] = []
    if len(pw) < MIN_LENGTH:
        violations.append("too_short")
    if len(pw) > MAX_LENGTH:
        violations.append("too_long")
    if len({_char_class(c) for c in pw}) < MIN_CLASSES:
        violations.append("too_few_classes")
    return violations
