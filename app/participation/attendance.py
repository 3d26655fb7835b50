"""Check-in and check-out (签到/签退), the close that pays points, and corrections.

- The organiser's phone shows a rotating, single-use code (``app.kit.checkin``):
  subject ``activity:<id>``, action ``check_in`` or ``check_out``, a 30-second step with
  one step of grace, and the activity's use counter. A participant scanning it checks in
  or out and spends it (the phone, polling every few seconds, shows the next); an old
  photo is stale, another activity's code invalid, a spent one — replayed, forwarded —
  used. The organiser records people without phones by hand.
- Checking in takes a place if the person held none (a walk-in, someone waiting) and
  one is left. Service minutes run from check-in to check-out, capped by the
  activity's length (``rules.service_minutes``); without a check-out, none.
- Closing (结束) awards every attendant (checked in, not voided) the ``activity_type``
  rule's points once (``activity:<id>:<person>``), under the caps, dated on the day
  served. Voiding an attendance reverses its award (冲正).
"""

from datetime import datetime
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import MEMBERS_READ, PEOPLE_READ
from app.authz.principal import Principal
from app.kit.checkin import CheckinCodes, Verdict
from app.kit.etag import check_version
from app.participation import repository, rules
from app.participation.errors import (
    ActivityFull,
    ActivityNotFound,
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    AttendanceVoided,
    InvalidCode,
    InvalidTime,
    InvalidTransition,
    NotCheckedIn,
    NotStarted,
    OutsideCheckinWindow,
    PersonNotFound,
    StaleCode,
    UsedCode,
)
from app.participation.models import Activity, ActivitySignup
from app.participation.rules import ActivityStatus, SignupStatus
from app.participation.schemas import (
    ActivityClosed,
    AttendanceIn,
    CheckinCode,
    CodeAction,
    SignupRead,
)
from app.participation.service import lock_managed, managed, present
from app.participation.shared import about, own_person, utcnow
from app.participation.signups import check_eligible, lock_for_participant, read_signup
from app.points import service as points_service

CODE_PURPOSE = "activity-checkin"
CODE_STEP_SECONDS = 30
REFRESH_SECONDS = 3
"""The organiser's phone polls this often: a scanned code is replaced at once."""


@lru_cache(maxsize=4)
def checkin_codes(secret: str) -> CheckinCodes:
    """The activities' check-in codes signed with the deployment's secret."""
    return CheckinCodes(secret, purpose=CODE_PURPOSE, step_seconds=CODE_STEP_SECONDS, leeway=1)


def code_subject(activity_id: int) -> str:
    return f"activity:{activity_id}"


async def checkin_code(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    action: CodeAction,
    codes: CheckinCodes,
    *,
    now: datetime | None = None,
) -> CheckinCode:
    """The code to show now, for the organiser's phone (``activities.manage``)."""
    found = await repository.get_activity(session, activity_id, managed(principal))
    if found is None:
        raise ActivityNotFound()
    activity = found[0]
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    issued = codes.issue(
        code_subject(activity.id), action.value, now or utcnow(), use=_uses(activity, action)
    )
    return CheckinCode(
        activity_id=activity.id,
        action=action,
        token=issued.token,
        payload=f"redgrid:activity:{activity.id}:{action.value}:{issued.token}",
        expires_at=issued.expires_at,
        refresh_after_seconds=min(issued.refresh_after_seconds, REFRESH_SECONDS),
    )


def _uses(activity: Activity, action: CodeAction) -> int:
    return activity.check_in_uses if action is CodeAction.check_in else activity.check_out_uses


async def scan(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    action: CodeAction,
    token: str,
    codes: CheckinCodes,
    *,
    now: datetime | None = None,
) -> SignupRead:
    """扫码签到/签退 by the participant themself, with the live code."""
    person_id = own_person(principal)
    now = now or utcnow()
    activity = await lock_for_participant(session, principal, activity_id)
    uses = _uses(activity, action)
    verdict = codes.verify(token, code_subject(activity.id), action.value, now, use=uses)
    if verdict is Verdict.invalid:
        raise InvalidCode()
    if verdict is Verdict.stale:
        raise StaleCode()
    if verdict is Verdict.used:
        raise UsedCode()
    recorded = await _record(session, principal, activity, person_id, action, now, "qr")
    # The code is spent: the organiser's phone shows the next one on its next poll.
    if action is CodeAction.check_in:
        activity.check_in_uses = uses + 1
    else:
        activity.check_out_uses = uses + 1
    await repository.save(session, activity)
    return recorded


async def record_by_organiser(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    data: AttendanceIn,
    *,
    now: datetime | None = None,
) -> SignupRead:
    """代签到/代签退: someone signed up, or anyone the organiser sees (people.read,
    members.read); ``at`` records a past moment, never a future one."""
    now = now or utcnow()
    at = data.at or now
    if at > now:
        raise InvalidTime()
    activity = await lock_managed(session, principal, activity_id)
    if await repository.get_signup(session, activity.id, data.person_id) is None:
        seen = await repository.person_profile(
            session, data.person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
        )
        if seen is None:
            raise PersonNotFound()
    return await _record(session, principal, activity, data.person_id, data.action, at, "organiser")


