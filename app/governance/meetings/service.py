"""Use cases of meetings: scheduling with the bodies meeting and the agenda,
attendance (签到), minutes, decisions that open a service order (through the orders
domain) or a 五议 matter (keeping the link), and the quarterly joint-meeting report.
Services flush, never commit; every write records one audit event.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE, MEMBERS_READ, PEOPLE_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import checkin
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.bodies import repository as body_repository
from app.governance.bodies.rules import BodyKind
from app.governance.deliberation import service as deliberation
from app.governance.errors import PersonNotFound, PersonRequired
from app.governance.meetings import repository
from app.governance.meetings.errors import (
    AlreadyCheckedIn,
    HeldInFuture,
    MatterNeedsCompound,
    MeetingBodyNotFound,
    MeetingClosed,
    MeetingNotFound,
    MeetingNotHeld,
    MeetingStationNotFound,
    OutsideMeetingWindow,
)
from app.governance.meetings.models import Meeting, MeetingBody, MeetingDecision
from app.governance.meetings.schemas import (
    AttendanceIn,
    AttendancePage,
    AttendanceRead,
    CancelIn,
    CompoundJointMeetings,
    DecisionIn,
    DecisionRead,
    JointMeetingReport,
    MeetingBodyRead,
    MeetingCreate,
    MeetingKind,
    MeetingPage,
    MeetingRead,
    MeetingStatus,
    MeetingSummary,
    MinutesIn,
)
from app.governance.schemas import CheckinCodeRead, CheckinScan
from app.governance.stations import repository as station_repository
from app.kit.calendar import BUSINESS_TZ
from app.kit.checkin import CheckinCodes
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.orders.schemas import Channel, OrderCreate
from app.orders.steps import submit as order_submit
from app.people.schemas import business_today

SELF_CHECK_IN_BEFORE = timedelta(hours=1)
SELF_CHECK_IN_AFTER = timedelta(hours=6)


async def present(session: AsyncSession, meeting: Meeting) -> MeetingRead:
    bodies = await repository.bodies_of(session, meeting.id)
    decisions = await repository.decisions_of(session, meeting.id)
    skip = {"kind", "status", "bodies", "attendance", "decisions"}
    columns = {f: getattr(meeting, f) for f in MeetingRead.model_fields if f not in skip}
    return MeetingRead(
        **columns,
        kind=MeetingKind(meeting.kind),
        status=MeetingStatus(meeting.status),
        bodies=[MeetingBodyRead(id=b.id, name=b.name, kind=BodyKind(b.kind)) for b in bodies],
        attendance=await repository.count_attendance(session, meeting.id),
        decisions=[DecisionRead.model_validate(d) for d in decisions],
    )


async def _find(
    session: AsyncSession, scope: Scope, meeting_id: int, *, lock: bool = False
) -> Meeting:
    meeting = await repository.get_meeting(session, meeting_id, scope, lock=lock)
    if meeting is None:
        raise MeetingNotFound()
    return meeting


async def schedule(session: AsyncSession, principal: Principal, data: MeetingCreate) -> MeetingRead:
    manage = principal.scope(GOVERNANCE_MANAGE)
    unit = await shared.unit(session, manage, data.org_unit_id)
    readable = await shared.reader_scope(session, principal)
    body_ids = sorted(set(data.body_ids))
    for body_id in body_ids:
        if await body_repository.get_body(session, body_id, readable) is None:
            raise MeetingBodyNotFound()
    if (
        data.station_id is not None
        and await station_repository.get_station(session, data.station_id, manage) is None
    ):
        raise MeetingStationNotFound()
    meeting = Meeting(
        kind=data.kind.value,
        title=data.title,
        org_unit_id=unit.id,
        station_id=data.station_id,
        scheduled_at=data.scheduled_at,
        agenda=data.agenda,
        status=MeetingStatus.planned.value,
        version=1,
        **shared.place_of(unit),
    )
    await repository.add(session, meeting)
    await repository.add(
        session, *(MeetingBody(meeting_id=meeting.id, body_id=b) for b in body_ids)
    )
    await repository.refresh(session, meeting)
    await _record(session, principal, "meeting.create", meeting, f"安排会议「{meeting.title}」")
    return await present(session, meeting)


async def get_meeting(session: AsyncSession, principal: Principal, meeting_id: int) -> MeetingRead:
    scope = await shared.reader_scope(session, principal)
    return await present(session, await _find(session, scope, meeting_id))


async def list_meetings(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    kind: MeetingKind | None,
    status: MeetingStatus | None,
    limit: int,
    cursor: str | None,
) -> MeetingPage:
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(Meeting)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(Meeting))
    if kind is not None:
        where.append(Meeting.kind == kind.value)
    if status is not None:
        where.append(Meeting.status == status.value)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.meeting_page(session, where, before=after, limit=n),
        lambda m: m.id,
    )
    return MeetingPage(
        items=[MeetingSummary.model_validate(m) for m in items], next_cursor=next_cursor
    )


async def record_minutes(
    session: AsyncSession,
    principal: Principal,
    meeting_id: int,
    data: MinutesIn,
    if_match: str | None,
) -> MeetingRead:
    """The meeting was held: when, and its minutes (会议纪要). Once."""
    meeting = await _find(session, principal.scope(GOVERNANCE_MANAGE), meeting_id, lock=True)
    check_version(if_match, meeting.version)
    if meeting.status != MeetingStatus.planned:
        raise MeetingClosed()
    if data.held_at > datetime.now(UTC):
        raise HeldInFuture()
    meeting.status, meeting.held_at = MeetingStatus.held.value, data.held_at
    meeting.minutes, meeting.minutes_by_user_id = data.minutes, principal.user_id
    meeting.version += 1
    await repository.refresh(session, meeting)
    await _record(
        session, principal, "meeting.minutes", meeting, f"记录会议「{meeting.title}」纪要"
    )
    return await present(session, meeting)


async def cancel(
    session: AsyncSession,
    principal: Principal,
    meeting_id: int,
    data: CancelIn,
    if_match: str | None,
) -> MeetingRead:
    meeting = await _find(session, principal.scope(GOVERNANCE_MANAGE), meeting_id, lock=True)
    check_version(if_match, meeting.version)
    if meeting.status != MeetingStatus.planned:
        raise MeetingClosed()
    meeting.status = MeetingStatus.cancelled.value
    meeting.version += 1
    await repository.refresh(session, meeting)
    await _record(
        session, principal, "meeting.cancel", meeting, f"取消会议「{meeting.title}」：{data.reason}"
    )
    return await present(session, meeting)


# ---------------------------------------------------------------- attendance


async def record_attendance(
    session: AsyncSession, principal: Principal, meeting_id: int, data: AttendanceIn
) -> AttendanceRead:
    """Staff check a person in (who they see where they live or by branch)."""
    meeting = await _find(session, principal.scope(GOVERNANCE_MANAGE), meeting_id)
    if meeting.status == MeetingStatus.cancelled:
        raise MeetingClosed()
    found = await shared_repository.member_person(
        session, data.person_id, principal.scope(PEOPLE_READ), principal.scope(MEMBERS_READ)
    )
    if found is None:
        raise PersonNotFound()
    return await _check_in(session, principal, meeting, found[0].id, "staff")


def meeting_subject(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def _check_in_open(meeting: Meeting, now: datetime) -> bool:
    opens, closes = (
        meeting.scheduled_at - SELF_CHECK_IN_BEFORE,
        meeting.scheduled_at + SELF_CHECK_IN_AFTER,
    )
    return meeting.status != MeetingStatus.cancelled and opens <= now <= closes


async def checkin_code(
    session: AsyncSession, principal: Principal, meeting_id: int, codes: CheckinCodes
) -> CheckinCodeRead:
    """The live code shown at the meeting (those who manage it), while check-in is open."""
    meeting = await _find(session, principal.scope(GOVERNANCE_MANAGE), meeting_id)
    now = datetime.now(UTC)
    if not _check_in_open(meeting, now):
        raise OutsideMeetingWindow()
    return checkin.issue(codes, meeting_subject(meeting.id), meeting.check_in_uses, now)


async def check_in(
    session: AsyncSession,
    principal: Principal,
    meeting_id: int,
    scan: CheckinScan | None = None,
    codes: CheckinCodes | None = None,
) -> AttendanceRead:
    """签到 by the person themself, from an hour before the meeting to six hours after
    its start: with the live code shown at the meeting (``qr``) or without (``self``)."""
    if principal.person_id is None:
        raise PersonRequired()
    scope = await shared.participation_scope(session, principal)
    meeting = await _find(session, scope, meeting_id, lock=scan is not None)
    now = datetime.now(UTC)
    if not _check_in_open(meeting, now):
        raise OutsideMeetingWindow()
    if scan is None or codes is None:
        return await _check_in(session, principal, meeting, principal.person_id, "self")
    meeting.check_in_uses = checkin.spend(
        codes, scan.token, meeting_subject(meeting.id), meeting.check_in_uses, now
    )
    return await _check_in(session, principal, meeting, principal.person_id, "qr")


async def _check_in(
    session: AsyncSession, principal: Principal, meeting: Meeting, person_id: int, method: str
) -> AttendanceRead:
    row = await repository.check_in(
        session, meeting.id, person_id, datetime.now(UTC), method, principal.user_id
    )
    if row is None:
        raise AlreadyCheckedIn()
    await _record(session, principal, "meeting.check_in", meeting, f"人员 #{person_id} 签到")
    person = await shared_repository.person(session, person_id)
    assert person is not None
    return AttendanceRead(
        person=shared.person_ref(principal, person),
        checked_in_at=row.checked_in_at,
        method=row.method,
    )


async def list_attendance(
    session: AsyncSession, principal: Principal, meeting_id: int, *, limit: int, cursor: str | None
) -> AttendancePage:
    meeting = await _find(session, await shared.reader_scope(session, principal), meeting_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.attendance_page(session, meeting.id, after=after, limit=n),
        lambda r: r[0].id,
    )
    return AttendancePage(
        items=[
            AttendanceRead(
                person=shared.person_ref(principal, p),
                checked_in_at=a.checked_in_at,
                method=a.method,
            )
            for a, p in items
        ],
        next_cursor=next_cursor,
    )


# ---------------------------------------------------------------- decisions


async def decide(
    session: AsyncSession, principal: Principal, meeting_id: int, data: DecisionIn
) -> DecisionRead:
    """A decision of a held meeting; it may open a service order at the meeting's node
    (filed by the caller as walk-in, ``orders.submit_for`` needed) or a 五议 matter in
    the meeting's compound, and keeps the link."""
    meeting = await _find(session, principal.scope(GOVERNANCE_MANAGE), meeting_id, lock=True)
    if meeting.status != MeetingStatus.held:
        raise MeetingNotHeld()
    order_id = matter_id = None
    if data.order is not None:
        order = await order_submit.submit_order(
            session,
            principal,
            OrderCreate(
                category=data.order.category,
                title=data.order.title,
                description=data.order.description,
                channel=Channel.walk_in,
                location_unit_id=meeting.org_unit_id,
            ),
        )
        order_id = order.id
    if data.matter is not None:
        compound = await shared.unit(session, Scope.everything(), meeting.org_unit_id)
        if compound.level != "grid":
            raise MatterNeedsCompound()
        matter = await deliberation.propose_as_staff(
            session, principal, compound, data.matter.title, data.matter.description
        )
        matter_id = matter.id
    decision = MeetingDecision(
        meeting_id=meeting.id,
        content=data.content,
        order_id=order_id,
        matter_id=matter_id,
        decided_by_user_id=principal.user_id,
    )
    await repository.add(session, decision)
    await repository.refresh(session, decision)
    await _record(session, principal, "meeting.decide", meeting, f"会议「{meeting.title}」形成决定")
    return DecisionRead.model_validate(decision)


