"""Keyset (cursor) pagination: constant cost at any depth, unlike OFFSET.

A cursor is an opaque, URL-safe encoding of the sort key of the last row served.
"""

import base64
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from app.errors import BusinessRuleViolation

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 200


class InvalidCursor(BusinessRuleViolation):
    status = 400
    code = "request.invalid_cursor"
    message_zh = "分页游标无效"
    message_en = "The pagination cursor is invalid"


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise InvalidCursor() from None
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidCursor()
    return key


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )
