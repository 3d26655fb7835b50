"""Keyset (cursor) pagination: constant cost at any depth, unlike OFFSET.

A list declares its sort key once, as a :class:`Keyset` of the types of its parts
(``Keyset(Id)``, ``Keyset(DateTime, Id)``), and pages with :func:`paginate`. The cursor
is an opaque, URL-safe encoding of the key of the last row served; decoding checks the
type and range of every part against the declared shape, so a tampered cursor
(``[null]``, ``[1e400]``, nested lists, wrong arity, an id past 2^63 - 1, a NUL in a
code) answers 400 ``request.invalid_cursor`` on every list, never reaching the database.
"""

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from app.errors import BusinessRuleViolation
from app.kit.types import DecimalDigits, Id, Line

T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 200

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Page size"), DecimalDigits]
"""The ``limit`` query parameter of every list (default ``DEFAULT_LIMIT``)."""
Cursor = Annotated[
    str,
    Field(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
]
"""The ``cursor`` query parameter of every list; opaque text that :class:`Keyset`
validates (so any tampering, control characters included, is a 400)."""


class InvalidCursor(BusinessRuleViolation):
    status = 400
    code = "request.invalid_cursor"
    message_zh = "分页游标无效"
    message_en = "The pagination cursor is invalid"


class Keyset(Generic[K]):
    """The sort key of a list as its cursor carries it.

    One part reads as a bare value (``Keyset[int](Id)`` gives ``42``), several as a
    tuple (``Keyset[tuple[datetime, int]](DateTime, Id)``). Parts are the request types
    of ``app.kit.types``, so a key part obeys the same bounds as the parameter it
    stands for.
    """

    def __init__(self, *parts: Any) -> None:
        self._single = len(parts) == 1
        self._adapter: TypeAdapter[tuple[Any, ...]] = TypeAdapter(tuple[parts])  # type: ignore[valid-type]

    def encode(self, key: K) -> str:
        parts = (key,) if self._single else key
        raw = self._adapter.dump_json(parts)  # type: ignore[arg-type]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str | None) -> K | None:
        """The key after which the page starts; ``None`` for the first page."""
        if not cursor:
            return None
        try:
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
            # The parts' types are strict themselves (model-wide strict mode would refuse
            # the text of a datetime behind its ISO check).
            parts = self._adapter.validate_json(raw)
        except (ValueError, ValidationError):  # binascii.Error and encoding errors included
            raise InvalidCursor() from None
        key: Any = parts[0] if self._single else parts
        return key  # type: ignore[no-any-return]


BY_ID: Keyset[int] = Keyset(Id)
"""Lists in id order (either direction)."""
BY_CODE: Keyset[str] = Keyset(Annotated[Line, Field(min_length=1, max_length=64)])
"""Lists in the order of a text code."""


async def paginate(
    keyset: Keyset[K],
    cursor: str | None,
    limit: int,
    fetch: Callable[[K | None, int], Awaitable[Sequence[R]]],
    key: Callable[[R], K],
) -> tuple[list[R], str | None]:
    """One page: ``fetch(after, n)`` returns up to ``n`` rows after the cursor's key in
    the list's order; one row more than ``limit`` tells that another page follows, whose
    cursor is the key of the last row served."""
    after = keyset.decode(cursor)
    rows = list(await fetch(after, limit + 1))
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, keyset.encode(key(page[-1]))


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )
