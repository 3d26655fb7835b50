"""Duty rotas (党员周末轮班, 东安 seed 001): shifts at a station, members assigned by staff
or volunteering, hand-overs (换班), check-in at the station and the red points a
served shift earns by rule.

A shift's places are taken by a guarded UPDATE, so concurrent volunteers never
overfill it. A scheduled duty whose shift has ended without a check-in is *missed*;
that is computed from the clock, never stored, so the branch always sees it.

Check-in is recorded by staff (any time from 30 minutes before the shift) or by the
member themself within the shift's window — with the station's live QR code
(``check_in_method = qr``, ``app.governance.checkin``: a signed, rotating, single-use
token that proves the member is there) or without it (``self``).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, not_
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE, GOVERNANCE_TAKE_PART
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import checkin
from app.governance import repository as shared_repository
from app.governance import service as shared
from app.governance.errors import PersonRequired
from app.governance.schemas import CheckinCodeRead, CheckinScan
from app.governance.stations import repository
from app.governance.stations.errors import (
    AlreadyOnShift,
    AssignmentClosed,
    AssignmentNotFound,
    NotDutyEligible,
    OutsideCheckInWindow,
    ShiftFull,
    ShiftNotFound,
    ShiftOver,
    StationInactive,
    SwapToSelf,
)
from app.governance.stations.models import DutyAssignment, DutyShift, Station
from app.governance.stations.schemas import (
    AssignIn,
    AssignmentPage,
    AssignmentRead,
    AssignmentSource,
    AssignmentStatus,
    CheckInMethod,
    RotaCreate,
    RotaCreated,
    ShiftPage,
    ShiftRead,
    SwapIn,
)
from app.governance.stations.service import community_person, find
from app.kit.calendar import BUSINESS_TZ
from app.kit.checkin import CheckinCodes
from app.kit.pagination import BY_ID, Keyset, paginate
from app.kit.types import DateTime, Id
from app.people.models import Person
from app.points import service as points_service

DUTY_ACTIVITY = "duty_shift"
"""The points rule (``activity_type``) a served shift earns by."""
EARLY_CHECK_IN = timedelta(minutes=30)
BY_START: Keyset[tuple[datetime, int]] = Keyset(DateTime, Id)
"""Shifts in time order."""
_ON_SHIFT_UNIQUE = "uq_duty_assignment_on_shift"


def _now() -> datetime:
    return datetime.now(UTC)


def effective_status(assignment: DutyAssignment, shift: DutyShift, now: datetime) -> str:
    if assignment.status == AssignmentStatus.scheduled and shift.ends_at <= now:
        return AssignmentStatus.missed.value
    return assignment.status


def present(
    principal: Principal, assignment: DutyAssignment, shift: DutyShift, person: Person
) -> AssignmentRead:
    skip = {"person", "status", "shift_starts_at", "shift_ends_at"}
    columns = {f: getattr(assignment, f) for f in AssignmentRead.model_fields if f not in skip}
    return AssignmentRead(
        **columns,
        person=shared.person_ref(principal, person),
        status=AssignmentStatus(effective_status(assignment, shift, _now())),
        shift_starts_at=shift.starts_at,
        shift_ends_at=shift.ends_at,
    )


async def _shift_reads(
    session: AsyncSession, principal: Principal, shifts: Sequence[DutyShift]
) -> list[ShiftRead]:
    by_shift: dict[int, list[AssignmentRead]] = defaultdict(list)
    shift_of = {s.id: s for s in shifts}
    for assignment, person in await repository.assignments_of(session, list(shift_of)):
        shift = shift_of[assignment.shift_id]
        by_shift[shift.id].append(present(principal, assignment, shift, person))
    return [
        ShiftRead(
            **{f: getattr(s, f) for f in ShiftRead.model_fields if f != "assignments"},
            assignments=by_shift[s.id],
        )
        for s in shifts
    ]


# ---------------------------------------------------------------- shifts


async def create_rota(
    session: AsyncSession, principal: Principal, station_id: int, data: RotaCreate
) -> RotaCreated:
    station = await find(session, principal.scope(GOVERNANCE_MANAGE), station_id)
    if not station.is_active:
        raise StationInactive()
    wanted = []
    day = data.from_date
    while day <= data.to_date:
        if day.isoweekday() in data.weekdays:
            starts = datetime.combine(day, data.starts, BUSINESS_TZ)
            wanted.append((starts, datetime.combine(day, data.ends, BUSINESS_TZ)))
        day += timedelta(days=1)
    taken = (
        await repository.existing_starts(session, station.id, wanted[0][0], wanted[-1][0])
        if wanted
        else set()
    )
    shifts = [
        DutyShift(
            station_id=station.id,
            starts_at=starts,
            ends_at=ends,
            capacity=data.capacity,
            taken=0,
            note=data.note,
            **shared.place_of(station),
        )
        for starts, ends in wanted
        if starts not in taken
    ]
    await repository.add_all(session, shifts)
    await shared.record(
        session,
        principal,
        "duty_shift.create",
        ("station", station.id),
        f"「{station.name}」排班 {data.from_date} 至 {data.to_date}：新增 {len(shifts)} 个班次",
        station,
    )
    return RotaCreated(
        created=len(shifts),
        skipped=len(wanted) - len(shifts),
        shifts=await _shift_reads(session, principal, shifts),
    )


async def list_shifts(
    session: AsyncSession,
    principal: Principal,
    station_id: int,
    *,
    from_date: date,
    to_date: date,
    limit: int,
    cursor: str | None,
) -> ShiftPage:
    """The station's shifts starting on those business days, in time order, with who
    is on each."""
    station = await find(session, await shared.reader_scope(session, principal), station_id)
    items, next_cursor = await paginate(
        BY_START,
        cursor,
        limit,
        lambda after, n: repository.shifts_between(
            session,
            station.id,
            starts_from=datetime.combine(from_date, time(), BUSINESS_TZ),
            starts_before=datetime.combine(to_date + timedelta(days=1), time(), BUSINESS_TZ),
            after=after,
            limit=n,
        ),
        lambda shift: (shift.starts_at, shift.id),
    )
    return ShiftPage(items=await _shift_reads(session, principal, items), next_cursor=next_cursor)


# ---------------------------------------------------------------- who is on a shift


async def _open_shift(
    session: AsyncSession, scope: Scope, shift_id: int
) -> tuple[DutyShift, Station]:
    shift = await repository.get_shift(session, shift_id, scope)
    if shift is None:
        raise ShiftNotFound()
    station = await find(session, Scope.everything(), shift.station_id)
    if not station.is_active:
        raise StationInactive()
    if shift.ends_at <= _now():
        raise ShiftOver()
    return shift, station


async def _put_on(
    session: AsyncSession,
    principal: Principal,
    shift: DutyShift,
    person: Person,
    source: AssignmentSource,
    swapped_from: DutyAssignment | None = None,
) -> DutyAssignment:
    if await repository.on_shift(session, shift.id, person.id):
        raise AlreadyOnShift()
    if swapped_from is None and not await repository.take_place(session, shift.id):
        raise ShiftFull()
    assignment = DutyAssignment(
        shift_id=shift.id,
        station_id=shift.station_id,
        person_id=person.id,
        source=source.value,
        status=AssignmentStatus.scheduled.value,
        swapped_from_id=swapped_from.id if swapped_from else None,
        recorded_by_user_id=principal.user_id,
        **shared.place_of(shift),
    )
    if not await repository.add(session, assignment, unique=_ON_SHIFT_UNIQUE):
        raise AlreadyOnShift()
    return assignment


async def assign(
    session: AsyncSession, principal: Principal, shift_id: int, data: AssignIn
) -> AssignmentRead:
    """排班: staff put a party member of the station's community on a shift."""
    shift, station = await _open_shift(session, principal.scope(GOVERNANCE_MANAGE), shift_id)
    person = await community_person(session, station, data.person_id, member=True)
    if person is None:
        raise NotDutyEligible()
    assignment = await _put_on(session, principal, shift, person, AssignmentSource.assigned)
    await _record(principal, session, "duty.assign", assignment, station, f"排班人员 #{person.id}")
    return present(principal, assignment, shift, person)


