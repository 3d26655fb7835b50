"""Who may see or act on which orders, as SQL predicates over ``service_order``.

Scoped parts come from ``principal.scope(...).clause`` (the one scoping choke
point); the rest follows the order's people: the resident it is for, the member,
team or department holding it. An order none of these reach is not found (404).
"""

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from app.authz.permissions import (
    ORDERS_DEPARTMENT,
    ORDERS_DISPATCH,
    ORDERS_READ,
    ORDERS_SUBMIT,
    ORDERS_WORK,
)
from app.authz.principal import Principal
from app.orders.models import (
    DepartmentArrival,
    DepartmentMember,
    ServiceOrder,
    VolunteerTeamMember,
)
from app.orders.workflow import OrderStatus


def my_departments(principal: Principal) -> Select[int] | None:
    """Departments the caller acts for (department_member), as an id subquery."""
    if principal.user_id is None or not principal.has(ORDERS_DEPARTMENT):
        return None
    return select(DepartmentMember.department_id).where(
        DepartmentMember.user_id == principal.user_id
    )


def owned(principal: Principal) -> ColumnElement[bool]:
    """The resident's own orders (居民: orders filed for them)."""
    if principal.person_id is None or not principal.has(ORDERS_SUBMIT):
        return false()
    return ServiceOrder.resident_person_id == principal.person_id


def held(principal: Principal) -> ColumnElement[bool]:
    """Orders the caller holds: as the named member, a member of the team, or staff of
    the department it is dispatched to."""
    parts: list[ColumnElement[bool]] = []
    if principal.person_id is not None and principal.has(ORDERS_WORK):
        teams = select(VolunteerTeamMember.team_id).where(
            VolunteerTeamMember.person_id == principal.person_id
        )
        parts.append(ServiceOrder.assignee_person_id == principal.person_id)
        parts.append(
            and_(ServiceOrder.assignee_kind == "team", ServiceOrder.assignee_team_id.in_(teams))
        )
    departments = my_departments(principal)
    if departments is not None:
        parts.append(
            and_(
                ServiceOrder.assignee_kind == "department",
                ServiceOrder.assignee_department_id.in_(departments),
            )
        )
    return or_(*parts) if parts else false()


def dispatchable(principal: Principal) -> ColumnElement[bool]:
    return principal.scope(ORDERS_DISPATCH).clause(ServiceOrder)


def claimable_area(principal: Principal) -> ColumnElement[bool]:
    """Where the caller's claim pools are (抢单: ``orders.work`` scope)."""
    return principal.scope(ORDERS_WORK).clause(ServiceOrder)


def readable(principal: Principal) -> ColumnElement[bool]:
    parts = [principal.scope(ORDERS_READ).clause(ServiceOrder), owned(principal), held(principal)]
    if principal.person_id is not None and principal.has(ORDERS_WORK):
        parts.append(
            and_(ServiceOrder.status == OrderStatus.pooled.value, claimable_area(principal))
        )
    departments = my_departments(principal)
    if departments is not None:
        whistled = select(DepartmentArrival.order_id).where(
            DepartmentArrival.department_id.in_(departments)
        )
        parts.append(ServiceOrder.id.in_(whistled))
    return or_(*parts)
