"""Use cases of activities (志愿服务活动): publish, read, change, cancel.

Who sees an activity: staff by their subtree (``participation.read``,
``activities.manage``), participants (``participation.join``) by their reach — their
community and its town. Who changes it: ``activities.manage`` over its node. Sign-ups
are in ``signups.py``, check-in, check-out and the close in ``attendance.py``.
Services flush, never commit; every write records one audit event.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ACTIVITIES_MANAGE, PARTICIPATION_READ
from app.authz.principal import Principal
from app.authz.reach import reach
from app.authz.scope import Reach
from app.db.base import ANCESTOR_COLUMNS
from app.hierarchy.models import OrgUnit
from app.kit.etag import check_version
from app.kit.pagination import Keyset, paginate
from app.kit.types import DateTime, Id
from app.orders.config import departments, teams
from app.participation import repository, signups
from app.participation.errors import (
    ActivityNodeNotFound,
    ActivityNotFound,
    AudienceTeamNotFound,
    CapacityBelowConfirmed,
    InvalidTime,
    InvalidTransition,
    NodeArchived,
    OrganiserNotFound,
    UnknownKind,
)
from app.participation.models import Activity
from app.participation.rules import ActivityStatus
from app.participation.schemas import (
    ActivityCreate,
    ActivityPage,
    ActivityQuery,
    ActivityRead,
    ActivityUpdate,
    OrganiserKind,
)
from app.participation.shared import about, participant_reach
from app.participation.units import service as units_service
from app.points import service as points_service

_ORGANISER_COLUMNS = {
    OrganiserKind.team: "organiser_team_id",
    OrganiserKind.work_unit: "organiser_work_unit_id",
    OrganiserKind.department: "organiser_department_id",
}


def present(activity: Activity, waiting: int, mine: str | None) -> ActivityRead:
    kind = OrganiserKind(activity.organiser_kind)
    column = _ORGANISER_COLUMNS.get(kind)
    columns = {
        f: getattr(activity, f)
        for f in ActivityRead.model_fields
        if f not in ("waiting_count", "my_signup_status", "organiser_id")
    }
    return ActivityRead(
        **columns,
        waiting_count=waiting,
        my_signup_status=mine,
        organiser_id=getattr(activity, column) if column else None,
    )


def readable(principal: Principal, participant: Reach) -> ColumnElement[bool]:
    return or_(
        principal.scope(PARTICIPATION_READ).clause(Activity),
        principal.scope(ACTIVITIES_MANAGE).clause(Activity),
        participant.clause(Activity),
    )


def managed(principal: Principal) -> ColumnElement[bool]:
    return principal.scope(ACTIVITIES_MANAGE).clause(Activity)


async def _organiser(
    session: AsyncSession, principal: Principal, data: ActivityCreate, node: OrgUnit
) -> dict[str, Any]:
    """The organiser's column, if the caller's organising reach (their community and
    town) sees the team or unit, or the department belongs to the node's town."""
    if data.organiser_kind is OrganiserKind.org_unit:
        return {}
    assert data.organiser_id is not None
    around = await reach(session, principal, ACTIVITIES_MANAGE)
    if data.organiser_kind is OrganiserKind.team:
        found = await teams.team_in(session, around, data.organiser_id) is not None
    elif data.organiser_kind is OrganiserKind.work_unit:
        found = await units_service.unit_in(session, around, data.organiser_id) is not None
    else:
        found = await departments.department_in_town(session, data.organiser_id, node.town_id)
    if not found:
        raise OrganiserNotFound()
    return {_ORGANISER_COLUMNS[data.organiser_kind]: data.organiser_id}


