"""Helpers the configuration services share: the global-data check, audit, changes."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORDERS_CONFIG
from app.authz.principal import Principal
from app.authz.scope import Placed
from app.orders.config.errors import (
    GlobalConfigForbidden,
)


@dataclass
class TownPlace:
    """A department's place for the audit log: its town."""

    town_id: int
    community_id: int | None = None
    grid_id: int | None = None
    building_id: int | None = None
    household_id: int | None = None


def require_global(principal: Principal) -> None:
    if principal.is_superuser:
        return
    if not any(g.level == "town" and ORDERS_CONFIG in g.permissions for g in principal.grants):
        raise GlobalConfigForbidden()


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: tuple[str, int | str],
    summary: str,
    place: Placed | None = None,
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=summary,
        target_type=target[0],
        target_id=target[1],
        place=place,
    )


def changed_fields(row: Any, data: Any) -> dict[str, Any]:
    updates = data.model_dump(exclude_unset=True, mode="json")
    return {k: v for k, v in updates.items() if getattr(row, k) != v}
