"""Removing what a committing test wrote, including its rows in append-only tables."""

from collections.abc import Iterable

from sqlalchemy import delete, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.models import AuditEvent


async def purge_audit(
    conn: AsyncConnection | AsyncSession,
    *,
    users: Iterable[int] = (),
    towns: Iterable[int] = (),
) -> None:
    """Delete the audit events a test's users did or suffered, or that happened in its
    towns. audit_event is append-only by trigger (等保 2.0); replica mode, local to the
    caller's transaction, lets a test remove only the rows it wrote."""
    users, towns = list(users), list(towns)
    await conn.execute(text("SET LOCAL session_replication_role = replica"))
    await conn.execute(
        delete(AuditEvent).where(
            or_(
                AuditEvent.actor_user_id.in_(users),
                (AuditEvent.target_type == "user") & AuditEvent.target_id.in_(map(str, users)),
                AuditEvent.town_id.in_(towns),
            )
        )
    )
    await conn.execute(text("SET LOCAL session_replication_role = origin"))