async def create_activity(
    session: AsyncSession, principal: Principal, data: ActivityCreate
) -> ActivityRead:
    node = await repository.get_node(session, data.org_unit_id, principal.scope(ACTIVITIES_MANAGE))
    if node is None:
        raise ActivityNodeNotFound()
    if node.is_archived:
        raise NodeArchived()
    if await points_service.activity_points(session, node.town_id, data.kind) is None:
        raise UnknownKind()
    organiser = await _organiser(session, principal, data, node)
    if data.audience_team_id is not None:
        around = await reach(session, principal, ACTIVITIES_MANAGE)
        if await teams.team_in(session, around, data.audience_team_id) is None:
            raise AudienceTeamNotFound()
    activity = Activity(
        **data.model_dump(exclude={"organiser_id"}),
        **organiser,
        status=ActivityStatus.open.value,
        confirmed_count=0,
        created_by_user_id=principal.user_id,
        **{c: getattr(node, c) for c in ANCESTOR_COLUMNS},
    )
    await repository.save(session, activity)
    summary = f"在「{node.name}」发布活动「{activity.title}」"
    await audit_service.record(
        session, principal, "activity.create", summary=summary, **about(activity)
    )
    return present(activity, 0, None)


async def find(
    session: AsyncSession, principal: Principal, activity_id: int
) -> tuple[Activity, int, str | None]:
    where = readable(principal, await participant_reach(session, principal))
    found = await repository.get_activity(
        session, activity_id, where, person_id=principal.person_id
    )
    if found is None:
        raise ActivityNotFound()
    return found


async def get_activity(
    session: AsyncSession, principal: Principal, activity_id: int
) -> ActivityRead:
    return present(*await find(session, principal, activity_id))


BY_START: Keyset[tuple[datetime, int]] = Keyset(DateTime, Id)
"""Activities newest start first: the cursor is the (starts_at, id) of the last served."""


async def list_activities(
    session: AsyncSession, principal: Principal, query: ActivityQuery
) -> ActivityPage:
    where = readable(principal, await participant_reach(session, principal))
    filters = query.model_dump(exclude={"limit", "cursor"})
    items, cursor = await paginate(
        BY_START,
        query.cursor,
        query.limit,
        lambda before, n: repository.activity_page(
            session, where, filters, person_id=principal.person_id, before=before, limit=n
        ),
        key=lambda row: (row[0].starts_at, row[0].id),
    )
    return ActivityPage(items=[present(*row) for row in items], next_cursor=cursor)


async def lock_managed(session: AsyncSession, principal: Principal, activity_id: int) -> Activity:
    activity = await repository.lock_activity(session, activity_id, managed(principal))
    if activity is None:
        raise ActivityNotFound()
    return activity


async def update_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    data: ActivityUpdate,
    if_match: str | None,
) -> ActivityRead:
    activity = await lock_managed(session, principal, activity_id)
    check_version(if_match, activity.version)
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    changes = data.model_dump(exclude_unset=True)
    if changes.get("ends_at", activity.ends_at) <= changes.get("starts_at", activity.starts_at):
        raise InvalidTime()
    capacity = changes.get("capacity", activity.capacity)
    if capacity is not None and capacity < activity.confirmed_count:
        raise CapacityBelowConfirmed()
    for field, value in changes.items():
        setattr(activity, field, value)
    activity.version += 1
    await repository.save(session, activity)
    promoted = await signups.promote_waiting(session, activity)
    summary = f"修改活动「{activity.title}」：{', '.join(sorted(changes))}；候补转正 {promoted} 人"
    await audit_service.record(
        session, principal, "activity.update", summary=summary, **about(activity)
    )
    return present(activity, await repository.waiting_count(session, activity.id), None)


async def cancel_activity(
    session: AsyncSession, principal: Principal, activity_id: int, reason: str
) -> ActivityRead:
    """取消: an open activity only; sign-ups stay as they were, nobody earns anything."""
    activity = await lock_managed(session, principal, activity_id)
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    activity.status = ActivityStatus.cancelled.value
    activity.cancel_reason = reason
    activity.version += 1
    await repository.save(session, activity)
    summary = f"取消活动「{activity.title}」"
    await audit_service.record(
        session, principal, "activity.cancel", summary=summary, **about(activity)
    )
    return present(activity, await repository.waiting_count(session, activity.id), None)
