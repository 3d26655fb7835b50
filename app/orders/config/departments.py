"""Departments (职能部门) of a town and their staff: 街乡吹哨、部门报到 is the town's call.

Services flush, never commit; every write records one audit event.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORDERS_CONFIG, ORDERS_READ
from app.authz.principal import Principal
from app.authz.scope import Place, Scope
from app.kit.pagination import BY_ID, paginate
from app.orders.config import repository
from app.orders.config.errors import (
    AlreadyDepartmentMember,
    DepartmentCodeTaken,
    DepartmentMemberNotFound,
    DepartmentNotFound,
    DepartmentUserNotFound,
    NotATown,
    TownNotFound,
    UnitArchived,
)
from app.orders.config.schemas import (
    DepartmentCreate,
    DepartmentMemberPage,
    DepartmentMemberRead,
    DepartmentPage,
    DepartmentRead,
    DepartmentUpdate,
)
from app.orders.config.shared import changed_fields
from app.orders.models import Department


def _department_read(department: Department, member_count: int) -> DepartmentRead:
    return DepartmentRead(
        id=department.id,
        town_id=department.town_id,
        code=department.code,
        name=department.name,
        member_count=member_count,
        created_at=department.created_at,
        updated_at=department.updated_at,
    )


def _department_readers(principal: Principal) -> tuple[Scope, ...]:
    return (principal.scope(ORDERS_READ), principal.scope(ORDERS_CONFIG))


async def _department(
    session: AsyncSession, scopes: tuple[Scope, ...], department_id: int, *, lock: bool = False
) -> tuple[Department, int]:
    found = await repository.get_department(session, department_id, scopes, for_update=lock)
    if found is None:
        raise DepartmentNotFound()
    return found


def _about(department: Department) -> dict[str, Any]:
    """A department's audit target; its place is its town."""
    return {
        "target_type": "department",
        "target_id": department.id,
        "place": Place.town(department.town_id),
    }


async def create_department(
    session: AsyncSession, principal: Principal, data: DepartmentCreate
) -> DepartmentRead:
    town = await repository.get_unit(session, data.town_id, principal.scope(ORDERS_CONFIG))
    if town is None:
        raise TownNotFound()
    if town.level != "town":
        raise NotATown()
    if town.is_archived:
        raise UnitArchived()
    if await repository.department_code_taken(session, data.code):
        raise DepartmentCodeTaken()
    department = await repository.save(
        session,
        Department(town_id=town.id, code=data.code, name=data.name),
        unique="uq_department_code",
        error=DepartmentCodeTaken(),
    )
    summary = f"新增职能部门「{department.name}」({department.code})"
    await audit_service.record(
        session, principal, "department.create", summary=summary, **_about(department)
    )
    return _department_read(department, 0)


async def get_department(
    session: AsyncSession, principal: Principal, department_id: int
) -> DepartmentRead:
    return _department_read(
        *await _department(session, _department_readers(principal), department_id)
    )


async def list_departments(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    town_id: int | None,
    q: str | None,
) -> DepartmentPage:
    readers = _department_readers(principal)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.department_page(
            session, readers, after=after, limit=n, town_id=town_id, q=q
        ),
        key=lambda row: row[0].id,
    )
    return DepartmentPage(items=[_department_read(*r) for r in items], next_cursor=next_cursor)


async def update_department(
    session: AsyncSession, principal: Principal, department_id: int, data: DepartmentUpdate
) -> DepartmentRead:
    scopes = (principal.scope(ORDERS_CONFIG),)
    department, members = await _department(session, scopes, department_id, lock=True)
    changes = changed_fields(department, data)
    if not changes:
        return _department_read(department, members)
    if "code" in changes and await repository.department_code_taken(
        session, changes["code"], except_id=department.id
    ):
        raise DepartmentCodeTaken()
    for field, value in changes.items():
        setattr(department, field, value)
    await repository.save(
        session, department, unique="uq_department_code", error=DepartmentCodeTaken()
    )
    summary = f"修改职能部门「{department.name}」({department.code})：{', '.join(sorted(changes))}"
    await audit_service.record(
        session, principal, "department.update", summary=summary, **_about(department)
    )
    return _department_read(department, members)


async def add_department_member(
    session: AsyncSession, principal: Principal, department_id: int, user_id: int
) -> DepartmentMemberRead:
    """The account must be active and hold a grant inside the caller's ``orders.config``
    scope (typically ``department_staff`` at the town)."""
    scope = principal.scope(ORDERS_CONFIG)
    department, _ = await _department(session, (scope,), department_id)
    account = await repository.user_reached(session, user_id, scope)
    if account is None:
        raise DepartmentUserNotFound()
    if not await repository.add_department_member(session, department.id, account.id):
        raise AlreadyDepartmentMember()
    summary = f"将用户 #{account.id} 加入职能部门「{department.name}」"
    await audit_service.record(
        session, principal, "department.member_add", summary=summary, **_about(department)
    )
    return DepartmentMemberRead(
        user_id=account.id,
        username=account.username,
        display_name=account.display_name,
        is_active=account.is_active,
    )


async def remove_department_member(
    session: AsyncSession, principal: Principal, department_id: int, user_id: int
) -> None:
    department, _ = await _department(session, (principal.scope(ORDERS_CONFIG),), department_id)
    if not await repository.remove_department_member(session, department.id, user_id):
        raise DepartmentMemberNotFound()
    summary = f"将用户 #{user_id} 移出职能部门「{department.name}」"
    await audit_service.record(
        session, principal, "department.member_remove", summary=summary, **_about(department)
    )


async def list_department_members(
    session: AsyncSession,
    principal: Principal,
    department_id: int,
    *,
    limit: int,
    cursor: str | None,
) -> DepartmentMemberPage:
    department, _ = await _department(session, _department_readers(principal), department_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.department_member_page(
            session, department.id, after=after, limit=n
        ),
        key=lambda row: row.user_id,
    )
    return DepartmentMemberPage(
        items=[DepartmentMemberRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def department_in_town(session: AsyncSession, department_id: int, town_id: int) -> bool:
    """Whether the department belongs to the town (other domains' references)."""
    found = await repository.get_department(
        session, department_id, (Scope.of([("town", town_id)]),)
    )
    return found is not None
