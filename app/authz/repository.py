"""Loading a caller's grants: one query per request, no recursion."""

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.authz.models import RoleGrant, RolePermission
from app.authz.principal import Grant
from app.hierarchy.models import OrgUnit
from app.users.models import UserAccount


async def get_active_user(
    session: AsyncSession, user_id: int
) -> Row[int, str, int | None, bool, int] | None:
    """What a principal is made of (id, display name, person, superuser, token version),
    not the whole account: no password hash leaves the database for a request."""
    return (
        await session.execute(
            select(
                UserAccount.id,
                UserAccount.display_name,
                UserAccount.person_id,
                UserAccount.is_superuser,
                UserAccount.token_version,
            ).where(UserAccount.id == user_id, UserAccount.is_active.is_(True))
        )
    ).first()


async def grants_of(session: AsyncSession, user_id: int) -> tuple[Grant, ...]:
    permissions = func.coalesce(
        func.array_agg(RolePermission.permission).filter(RolePermission.permission.is_not(None)),
        [],
    )
    rows = await session.execute(
        select(RoleGrant.role, RoleGrant.org_unit_id, OrgUnit.level, permissions)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .outerjoin(RolePermission, RolePermission.role == RoleGrant.role)
        .where(RoleGrant.user_id == user_id, OrgUnit.is_archived.is_(False))
        .group_by(RoleGrant.id, RoleGrant.role, RoleGrant.org_unit_id, OrgUnit.level)
        .order_by(RoleGrant.id)
    )
    return tuple(
        Grant(role=role, org_unit_id=unit_id, level=level, permissions=frozenset(perms))
        for role, unit_id, level, perms in rows
    )


async def get_active_client(session: AsyncSession, client_id: str) -> tuple[ApiClient, str] | None:
    row = (
        await session.execute(
            select(ApiClient, OrgUnit.level)
            .join(OrgUnit, OrgUnit.id == ApiClient.org_unit_id)
            .where(ApiClient.client_id == client_id, ApiClient.is_active.is_(True))
        )
    ).first()
    return (row[0], row[1]) if row else None
