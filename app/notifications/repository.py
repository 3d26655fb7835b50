"""SQL of notifications: the rules, who is who behind an event, and the inbox."""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import RoleGrant, RolePermission
from app.notifications.models import Notification, NotificationRule
from app.orders.models import DepartmentMember, VolunteerTeamMember
from app.users.models import UserAccount

# ---------------------------------------------------------------- rules and recipients


async def active_rules(
    session: AsyncSession, event_types: Collection[str]
) -> Sequence[NotificationRule]:
    rows = await session.scalars(
        select(NotificationRule)
        .where(NotificationRule.event_type.in_(sorted(event_types)), NotificationRule.is_active)
        .order_by(NotificationRule.id)
    )
    return rows.all()


def _active(query: Any) -> Any:
    return query.where(UserAccount.is_active.is_(True))


async def users_of_people(session: AsyncSession, person_ids: Collection[int]) -> list[int]:
    if not person_ids:
        return []
    rows = await session.scalars(
        _active(select(UserAccount.id).where(UserAccount.person_id.in_(sorted(person_ids))))
    )
    return list(rows)


async def users_of_teams(session: AsyncSession, team_ids: Collection[int]) -> list[int]:
    if not team_ids:
        return []
    rows = await session.scalars(
        _active(
            select(UserAccount.id)
            .join(VolunteerTeamMember, VolunteerTeamMember.person_id == UserAccount.person_id)
            .where(VolunteerTeamMember.team_id.in_(sorted(team_ids)))
        )
    )
    return list(rows)


async def users_of_departments(session: AsyncSession, department_ids: Collection[int]) -> list[int]:
    if not department_ids:
        return []
    rows = await session.scalars(
        _active(
            select(UserAccount.id)
            .join(DepartmentMember, DepartmentMember.user_id == UserAccount.id)
            .where(DepartmentMember.department_id.in_(sorted(department_ids)))
        )
    )
    return list(rows)


async def users_granted(
    session: AsyncSession, unit_ids: Collection[int], permission: str
) -> list[int]:
    """Accounts holding ``permission`` through a grant at one of ``unit_ids`` (the
    caller passes a place's ancestors to find whose scope covers it)."""
    if not unit_ids:
        return []
    rows = await session.scalars(
        _active(
            select(UserAccount.id)
            .distinct()
            .join(RoleGrant, RoleGrant.user_id == UserAccount.id)
            .join(RolePermission, RolePermission.role == RoleGrant.role)
            .where(
                RoleGrant.org_unit_id.in_(sorted(unit_ids)),
                RolePermission.permission == permission,
            )
        )
    )
    return list(rows)


async def active_user(session: AsyncSession, user_id: int) -> int | None:
    found: int | None = await session.scalar(
        _active(select(UserAccount.id).where(UserAccount.id == user_id))
    )
    return found


async def add(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Inserts the notifications not already there (one per event and account)."""
    if not rows:
        return 0
    inserted = await session.scalars(
        insert(Notification)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
        .returning(Notification.id)
    )
    return len(inserted.all())


# ---------------------------------------------------------------- the inbox


async def page(
    session: AsyncSession, user_id: int, *, unread: bool, before_id: int | None, limit: int
) -> Sequence[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = await session.scalars(query.order_by(Notification.id.desc()).limit(limit))
    return rows.all()


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, user_id: int, notification_id: int
) -> Notification | None:
    """Marks it read (once: a second call keeps the first time) and returns it."""
    await session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=func.now())
        .execution_options(synchronize_session=False)
    )
    return await session.scalar(
        select(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def mark_all_read(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=func.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
