"""Strict, bounded types for everything a client sends (DESIGN.md: "types are strict").

FastAPI validates a JSON body in pydantic's *python* mode on the already parsed JSON,
where lax mode takes ``true`` for 1, ``0`` for false and ``0`` for 1970-01-01; the
body types here are strict instead. Path and query values always arrive as text, so
their ``*Param`` types read exactly one spelling: decimal digits for an integer,
``true``/``false`` for a boolean. Dates, datetimes and text read the same everywhere.

Every integer is bounded so it fits the PostgreSQL column it is compared with (an id
past 2^63 - 1 used to reach asyncpg and answer 500), every date falls in 1900–2999 so
date arithmetic cannot overflow, and text never carries NUL (PostgreSQL refuses it in
``text``) or other control characters.

=============  =====================================  ==============================
kind           request bodies (JSON)                  path and query parameters
=============  =====================================  ==============================
id             ``Id``                                 ``IdParam``
total          ``BigInt`` (``bigint`` range)          —
integer        ``Int`` + ``Field(ge=, le=)``          ``Annotated[int, Field(ge=, le=),
                                                      DecimalDigits]``
boolean        ``Bool``                               ``BoolParam``
number         ``Number`` (finite, not a boolean)     —
date           ``Date`` (``YYYY-MM-DD``)              ``Date``
datetime       ``DateTime`` (RFC 3339, with offset)   ``DateTime``
one line       ``Line`` (names, codes, search)        ``Line``
free text      ``Text`` (tab and newlines allowed)    —
=============  =====================================  ==============================
"""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AllowInfNan, AwareDatetime, BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1
"""The largest PostgreSQL ``bigint``: every id column is one."""
MIN_YEAR, MAX_YEAR = 1900, 2999


# ---------------------------------------------------------------- integers


_DECIMAL = re.compile(r"-?[0-9]{1,20}")


def _decimal(value: Any) -> Any:
    """A path or query integer is written in ASCII decimal digits and nothing else:
    not ``1.0``, ``1e3``, ``１２`` (full-width), ``1_000`` or ``true``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    raise PydanticCustomError(
        "int_parsing",
        "Input should be a whole number written in decimal digits",
        {"reason_zh": "应为十进制整数"},
    )


DecimalDigits = BeforeValidator(_decimal)
"""Put last in a path or query integer's ``Annotated``, after its bounds:
``Annotated[int, Field(ge=2000, le=2100), DecimalDigits]``. (Bounds given after it, or
in ``Query(ge=, le=)``, would be checked but documented with non-standard keys.)"""

Int = Annotated[int, Strict()]
"""A JSON integer: never a boolean, a float or a numeric string. Bound it with the
field's ``ge``/``le`` for the column it lands in."""
BigInt = Annotated[int, Strict(), Field(ge=-(2**63), le=2**63 - 1)]
"""A JSON integer in PostgreSQL ``bigint`` range (a total, a position in a cursor)."""
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
"""A JSON id: an integer in 1 … 2^63 - 1."""
IdParam = Annotated[int, Field(ge=1, le=MAX_ID), DecimalDigits]
"""A path or query id: decimal digits for 1 … 2^63 - 1."""


# ---------------------------------------------------------------- booleans and numbers


def _true_or_false(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise PydanticCustomError(
        "bool_parsing", "Input should be true or false", {"reason_zh": "应为 true 或 false"}
    )


Bool = Annotated[bool, Strict()]
"""A JSON boolean: ``true`` or ``false``, never 0, 1 or a string."""
BoolParam = Annotated[bool, BeforeValidator(_true_or_false)]
"""A query boolean: the words ``true`` or ``false`` (not 1, yes, on or TRUE)."""
Number = Annotated[float, Strict(), AllowInfNan(False)]
"""A finite JSON number (an integer is fine, a boolean or a string is not)."""


# ---------------------------------------------------------------- dates


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _in_years(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic would read ``0`` or ``"1700000000"`` as a Unix time."""
    if isinstance(value, date) and not isinstance(value, datetime) and _in_years(value.year):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value) and _in_years(int(value[:4])):
        return value
    raise PydanticCustomError(
        "date_type",
        f"Input should be an ISO date (YYYY-MM-DD) in the years {MIN_YEAR}-{MAX_YEAR}",
        {"reason_zh": f"应为 ISO 日期 (YYYY-MM-DD)，年份在 {MIN_YEAR}–{MAX_YEAR} 之间"},
    )


def _iso_datetime(value: Any) -> Any:
    """Only an RFC 3339 date and time (with offset, checked by ``AwareDatetime``): never
    a number, nor a bare date that would silently mean midnight."""
    if isinstance(value, datetime) and _in_years(value.year):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value) and _in_years(int(value[:4])):
        return value
    raise PydanticCustomError(
        "datetime_type",
        "Input should be an RFC 3339 date and time with offset, e.g. "
        f"2026-11-21T09:00:00+08:00, in the years {MIN_YEAR}-{MAX_YEAR}",
        {
            "reason_zh": "应为带时区偏移的 ISO 时间，如 2026-11-21T09:00:00+08:00，"
            f"年份在 {MIN_YEAR}–{MAX_YEAR} 之间"
        },
    )


Date = Annotated[date, BeforeValidator(_iso_date)]
"""A calendar date, ``YYYY-MM-DD``, in bodies, paths and queries alike."""
DateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]
"""An instant, RFC 3339 with an offset (``Z`` or ``+08:00``)."""


# ---------------------------------------------------------------- text

# C0 controls, DEL and C1 controls. PostgreSQL refuses NUL in text outright; the others
# are never meant in a name or a note and hide text from the people reading it
# (terminal escapes, for one). The rule is a pattern on the string schema itself, so it
# is checked natively, documented in the OpenAPI document, and leaves a field's own
# ``max_length`` and ``pattern`` documented too (a validator function wrapped around
# the string would hide them). A field with its own pattern declares it on the type,
# ``Annotated[Line, Field(pattern=...)]``, which replaces this one, so that pattern must
# refuse control characters itself. (In a field's ``= Field(pattern=...)`` it would lose
# to Line's own.) tests/test_hostile_inputs.py checks both.
# With a pattern set, pydantic also refuses lone surrogates (not encodable as UTF-8).
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

Line = Annotated[str, Strict(), Field(pattern=LINE_PATTERN)]
"""One line of text (names, codes, usernames, search terms): no control character at
all. Bound it with the field's ``max_length``."""
Text = Annotated[str, Strict(), Field(pattern=TEXT_PATTERN)]
"""Free text (descriptions, notes, comments): tab, CR and LF allowed, no other control
character. Bound it with the field's ``max_length``."""

CONTROL_CHARACTER_PATTERNS = {
    LINE_PATTERN: ("Text must not contain control characters", "不得包含控制字符"),
    TEXT_PATTERN: (
        "Text must not contain control characters other than tab and line breaks",
        "不得包含控制字符（制表符与换行除外）",
    ),
}
"""How the error handler words a mismatch of these patterns, in English and Chinese."""

_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    """The rule of ``Line`` for text that arrives outside a declared parameter (HTTP Basic
    credentials, the cells of an imported file)."""
    return _CONTROL_OR_SURROGATE.search(value) is not None
