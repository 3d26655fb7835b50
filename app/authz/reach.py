"""Loading a participant's :class:`~app.authz.scope.Reach`: one query for the ancestor
ids of the nodes they are granted at."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.authz.scope import Reach
from app.hierarchy.models import OrgUnit


async def reach(session: AsyncSession, principal: Principal, permission: str) -> Reach:
    scope = principal.scope(permission)
    if scope.unrestricted or scope.is_empty:
        return Reach.lifted(scope, {})
    ids = sorted({node_id for _, node_id in scope.nodes})
    rows = await session.execute(
        select(
            OrgUnit.id,
            OrgUnit.town_id,
            OrgUnit.community_id,
            OrgUnit.grid_id,
            OrgUnit.building_id,
            OrgUnit.household_id,
        ).where(OrgUnit.id.in_(ids))
    )
    return Reach.lifted(scope, {row[0]: tuple(row[1:]) for row in rows})
