"""Helpers the configuration services share: the global-data check and pages."""

from typing import Any

from app.authz.permissions import ORDERS_CONFIG
from app.authz.principal import Principal
from app.kit.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.orders.config.errors import (
    GlobalConfigForbidden,
)


def require_global(principal: Principal) -> None:
    if principal.is_superuser:
        return
    if not any(g.level == "town" and ORDERS_CONFIG in g.permissions for g in principal.grants):
        raise GlobalConfigForbidden()


def after_key(cursor: str | None, kind: type) -> Any:
    key = decode_cursor(cursor, 1)
    if key is None:
        return None
    if not isinstance(key[0], kind) or isinstance(key[0], bool):
        raise InvalidCursor()
    return key[0]


def next_page(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([key(rows[-1])])


def changed_fields(row: Any, data: Any) -> dict[str, Any]:
    updates = data.model_dump(exclude_unset=True, mode="json")
    return {k: v for k, v in updates.items() if getattr(row, k) != v}