# ---------------------------------------------------------------- report


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


async def joint_meeting_report(
    session: AsyncSession, principal: Principal, unit_id: int, year: int, quarter: int
) -> JointMeetingReport:
    """Every residential compound under the unit and whether it held its quarterly
    红色物业联席会议 (business dates, Asia/Shanghai)."""
    unit = await shared.unit(session, await shared.reader_scope(session, principal), unit_id)
    first, last = quarter_bounds(year, quarter)
    rows = await repository.joint_meetings_by_compound(
        session,
        Scope.of([(unit.level, unit.id)]),
        datetime.combine(first, datetime.min.time(), BUSINESS_TZ),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), BUSINESS_TZ),
    )
    compounds = [
        CompoundJointMeetings(
            compound_id=cid,
            compound_name=name,
            community_id=community_id,
            held=held,
            last_held_at=last_held,
            on_time=held > 0,
        )
        for cid, name, community_id, held, last_held in rows
    ]
    on_time = sum(c.on_time for c in compounds)
    return JointMeetingReport(
        unit_id=unit.id,
        unit_name=unit.name,
        year=year,
        quarter=quarter,
        period_from=first,
        period_to=last,
        quarter_over=business_today() > last,
        compounds=compounds,
        total=len(compounds),
        on_time=on_time,
        on_time_rate=round(on_time / len(compounds), 4) if compounds else None,
    )


async def _record(
    session: AsyncSession, principal: Principal, action: str, meeting: Meeting, summary: str
) -> None:
    await shared.record(session, principal, action, ("meeting", meeting.id), summary, meeting)
