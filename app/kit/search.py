"""Substring search on user text (``q``): ``ILIKE '%…%'`` with the text's own ``%``,
``_`` and ``\\`` taken literally, so a search for ``100%`` does not match everything.
Served by pg_trgm GIN indexes where the column has one."""

from typing import Any

from sqlalchemy import ColumnElement, or_


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(text: str, *columns: Any) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``text``, ignoring case."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
