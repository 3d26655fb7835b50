"""Recording and reading the audit log. Records join the caller's transaction, so a
write and its audit record commit or roll back together."""

import ipaddress
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.errors import AuditEventNotFound
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead, AuditQuery
from app.authz.permissions import AUDIT_READ
from app.authz.principal import Principal
from app.authz.scope import Placed
from app.kit.pagination import Keyset, Page, paginate
from app.kit.types import DateTime, Id
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


_NEWEST_FIRST: Keyset[tuple[datetime, int]] = Keyset(DateTime, Id)
"""The log's order: newest first, ties by id."""


async def list_events(
    session: AsyncSession, principal: Principal, query: AuditQuery
) -> Page[AuditEventRead]:
    """Newest first, within the caller's ``audit.read`` subtrees (events filed at no
    place, such as sign-ins to unknown usernames, only for superusers)."""
    scope = principal.scope(AUDIT_READ)
    rows, next_cursor = await paginate(
        _NEWEST_FIRST,
        query.cursor,
        query.limit,
        lambda before, n: repository.list_events(
            session,
            scope,
            action_prefix=query.action,
            actor_user_id=query.actor_user_id,
            target_type=query.target_type,
            target_id=query.target_id,
            outcome=query.outcome,
            since=query.since,
            until=query.until,
            before=before,
            limit=n,
        ),
        key=lambda row: (row.occurred_at, row.id),
    )
    return Page(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)


async def read_event(session: AsyncSession, principal: Principal, event_id: int) -> AuditEventRead:
    event = await repository.get_event(session, event_id, principal.scope(AUDIT_READ))
    if event is None:
        raise AuditEventNotFound()
    return AuditEventRead.model_validate(event)


async def purge_expired(session: AsyncSession, retention_days: int) -> int:
    """Retention (等保 2.0: at least 180 days): deletes events older than
    ``retention_days``; returns how many."""
    return await repository.purge_older_than(session, retention_days)