async def _record(
    session: AsyncSession,
    principal: Principal,
    activity: Activity,
    person_id: int,
    action: CodeAction,
    at: datetime,
    method: str,
) -> SignupRead:
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    signup = await repository.get_signup(session, activity.id, person_id, lock=True)
    if action is CodeAction.check_in:
        signup = await _check_in(session, principal, activity, person_id, signup, at, method)
    else:
        _check_out(activity, signup, at, method)
        assert signup is not None
        await repository.save(session, signup)
    verb = "签到" if action is CodeAction.check_in else "签退"
    summary = f"人员 #{person_id} 在活动「{activity.title}」{verb}（{method}）"
    action_name = f"activity.{action.value}"
    await audit_service.record(session, principal, action_name, summary=summary, **about(activity))
    return await read_signup(session, signup)


async def _check_in(
    session: AsyncSession,
    principal: Principal,
    activity: Activity,
    person_id: int,
    signup: ActivitySignup | None,
    at: datetime,
    method: str,
) -> ActivitySignup:
    if not rules.check_in_open(at, activity.starts_at, activity.ends_at):
        raise OutsideCheckinWindow()
    if signup is not None and signup.voided_at is not None:
        raise AttendanceVoided()
    if signup is not None and signup.checked_in_at is not None:
        raise AlreadyCheckedIn()
    if signup is None or signup.status != SignupStatus.confirmed:
        # A walk-in, someone waiting or who cancelled: a place if one is left.
        await check_eligible(session, activity, person_id)
        if not await repository.take_place(session, activity.id):
            raise ActivityFull()
        if signup is None:
            signup = ActivitySignup(
                activity_id=activity.id, person_id=person_id, signed_up_by_user_id=None
            )
        signup.status, signup.cancelled_at = SignupStatus.confirmed.value, None
    signup.checked_in_at, signup.check_in_method = at, method
    await repository.save(session, signup)
    return signup


def _check_out(
    activity: Activity, signup: ActivitySignup | None, at: datetime, method: str
) -> None:
    if signup is None or signup.checked_in_at is None:
        raise NotCheckedIn()
    if signup.voided_at is not None:
        raise AttendanceVoided()
    if signup.checked_out_at is not None:
        raise AlreadyCheckedOut()
    if not rules.check_out_open(at, signup.checked_in_at, activity.starts_at, activity.ends_at):
        raise OutsideCheckinWindow()
    signup.checked_out_at, signup.check_out_method = at, method
    signup.service_minutes = rules.service_minutes(
        signup.checked_in_at, at, activity.starts_at, activity.ends_at
    )


async def close_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    if_match: str | None,
    *,
    now: datetime | None = None,
) -> ActivityClosed:
    """结束活动: once started; every attendant earns the kind's points once."""
    now = now or utcnow()
    activity = await lock_managed(session, principal, activity_id)
    if if_match is not None:
        check_version(if_match, activity.version)
    if activity.status != ActivityStatus.open:
        raise InvalidTransition()
    if now < activity.starts_at:
        raise NotStarted()
    served_on = activity.ends_at if activity.ends_at < now else None
    attendants = await repository.attendants(session, activity.id)
    for signup in attendants:
        earned = await points_service.award_for_activity(
            session,
            person_id=signup.person_id,
            activity_type=activity.kind,
            activity_ref=str(activity.id),
            reason=f"参加活动「{activity.title[:60]}」",
            data={"activity_id": activity.id},
            actor_user_id=principal.user_id,
            occurred_at=served_on,
        )
        signup.award_transaction_id, signup.awarded_points = earned.transaction_id, earned.points
    activity.status, activity.closed_at = ActivityStatus.closed.value, now
    activity.version += 1
    await repository.save(session, activity)
    closed = ActivityClosed(
        activity=present(activity, await repository.waiting_count(session, activity.id), None),
        attendants=len(attendants),
        service_minutes=sum(s.service_minutes or 0 for s in attendants),
        points_awarded=sum(s.awarded_points or 0 for s in attendants),
    )
    summary = (
        f"结束活动「{activity.title}」：{closed.attendants} 人参加，"
        f"{closed.service_minutes} 分钟，{closed.points_awarded} 积分"
    )
    await audit_service.record(
        session, principal, "activity.close", summary=summary, **about(activity)
    )
    return closed


async def void_attendance(
    session: AsyncSession, principal: Principal, activity_id: int, person_id: int, reason: str
) -> SignupRead:
    """作废一条签到: no hours, and its award reversed (冲正) if closing paid one; 409
    when the member has already spent the points."""
    activity = await lock_managed(session, principal, activity_id)
    signup = await repository.get_signup(session, activity.id, person_id, lock=True)
    if signup is None or signup.checked_in_at is None:
        raise NotCheckedIn()
    if signup.voided_at is not None:
        raise AttendanceVoided()
    if signup.award_transaction_id is not None:
        await points_service.reverse_award(
            session,
            signup.award_transaction_id,
            reason=f"活动签到作废：{reason}"[:500],
            actor_user_id=principal.user_id,
        )
    signup.voided_at, signup.void_reason = utcnow(), reason
    await repository.save(session, signup)
    summary = f"作废人员 #{person_id} 在活动「{activity.title}」的签到"
    await audit_service.record(
        session, principal, "activity.void_attendance", summary=summary, **about(activity)
    )
    return await read_signup(session, signup)
