"""Helpers the configuration services share: the global-data check and changed fields."""

from typing import Any

from app.authz.permissions import ORDERS_CONFIG
from app.authz.principal import Principal
from app.orders.config.errors import GlobalConfigForbidden


def require_global(principal: Principal) -> None:
    if principal.is_superuser:
        return
    if not any(g.level == "town" and ORDERS_CONFIG in g.permissions for g in principal.grants):
        raise GlobalConfigForbidden()


def changed_fields(row: Any, data: Any) -> dict[str, Any]:
    updates = data.model_dump(exclude_unset=True, mode="json")
    return {k: v for k, v in updates.items() if getattr(row, k) != v}
