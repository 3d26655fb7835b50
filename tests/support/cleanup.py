"""Removing what a committing test wrote, including its rows in append-only tables."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

import app.db.models  # noqa: F401  (every table, for purge_world)
from app.audit.models import AuditEvent
from app.db.base import Base


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


async def purge_world(
    conn: AsyncConnection | AsyncSession, *, towns: Iterable[int], users: Iterable[int] = ()
) -> None:
    """Delete every row placed in ``towns`` or belonging to ``users``, and every row
    that hangs off one of those (postings of their accounts, deliveries of their
    subscriptions, history of their orders …), whatever the table: a test that drives
    the whole service over HTTP cannot list what each request wrote.

    Walks the metadata, so a new table is covered: a row is the world's when it carries
    one of its ``town_id`` values, or references (by foreign key) a row that is. Replica
    mode, local to the caller's transaction, switches off the append-only triggers and
    the foreign-key checks, so children and parents go in any order."""
    towns, users = list(towns), list(users)
    conditions: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:  # parents first
        terms = []
        if "town_id" in table.c:
            terms.append(table.c.town_id.in_(towns))
        if table.name == "user_account":
            terms.append(table.c.id.in_(users))
        if table.name == "audit_event":
            terms.append(table.c.actor_user_id.in_(users))
        if table.name == "idempotency_record":
            terms.append(table.c.subject.in_([f"user:{u}" for u in users]))
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in conditions and parent is not table:
                owned = select(fk.column).where(conditions[parent.name])
                terms.append(fk.parent.in_(owned))
        if terms:
            conditions[table.name] = or_(*terms)
    await conn.execute(text("SET LOCAL session_replication_role = replica"))
    for table in reversed(Base.metadata.sorted_tables):  # children first
        if table.name in conditions:
            await conn.execute(delete(table).where(conditions[table.name]))
    await conn.execute(text("SET LOCAL session_replication_role = origin"))
