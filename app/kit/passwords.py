"""Password complexity policy, 等保2.0 (GB/T 22239-2019) 8.1.4.1 身份鉴别.

The standard only requires "complexity"; this is the usual assessed reading:
at least 8 and at most 128 characters, with at least three of four character
classes: lower-case, upper-case, digit, other. Hashing lives elsewhere.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_LENGTH", "MIN_CLASSES", "MIN_LENGTH", "check_password_policy", "is_common"]

MIN_LENGTH: Final = 8
# Upper bound keeps the (deliberately slow) hash from being fed huge inputs.
MAX_LENGTH: Final = 128
MIN_CLASSES: Final = 3


# The words at the heart of the most common leaked passwords (NCSC top 100k, the
# CSDN/12306 leaks): "Password1", "Admin2026" and "Qwerty!23" pass the class rule but
# are the first guesses of any attacker (NIST SP 800-63B §5.1.1.2: compare against
# a blocklist). A password is common when, lower-cased and stripped of the digits and
# symbols around it, it is one of these, or when it is only a keyboard run or digits.
COMMON_WORDS: Final = frozenset(
    [
        "password",
        "passw0rd",
        "p@ssword",
        "p@ssw0rd",
        "pass",
        "admin",
        "administrator",
        "root",
        "qwerty",
        "qwertyuiop",
        "asdf",
        "asdfgh",
        "asdfghjkl",
        "zxcvbn",
        "zxcvbnm",
        "qazwsx",
        "qweasd",
        "1qaz2wsx",
        "abc",
        "abcd",
        "abcdef",
        "abcdefg",
        "abcdefgh",
        "iloveyou",
        "welcome",
        "letmein",
        "login",
        "user",
        "guest",
        "test",
        "tester",
        "monkey",
        "dragon",
        "master",
        "shadow",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "batman",
        "trustno1",
        "hello",
        "changeme",
        "default",
        "secret",
        "system",
        "manager",
        "woaini",
        "wodemima",
        "mima",
        "aini",
        "china",
        "beijing",
        "shanghai",
        "huawei",
        "xiaomi",
        "tencent",
        "baidu",
        "alibaba",
        "redgrid",
        "grid",
        "party",
        "dangyuan",
        "dang",
    ]
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_RUNS: Final = ("0123456789", "9876543210", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def is_common(pw: str) -> bool:
    lowered = pw.lower()
    if _EDGES.sub("", lowered) in COMMON_WORDS:
        return True
    plain = re.sub(r"[^a-z0-9]", "", lowered)
    # A keyboard or digit run ("12345678", "Qwerty!23"), or one character repeated.
    return bool(plain) and (any(plain in run for run in _RUNS) or len(set(plain)) == 1)


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


def check_password_policy(pw: str, username: str | None = None) -> list[str]:
    """Violation codes in a fixed order; an empty list means acceptable."""
    violations: list[str] = []
    if len(pw) < MIN_LENGTH:
        violations.append("too_short")
    if len(pw) > MAX_LENGTH:
        violations.append("too_long")
    if len({_char_class(c) for c in pw}) < MIN_CLASSES:
        violations.append("too_few_classes")
    if is_common(pw):
        violations.append("common")
    if username and len(username) >= 3 and username.lower() in pw.lower():
        violations.append("contains_username")
    return violations
