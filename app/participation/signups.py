"""Sign-up (报名) and cancellation with a waiting list (候补).

Every sign-up, cancellation, promotion and capacity change of an activity holds the
activity's row lock, so they run one after the other; the place itself is taken by a
guarded ``UPDATE … WHERE confirmed_count < capacity`` (backed by a CHECK), so contested
last places are never oversubscribed: 20 sign-ups racing for 5 places leave exactly 5
confirmed and 15 waiting, in arrival order. When a place frees, the first waiting is
promoted.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ACTIVITIES_MANAGE, PARTICIPATION_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.kit.pagination import BY_ID, paginate
from app.orders.config import teams
from app.participation import repository
from app.participation.errors import (
    ActivityNotFound,
    AlreadyCheckedIn,
    AlreadySignedUp,
    InvalidTransition,
    NotEligible,
    NotSignedUp,
    PersonNotFound,
    SignupClosed,
)
from app.participation.models import Activity, ActivitySignup
from app.participation.rules import ActivityStatus, Audience, SignupStatus, eligible
from app.participation.schemas import SignupPage, SignupQuery, SignupRead
from app.participation.shared import (
    about,
    own_person,
    participant_reach,
    utcnow,
)


def present_signup(row: Any) -> SignupRead:
    signup, name, position = row
    columns = {
        f: getattr(signup, f)
        for f in SignupRead.model_fields
        if f not in ("person_name", "waiting_position")
    }
    return SignupRead(**columns, person_name=name, waiting_position=position)


async def read_signup(session: AsyncSession, signup: ActivitySignup) -> SignupRead:
    return present_signup(await repository.signup_row(session, signup.id))


async def check_eligible(session: AsyncSession, activity: Activity, person_id: int) -> None:
    """The activity's audience admits the person (党员 only, one team's members …)."""
    everywhere = Scope.everything()
    profile = await repository.person_profile(session, person_id, everywhere, everywhere)
    if profile is None:
        raise PersonNotFound()
    audience = Audience(activity.audience)
    in_team = audience is Audience.team and await teams.is_member(
        session, activity.audience_team_id or 0, person_id
    )
    if not eligible(audience, is_party_member=profile[1], in_team=in_team):
        raise NotEligible()


async def lock_for_participant(
    session: AsyncSession, principal: Principal, activity_id: int
) -> Activity:
    participant = await participant_reach(session, principal)
    activity = await repository.lock_activity(session, activity_id, participant.clause(Activity))
    if activity is None:
        raise ActivityNotFound()
    return activity


async def sign_up(
    session: AsyncSession, principal: Principal, activity_id: int, *, now: datetime | None = None
) -> SignupRead:
    """报名: a place if one is left, else the waiting list; until the activity starts."""
    person_id = own_person(principal)
    now = now or utcnow()
    activity = await lock_for_participant(session, principal, activity_id)
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    if now >= activity.starts_at:
        raise SignupClosed()
    await check_eligible(session, activity, person_id)
    signup = await repository.get_signup(session, activity.id, person_id)
    if signup is not None and signup.status != SignupStatus.cancelled:
        raise AlreadySignedUp()
    if signup is not None:
        # Signing up again queues anew: the waiting list runs in row (id) order.
        await repository.delete(session, signup)
    taken = await repository.take_place(session, activity.id)
    status = (SignupStatus.confirmed if taken else SignupStatus.waiting).value
    signup = ActivitySignup(
        activity_id=activity.id,
        person_id=person_id,
        status=status,
        signed_up_by_user_id=principal.user_id,
    )
    await repository.save(session, signup)
    summary = f"人员 #{person_id} 报名活动「{activity.title}」（{status}）"
    await audit_service.record(
        session, principal, "activity.sign_up", summary=summary, **about(activity)
    )
    return await read_signup(session, signup)


async def cancel_sign_up(
    session: AsyncSession, principal: Principal, activity_id: int, *, now: datetime | None = None
) -> SignupRead:
    """取消报名 before checking in; a freed place goes to the first waiting."""
    person_id = own_person(principal)
    activity = await lock_for_participant(session, principal, activity_id)
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    signup = await repository.get_signup(session, activity.id, person_id, lock=True)
    if signup is None or signup.status == SignupStatus.cancelled:
        raise NotSignedUp()
    if signup.checked_in_at is not None:
        raise AlreadyCheckedIn()
    held_a_place = signup.status == SignupStatus.confirmed
    signup.status, signup.cancelled_at = SignupStatus.cancelled.value, now or utcnow()
    await repository.save(session, signup)
    promoted = 0
    if held_a_place:
        await repository.release_place(session, activity.id)
        promoted = await promote_waiting(session, activity)
    summary = f"人员 #{person_id} 取消报名活动「{activity.title}」；候补转正 {promoted} 人"
    await audit_service.record(
        session, principal, "activity.cancel_sign_up", summary=summary, **about(activity)
    )
    return await read_signup(session, signup)


async def promote_waiting(session: AsyncSession, activity: Activity) -> int:
    """Fill free places from the waiting list in sign-up order (the caller holds the
    activity's lock); returns how many were promoted."""
    promoted = 0
    while (waiting := await repository.first_waiting(session, activity.id)) is not None:
        if not await repository.take_place(session, activity.id):
            break
        waiting.status, waiting.promoted_at = SignupStatus.confirmed.value, utcnow()
        await repository.save(session, waiting)
        promoted += 1
    await repository.refresh(session, activity)
    return promoted


async def list_signups(
    session: AsyncSession, principal: Principal, activity_id: int, query: SignupQuery
) -> SignupPage:
    """Staff over the activity: who signed up, waits, came and left (报名与签到名单)."""
    where = or_(
        principal.scope(PARTICIPATION_READ).clause(Activity),
        principal.scope(ACTIVITIES_MANAGE).clause(Activity),
    )
    if await repository.get_activity(session, activity_id, where) is None:
        raise ActivityNotFound()
    status = query.status.value if query.status else None
    items, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.signup_page(session, activity_id, status, after=after, limit=n),
        key=lambda row: row[0].id,
    )
    return SignupPage(items=[present_signup(r) for r in items], next_cursor=cursor)
