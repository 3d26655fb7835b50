"""Recording and reading the audit log. Records join the caller's transaction, so a
write and its audit record commit or roll back together."""

import ipaddress

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.models import AuditEvent
from app.authz.principal import Principal
from app.authz.scope import Placed
from app.observability import current_client_ip, current_request_id


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


async def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    *,
    summary: str,
    target_type: str | None = None,
    target_id: int | str | None = None,
    place: Placed | None = None,
    outcome: str = "success",
    actor_user_id: int | None = None,
    actor_name: str | None = None,
) -> None:
    """Append one event. ``summary`` must not contain personal data (no phone or ID numbers)."""
    event = AuditEvent(
        actor_user_id=principal.user_id if principal else actor_user_id,
        actor_name=(principal.subject if principal else actor_name),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        summary=summary[:500],
        outcome=outcome,
        client_ip=_valid_ip(current_client_ip()),
        request_id=current_request_id(),
        town_id=place.town_id if place else None,
        community_id=place.community_id if place else None,
        grid_id=place.grid_id if place else None,
        building_id=place.building_id if place else None,
        household_id=place.household_id if place else None,
    )
    await repository.add(session, event)