async def volunteer(session: AsyncSession, principal: Principal, shift_id: int) -> AssignmentRead:
    """自愿认领: a member takes a free place on a shift of a station they take part in."""
    if principal.person_id is None:
        raise PersonRequired()
    scope = await shared.participation_scope(session, principal)
    shift, station = await _open_shift(session, scope, shift_id)
    person = await community_person(session, station, principal.person_id, member=True)
    if person is None:
        raise NotDutyEligible()
    assignment = await _put_on(session, principal, shift, person, AssignmentSource.volunteered)
    await _record(principal, session, "duty.volunteer", assignment, station, "党员认领值班")
    return present(principal, assignment, shift, person)


async def _acting_on(
    session: AsyncSession, principal: Principal, assignment_id: int
) -> tuple[DutyAssignment, DutyShift, Station, bool]:
    """The assignment, locked, if the caller is its member (taking part) or manages it;
    whether the caller acts as staff."""
    scope = await shared.reader_scope(session, principal)
    assignment = await repository.get_assignment(session, assignment_id, scope, lock=True)
    if assignment is None:
        raise AssignmentNotFound()
    as_staff = principal.scope(GOVERNANCE_MANAGE).covers(assignment)
    own = principal.person_id == assignment.person_id and principal.has(GOVERNANCE_TAKE_PART)
    if not (as_staff or own):
        raise AssignmentNotFound()
    shift = await repository.get_shift(session, assignment.shift_id, Scope.everything())
    assert shift is not None
    station = await find(session, Scope.everything(), shift.station_id)
    if assignment.status != AssignmentStatus.scheduled:
        raise AssignmentClosed()
    return assignment, shift, station, as_staff


