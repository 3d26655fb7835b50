"""SQL of the 通报 snapshots.

A bulletin is visible when the caller's scope reaches its town (``scope.clause`` on
the town's org unit, joined by the foreign key); one of a given town is found through
the same scope narrowed to that town.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.reporting.bulletins.models import Bulletin

B = Bulletin


async def live_towns(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(OrgUnit.id)
        .where(OrgUnit.level == "town", OrgUnit.is_archived.is_(False))
        .order_by(OrgUnit.id)
    )
    return list(rows)


async def has_orders_before(session: AsyncSession, town: Scope, end: datetime) -> bool:
    """Whether the town had received any order before ``end`` (one index probe)."""
    query = select(ServiceOrder.id).where(town.clause(ServiceOrder), ServiceOrder.received_at < end)
    return (await session.execute(query.limit(1))).first() is not None


async def find_town(
    session: AsyncSession, scope: Scope, town_id: int
) -> Row[int, str, str, str] | None:
    return (
        await session.execute(
            select(OrgUnit.id, OrgUnit.name, OrgUnit.code, OrgUnit.level).where(
                OrgUnit.id == town_id, OrgUnit.level == "town", scope.clause(OrgUnit)
            )
        )
    ).first()


async def parents(session: AsyncSession, subtree: Scope, level: str) -> dict[int, int | None]:
    """Each node of ``level`` in the subtree → its parent (a grid → its community)."""
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.parent_id).where(subtree.clause(OrgUnit), OrgUnit.level == level)
    )
    return {node: parent for node, parent in rows}


async def find(session: AsyncSession, town: Scope, kind: str, start: date) -> Bulletin | None:
    query = (
        select(B)
        .join(OrgUnit)
        .where(town.clause(OrgUnit), OrgUnit.level == "town", B.kind == kind)
        .where(B.period_start == start)
    )
    return (await session.scalars(query)).first()


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new bulletin's id, or None when one for the town, kind and period exists
    (another publisher got there first: the snapshot is never replaced)."""
    statement = (
        insert(B)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_bulletin_town_id_kind_period_start")
        .returning(B.id)
    )
    return (await session.execute(statement)).scalar()


async def get(session: AsyncSession, scope: Scope, bulletin_id: int) -> Bulletin | None:
    query = select(B).join(OrgUnit).where(B.id == bulletin_id, scope.clause(OrgUnit))
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession,
    scope: Scope,
    town: Scope | None,
    kind: str | None,
    *,
    after: int | None,
    limit: int,
) -> Sequence[Row[int, int, str, date, date, datetime, int | None]]:
    """Newest first (by id), without the content."""
    query = (
        select(
            B.id,
            B.town_id,
            B.kind,
            B.period_start,
            B.period_end,
            B.generated_at,
            B.generated_by.label("generated_by_user_id"),
        )
        .join(OrgUnit)
        .where(scope.clause(OrgUnit))
        .order_by(B.id.desc())
        .limit(limit)
    )
    if town is not None:
        query = query.where(town.clause(OrgUnit))
    if kind is not None:
        query = query.where(B.kind == kind)
    if after is not None:
        query = query.where(B.id < after)
    return (await session.execute(query)).all()
