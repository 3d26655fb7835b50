"""SQL for accounts and their grants.

An account is visible to a caller when it holds a grant at a node inside the
caller's scope, or acts as a person whose home is inside it (``visible_clause``).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import RefreshToken
from app.authz.models import Role, RoleGrant, RolePermission
from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.kit.search import contains
from app.people.models import Person
from app.users.models import UserAccount

GrantRow = Row[int, str, int, str, str, datetime]
GRANT_COLUMNS = (
    RoleGrant.id,
    RoleGrant.role,
    RoleGrant.org_unit_id,
    OrgUnit.name.label("org_unit_name"),
    OrgUnit.level.label("org_unit_level"),
    RoleGrant.created_at,
)


async def get_by_username(session: AsyncSession, username: str) -> UserAccount | None:
    result = await session.execute(select(UserAccount).where(UserAccount.username == username))
    return result.scalar_one_or_none()


async def add(session: AsyncSession, account: UserAccount) -> UserAccount:
    session.add(account)
    await session.flush()
    return account


def visible_clause(scope: Scope, *, role: str | None = None, org_unit_id: int | None = None) -> Any:
    """The accounts ``scope`` reaches, optionally only through a grant of ``role`` / at a node."""
    if scope.unrestricted and role is None and org_unit_id is None:
        return true()
    grant_filters: list[ColumnElement[bool]] = [
        RoleGrant.user_id == UserAccount.id,
        scope.clause(OrgUnit),
    ]
    if role is not None:
        grant_filters.append(RoleGrant.role == role)
    if org_unit_id is not None:
        grant_filters.append(RoleGrant.org_unit_id == org_unit_id)
    by_grant = exists(
        select(RoleGrant.id)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(*grant_filters)
    )
    if role is not None or org_unit_id is not None:
        return by_grant
    by_person = exists(
        select(Person.id).where(Person.id == UserAccount.person_id, scope.clause(Person))
    )
    return or_(by_grant, by_person)


async def list_visible(
    session: AsyncSession,
    scope: Scope,
    *,
    q: str | None,
    role: str | None,
    org_unit_id: int | None,
    after_id: int | None,
    limit: int,
) -> Sequence[UserAccount]:
    query = select(UserAccount).where(visible_clause(scope, role=role, org_unit_id=org_unit_id))
    if q:
        query = query.where(contains(q, UserAccount.username, UserAccount.display_name))
    if after_id is not None:
        query = query.where(UserAccount.id > after_id)
    result = await session.execute(query.order_by(UserAccount.id).limit(limit))
    return result.scalars().all()


async def get_visible(
    session: AsyncSession, user_id: int, scope: Scope, *, for_update: bool = False
) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.id == user_id, visible_clause(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_live_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(
        OrgUnit.id == unit_id, OrgUnit.is_archived.is_(False), scope.clause(OrgUnit)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_visible_person(session: AsyncSession, person_id: int, scope: Scope) -> Person | None:
    query = select(Person).where(Person.id == person_id, scope.clause(Person))
    return (await session.execute(query)).scalar_one_or_none()


async def get_account(
    session: AsyncSession, user_id: int, *, for_update: bool = False
) -> UserAccount | None:
    return await session.get(UserAccount, user_id, with_for_update=for_update)


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def person_is_linked(
    session: AsyncSession, person_id: int, *, except_user: int | None
) -> bool:
    query = select(UserAccount.id).where(UserAccount.person_id == person_id)
    if except_user is not None:
        query = query.where(UserAccount.id != except_user)
    return (await session.execute(query.limit(1))).first() is not None


async def grants_of(
    session: AsyncSession, user_id: int, scope: Scope, *, live_only: bool = False
) -> Sequence[GrantRow]:
    query = (
        select(*GRANT_COLUMNS)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(RoleGrant.user_id == user_id, scope.clause(OrgUnit))
        .order_by(RoleGrant.id)
    )
    if live_only:
        query = query.where(OrgUnit.is_archived.is_(False))
    return (await session.execute(query)).all()


async def grant_places(session: AsyncSession, user_id: int) -> Sequence[tuple[OrgUnit, list[str]]]:
    """Every grant of the account: its node and the permissions its role carries."""
    permissions = func.coalesce(
        func.array_agg(RolePermission.permission).filter(RolePermission.permission.is_not(None)),
        [],
    )
    query = (
        select(OrgUnit, permissions)
        .select_from(RoleGrant)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .outerjoin(RolePermission, RolePermission.role == RoleGrant.role)
        .where(RoleGrant.user_id == user_id)
        .group_by(RoleGrant.id, OrgUnit.id)
        .order_by(RoleGrant.id)
    )
    return [(unit, list(perms)) for unit, perms in (await session.execute(query)).all()]


async def first_grant_unit(session: AsyncSession, user_id: int) -> OrgUnit | None:
    query = (
        select(OrgUnit)
        .join(RoleGrant, RoleGrant.org_unit_id == OrgUnit.id)
        .where(RoleGrant.user_id == user_id)
        .order_by(RoleGrant.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def role_permissions(session: AsyncSession, role: str) -> frozenset[str]:
    query = select(RolePermission.permission).where(RolePermission.role == role)
    return frozenset((await session.execute(query)).scalars().all())


async def insert_grant(
    session: AsyncSession, *, user_id: int, role: str, org_unit_id: int, granted_by: int | None
) -> int | None:
    """The new grant's id, or None when the account already holds that role there."""
    statement = (
        insert(RoleGrant)
        .values(user_id=user_id, role=role, org_unit_id=org_unit_id, granted_by=granted_by)
        .on_conflict_do_nothing(index_elements=["user_id", "role", "org_unit_id"])
        .returning(RoleGrant.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get_grant(session: AsyncSession, grant_id: int) -> GrantRow | None:
    query = (
        select(*GRANT_COLUMNS)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(RoleGrant.id == grant_id)
    )
    return (await session.execute(query)).first()


async def get_grant_of_user(
    session: AsyncSession, user_id: int, grant_id: int, scope: Scope
) -> tuple[RoleGrant, OrgUnit] | None:
    query = (
        select(RoleGrant, OrgUnit)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(RoleGrant.id == grant_id, RoleGrant.user_id == user_id, scope.clause(OrgUnit))
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def delete_grant(session: AsyncSession, grant: RoleGrant) -> None:
    await session.delete(grant)
    await session.flush()


async def insert_account(session: AsyncSession, account: UserAccount) -> str | None:
    """Adds the account; on a unique violation returns the error text instead (the
    pre-checks in the service make this the rare race, not the common path)."""
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError as exc:
        return str(exc.orig)
    return None


async def save(session: AsyncSession, account: UserAccount) -> None:
    await session.flush()
    # updated_at is set by the database; load it back rather than lazily later.
    await session.refresh(account)


async def units_by_id(session: AsyncSession, unit_ids: Sequence[int]) -> Sequence[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.id.in_(unit_ids)).order_by(OrgUnit.id)
    return (await session.execute(query)).scalars().all()


async def revoke_refresh_tokens(session: AsyncSession, user_id: int) -> None:
    """Signs an account out everywhere (password reset, deactivation)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .execution_options(synchronize_session=False)
    )


async def account_of_person(session: AsyncSession, person_id: int) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def role_exists(session: AsyncSession, role: str) -> bool:
    return (await session.get(Role, role)) is not None


async def grant_with_unit(session: AsyncSession, grant_id: int) -> tuple[RoleGrant, OrgUnit] | None:
    query = (
        select(RoleGrant, OrgUnit)
        .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
        .where(RoleGrant.id == grant_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def lock_account(session: AsyncSession, user_id: int) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.id == user_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def delete_role_grants(session: AsyncSession, user_id: int, role: str) -> None:
    await session.execute(
        delete(RoleGrant)
        .where(RoleGrant.user_id == user_id, RoleGrant.role == role)
        .execution_options(synchronize_session=False)
    )