async def swap(
    session: AsyncSession, principal: Principal, assignment_id: int, data: SwapIn
) -> AssignmentRead:
    """换班: the member (or staff) hands the duty over to another member of the
    station's community; the place passes with it."""
    assignment, shift, station, _ = await _acting_on(session, principal, assignment_id)
    if shift.ends_at <= _now():
        raise ShiftOver()
    if data.person_id == assignment.person_id:
        raise SwapToSelf()
    person = await community_person(session, station, data.person_id, member=True)
    if person is None:
        raise NotDutyEligible()
    assignment.status = AssignmentStatus.swapped_out.value
    await repository.save(session, assignment)
    successor = await _put_on(
        session, principal, shift, person, AssignmentSource.swap, swapped_from=assignment
    )
    note = f"人员 #{assignment.person_id} 换班给人员 #{person.id}"
    await _record(principal, session, "duty.swap", successor, station, note)
    return present(principal, successor, shift, person)


async def withdraw(
    session: AsyncSession, principal: Principal, assignment_id: int
) -> AssignmentRead:
    """Off the shift before it begins; the place is free again."""
    assignment, shift, station, _ = await _acting_on(session, principal, assignment_id)
    if shift.starts_at <= _now():
        raise ShiftOver()
    assignment.status = AssignmentStatus.withdrawn.value
    await repository.save(session, assignment)
    await repository.release_place(session, shift.id)
    await _record(principal, session, "duty.withdraw", assignment, station, "取消值班")
    person = await _person(session, assignment.person_id)
    return present(principal, assignment, shift, person)


async def award_duty(
    session: AsyncSession,
    person_id: int,
    shift: DutyShift,
    actor_user_id: int | None,
    served_at: datetime,
) -> points_service.Earned:
    """值班积分 by the ``duty_shift`` rule, once per (shift, member)."""
    return await points_service.award_for_activity(
        session,
        person_id=person_id,
        activity_type=DUTY_ACTIVITY,
        activity_ref=f"duty-shift-{shift.id}",
        reason=f"站点值班（班次 #{shift.id}）",
        data={"duty_shift_id": shift.id},
        actor_user_id=actor_user_id,
        occurred_at=served_at,
    )


def shift_subject(shift_id: int) -> str:
    return f"duty-shift:{shift_id}"


