"""SQL of the towns' KPI settings versions.

A version is visible when the caller's scope reaches its town (``scope.clause`` on the
town's org unit, joined by the foreign key). Matching a version to *its* town after
that check is a natural key, like the points rules of a town.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.orders.models import KpiSetting
from app.reporting.kpi_settings.models import KpiSettingsVersion

V = KpiSettingsVersion


async def district_default(session: AsyncSession) -> dict[str, Any]:
    rows = await session.execute(select(KpiSetting.key, KpiSetting.value))
    return {key: value for key, value in rows}


async def find_town(session: AsyncSession, scope: Scope, town_id: int) -> Row[int, str] | None:
    return (
        await session.execute(
            select(OrgUnit.id, OrgUnit.level).where(OrgUnit.id == town_id, scope.clause(OrgUnit))
        )
    ).first()


async def lock_town(session: AsyncSession, town_id: int) -> None:
    """Serialise new versions of one town, so two cannot take the same number."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"kpi_settings:{town_id}", 0)))
    )


async def latest_number(session: AsyncSession, town: Scope) -> int:
    """The newest version number of the town ``town`` names (0: none)."""
    found = await session.scalar(
        select(func.coalesce(func.max(V.version), 0)).join(OrgUnit).where(town.clause(OrgUnit))
    )
    return int(found or 0)


async def in_force(session: AsyncSession, town: Scope, at: date) -> KpiSettingsVersion | None:
    """The town's latest version effective on ``at`` (a later number wins a tie)."""
    query = (
        select(V)
        .join(OrgUnit)
        .where(town.clause(OrgUnit), OrgUnit.level == "town", V.effective_from <= at)
        .order_by(V.effective_from.desc(), V.version.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def add(session: AsyncSession, version: KpiSettingsVersion) -> KpiSettingsVersion:
    session.add(version)
    await session.flush()
    await session.refresh(version)
    return version


async def get(session: AsyncSession, scope: Scope, version_id: int) -> KpiSettingsVersion | None:
    query = select(V).join(OrgUnit).where(V.id == version_id, scope.clause(OrgUnit))
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession, scope: Scope, town: Scope | None, *, after: int | None, limit: int
) -> Sequence[KpiSettingsVersion]:
    """Newest first (by id) within ``scope``, of one town when ``town`` is given."""
    query = select(V).join(OrgUnit).where(scope.clause(OrgUnit)).order_by(V.id.desc())
    if town is not None:
        query = query.where(town.clause(OrgUnit))
    if after is not None:
        query = query.where(V.id < after)
    return (await session.scalars(query.limit(limit))).all()
