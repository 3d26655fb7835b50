from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.authz.scope import Scope


async def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
    await session.flush()


async def list_events(
    session: AsyncSession,
    scope: Scope,
    *,
    action_prefix: str | None = None,
    actor_user_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int,
) -> Sequence[AuditEvent]:
    """Newest first; keyset on (occurred_at, id), served by ix_audit_event_occurred_at_id."""
    filters: list[ColumnElement[bool]] = [scope.clause(AuditEvent)]
    if action_prefix:
        filters.append(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if actor_user_id is not None:
        filters.append(AuditEvent.actor_user_id == actor_user_id)
    if target_type is not None:
        filters.append(AuditEvent.target_type == target_type)
    if target_id is not None:
        filters.append(AuditEvent.target_id == target_id)
    if outcome is not None:
        filters.append(AuditEvent.outcome == outcome)
    if since is not None:
        filters.append(AuditEvent.occurred_at >= since)
    if until is not None:
        filters.append(AuditEvent.occurred_at < until)
    if before is not None:
        filters.append(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(*before))
    query = (
        select(AuditEvent)
        .where(*filters)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def get_event(session: AsyncSession, event_id: int, scope: Scope) -> AuditEvent | None:
    query = select(AuditEvent).where(AuditEvent.id == event_id, scope.clause(AuditEvent))
    return (await session.execute(query)).scalar_one_or_none()


async def purge_older_than(session: AsyncSession, days: int) -> int:
    """Deletes events past retention. The append-only trigger lets a DELETE through only
    in a transaction that set ``redgrid.audit_purge``, and only for rows older than 180
    days (see the migration), so a wrong ``days`` cannot erase recent history."""
    await session.execute(text("SET LOCAL redgrid.audit_purge = 'on'"))
    result = await session.execute(
        delete(AuditEvent).where(AuditEvent.occurred_at < func.now() - timedelta(days=days))
    )
    return int(getattr(result, "rowcount", 0) or 0)