async def checkin_code(
    session: AsyncSession, principal: Principal, shift_id: int, codes: CheckinCodes
) -> CheckinCodeRead:
    """The live code the station's phone shows for the shift (staff managing it)."""
    shift = await repository.get_shift(session, shift_id, principal.scope(GOVERNANCE_MANAGE))
    if shift is None:
        raise ShiftNotFound()
    now = _now()
    if not shift.starts_at - EARLY_CHECK_IN <= now <= shift.ends_at:
        raise OutsideCheckInWindow()
    return checkin.issue(codes, shift_subject(shift.id), shift.check_in_uses, now)


async def check_in(
    session: AsyncSession,
    principal: Principal,
    assignment_id: int,
    scan: CheckinScan | None = None,
    codes: CheckinCodes | None = None,
) -> AssignmentRead:
    """签到 at the station: by the member within the shift's window — scanning the
    station's live code (``qr``) or not (``self``) — or recorded by staff (also
    afterwards, for a duty served but not recorded). Points by the ``duty_shift`` rule
    go to the member once per shift, dated at the shift."""
    assignment, shift, station, as_staff = await _acting_on(session, principal, assignment_id)
    now = _now()
    own = principal.person_id == assignment.person_id
    if now < shift.starts_at - EARLY_CHECK_IN or (
        own and (not as_staff or scan) and now > shift.ends_at
    ):
        raise OutsideCheckInWindow()
    method = CheckInMethod.self if own and now <= shift.ends_at else CheckInMethod.staff
    if scan is not None and codes is not None:
        if not own:
            raise AssignmentNotFound()
        locked = await repository.get_shift(session, shift.id, Scope.everything(), lock=True)
        assert locked is not None
        locked.check_in_uses = checkin.spend(
            codes, scan.token, shift_subject(shift.id), locked.check_in_uses, now
        )
        await repository.save(session, locked)
        method = CheckInMethod.qr
    assignment.status = AssignmentStatus.checked_in.value
    assignment.checked_in_at, assignment.check_in_method = now, method.value
    earned = await award_duty(
        session, assignment.person_id, shift, principal.user_id, min(now, shift.starts_at)
    )
    assignment.points_transaction_id, assignment.points_awarded = (
        earned.transaction_id,
        earned.points,
    )
    await repository.save(session, assignment)
    await _record(principal, session, "duty.check_in", assignment, station, f"值班签到（{method}）")
    return present(principal, assignment, shift, await _person(session, assignment.person_id))


async def list_assignments(
    session: AsyncSession,
    principal: Principal,
    station_id: int,
    *,
    status: AssignmentStatus | None,
    person_id: int | None,
    limit: int,
    cursor: str | None,
) -> AssignmentPage:
    """Duties at the station, newest first; ``status=missed`` shows the missed shifts
    the branch follows up."""
    station = await find(session, await shared.reader_scope(session, principal), station_id)
    where: list[ColumnElement[bool]] = [DutyAssignment.station_id == station.id]
    if status is not None:
        where.append(_status_clause(status))
    if person_id is not None:
        where.append(DutyAssignment.person_id == person_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.assignment_page(session, where, after=after, limit=n),
        lambda row: row[0].id,
    )
    return AssignmentPage(
        items=[present(principal, a, s, p) for a, s, p in items], next_cursor=next_cursor
    )


def _status_clause(status: AssignmentStatus) -> ColumnElement[bool]:
    ended = DutyShift.ends_at <= func.now()
    scheduled = DutyAssignment.status == AssignmentStatus.scheduled.value
    if status is AssignmentStatus.missed:
        return and_(scheduled, ended)
    if status is AssignmentStatus.scheduled:
        return and_(scheduled, not_(ended))
    return DutyAssignment.status == status.value


async def _person(session: AsyncSession, person_id: int) -> Person:
    person = await shared_repository.person(session, person_id)
    assert person is not None
    return person


async def _record(
    principal: Principal,
    session: AsyncSession,
    action: str,
    assignment: DutyAssignment,
    station: Station,
    summary: str,
) -> None:
    await shared.record(
        session,
        principal,
        action,
        ("duty_assignment", assignment.id),
        f"「{station.name}」{summary}",
        station,
    )
