"""Use cases of the participation reports: service hours (服务时长) per person, team or
child node; a volunteer's record; the 双考评 of units and communities.

Visibility: ``participation.read`` over the node (or the person); out of scope is
404. A member reads their own record. Read-only.
"""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import PARTICIPATION_READ
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.participation.reports import repository, rules
from app.participation.reports.errors import EvaluationLevel, NodeNotFound, PersonNotFound
from app.participation.reports.repository import Window
from app.participation.reports.schemas import (
    CommunityEvaluation,
    DualEvaluation,
    GroupBy,
    HoursRow,
    Period,
    RecordEntry,
    ServiceHours,
    UnitEvaluation,
    VolunteerRecord,
    WorkUnitRef,
)
from app.participation.shared import own_person
from app.reporting import rules as period_rules
from app.reporting.schemas import UnitRef

CHILD_COLUMN = period_rules.CHILD_COLUMN
EVALUATED_LEVELS = ("town", "community")


def _as_of(now: datetime | None) -> datetime:
    return (now or datetime.now(BUSINESS_TZ)).astimezone(BUSINESS_TZ).replace(microsecond=0)


def _window(date_from: date | None, date_to: date | None, today: date) -> tuple[Period, Window]:
    period = period_rules.resolve_period(date_from, date_to, today)
    return (
        Period(from_date=period.from_date, to_date=period.to_date),
        Window(start=period.start, end=period.end, to_date=period.to_date),
    )


async def _node(session: AsyncSession, principal: Principal, unit_id: int | None) -> OrgUnit:
    """The node, in the caller's ``participation.read`` scope; default their highest."""
    scope = principal.scope(PARTICIPATION_READ)
    if unit_id is None:
        if principal.is_superuser:
            unit_id = await repository.first_town(session)
        else:
            levels = period_rules.LEVEL_ORDER
            granted = [
                (levels.index(g.level), g.org_unit_id)
                for g in principal.grants
                if PARTICIPATION_READ in g.permissions
            ]
            unit_id = min(granted)[1] if granted else None
    node = None if unit_id is None else await repository.find_node(session, scope, unit_id)
    if node is None:
        raise NodeNotFound()
    return node


def _ref(node: OrgUnit) -> UnitRef:
    return UnitRef(id=node.id, name=node.name, code=node.code, level=node.level)


# ---------------------------------------------------------------- service hours


async def service_hours(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_id: int | None,
    date_from: date | None,
    date_to: date | None,
    group_by: GroupBy,
    now: datetime | None = None,
) -> ServiceHours:
    """Hours and points of the activities under the node that started in the period."""
    as_of = _as_of(now)
    period, window = _window(date_from, date_to, as_of.date())
    node = await _node(session, principal, unit_id)
    under = Scope.of([(node.level, node.id)])
    attendances = await repository.attendances(session, window, under=under)
    if group_by is GroupBy.person:
        rows = await _by_person(session, attendances)
    elif group_by is GroupBy.team:
        rows = await _by_team(session, under, attendances)
    else:
        rows = await _by_child(session, node, window, under)
    return ServiceHours(
        unit=_ref(node),
        period=period,
        group_by=group_by,
        as_of=as_of,
        total=rules.hours_figures(attendances),
        rows=rows,
    )


async def _by_person(session: AsyncSession, attendances: list[rules.Attendance]) -> list[HoursRow]:
    by_person: dict[int, list[rules.Attendance]] = defaultdict(list)
    for attendance in attendances:
        by_person[attendance.person_id].append(attendance)
    names = await repository.names(session, sorted(by_person))
    rows = [
        HoursRow(key=person, name=names.get(person, ""), figures=rules.hours_figures(items))
        for person, items in by_person.items()
    ]
    return sorted(rows, key=lambda r: (-r.figures.minutes, r.key or 0))


async def _by_team(
    session: AsyncSession, under: Scope, attendances: list[rules.Attendance]
) -> list[HoursRow]:
    """A team's figures are its current members' attendances under the node."""
    members: dict[int, set[int]] = defaultdict(set)
    team_names: dict[int, str] = {}
    for team_id, name, person_id in await repository.teams_of(session, under):
        members[team_id].add(person_id)
        team_names[team_id] = name
    return [
        HoursRow(
            key=team_id,
            name=team_names[team_id],
            figures=rules.hours_figures(a for a in attendances if a.person_id in people),
        )
        for team_id, people in members.items()
    ]


async def _by_child(
    session: AsyncSession, node: OrgUnit, window: Window, under: Scope
) -> list[HoursRow]:
    column = CHILD_COLUMN.get(node.level)
    children = await repository.children(session, node.id)
    grouped: dict[int | None, list[rules.Attendance]] = defaultdict(list)
    if column is not None:
        for child, person, minutes, points in await repository.hours_by_child(
            session, window, under, column
        ):
            grouped[child].append(rules.Attendance(person, 0, None, minutes or 0, points or 0))
    keys = [*children, None]
    return [
        HoursRow(
            key=key,
            name=children[key] if key is not None else f"{node.name}（本级）",
            figures=rules.hours_figures(grouped.get(key, [])),
        )
        for key in keys
    ]


async def volunteer_record(
    session: AsyncSession,
    principal: Principal,
    person_id: int | None,
    *,
    date_from: date | None,
    date_to: date | None,
    now: datetime | None = None,
) -> VolunteerRecord:
    """服务时长记录 of a person in the caller's ``participation.read`` scope (where they
    live), or of the caller themself (``person_id`` None)."""
    as_of = _as_of(now)
    period, window = _window(date_from, date_to, as_of.date())
    if person_id is None or person_id == principal.person_id:
        person_id = own_person(principal)
        scope = Scope.everything()
    else:
        scope = principal.scope(PARTICIPATION_READ)
    person = await repository.person_in(session, person_id, scope)
    if person is None:
        raise PersonNotFound()
    activities, wishes = await repository.record_rows(session, person.id, window)
    entries = [
        RecordEntry(kind="activity", id=i, title=t, on=on, minutes=m, points=p, voided=bool(voided))
        for i, t, on, m, p, voided in activities
    ] + [
        RecordEntry(kind="micro_wish", id=i, title=t, on=on, minutes=None, points=p, voided=False)
        for i, t, on, p in wishes
    ]
    counted = [e for e in entries if not e.voided]
    minutes = sum(e.minutes or 0 for e in counted)
    return VolunteerRecord(
        person_id=person.id,
        name=person.name,
        period=period,
        minutes=minutes,
        hours=rules.hours(minutes),
        points=sum(e.points or 0 for e in counted),
        entries=sorted(entries, key=lambda e: (e.on, e.kind, e.id)),
    )


# ---------------------------------------------------------------- 双考评


async def dual_evaluation(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_id: int | None,
    date_from: date | None,
    date_to: date | None,
    now: datetime | None = None,
) -> DualEvaluation:
    as_of = _as_of(now)
    period, window = _window(date_from, date_to, as_of.date())
    node = await _node(session, principal, unit_id)
    if node.level not in EVALUATED_LEVELS:
        raise EvaluationLevel()
    under = Scope.of([(node.level, node.id)])
    return DualEvaluation(
        unit=_ref(node),
        period=period,
        as_of=as_of,
        units=await _units(session, under, window),
        communities=await _communities(session, under, window),
        formulas=rules.FORMULAS,
    )


async def _units(session: AsyncSession, under: Scope, window: Window) -> list[UnitEvaluation]:
    units = await repository.work_units(session, under, window.to_date)
    roster: dict[int, set[int]] = defaultdict(set)
    for unit_id, person_id in await repository.rosters(session, [u.id for u in units]):
        roster[unit_id].add(person_id)
    people = sorted(set().union(*roster.values())) if roster else []
    home: set[int] = set()
    linked: set[tuple[int, int]] = set()
    for person, kind, _, unit in await repository.live_registrations(
        session, window.end, people=people
    ):
        if kind == "home":
            home.add(person)
        elif unit is not None:
            linked.add((unit, person))
    facts = await repository.facts(session, window, people=people)
    rows = []
    for unit in units:
        members = roster[unit.id]
        linked_here = {p for u, p in linked if u == unit.id} & members
        dual = home & linked_here
        served = facts.of(members)
        active = served.people()
        rows.append(
            UnitEvaluation(
                unit=WorkUnitRef(id=unit.id, name=unit.name, kind=unit.kind),
                roster=len(members),
                home_registered=len(home & members),
                linked_registered=len(linked_here),
                dual_registered=len(dual),
                registration_rate=rules.rate(len(dual), len(members)),
                active=len(active),
                active_rate=rules.rate(len(active), len(members)),
                service=rules.service(served),
            )
        )
    return rows


async def _communities(
    session: AsyncSession, under: Scope, window: Window
) -> list[CommunityEvaluation]:
    communities = await repository.communities(session, under)
    registered: dict[int, set[int]] = defaultdict(set)
    for person, _, community, _ in await repository.live_registrations(
        session, window.end, under=under
    ):
        if community is not None:
            registered[community].add(person)
    expected: dict[int, set[int]] = defaultdict(set)
    for person, community in [
        *await repository.in_service_residents(session, under),
        *await repository.paired_rosters(session, under, window.to_date),
    ]:
        if community is not None:
            expected[community].add(person)
    people = sorted(set().union(*registered.values())) if registered else []
    facts = await repository.facts(session, window, people=people, under=under)
    rows = []
    for community in communities:
        members, due = registered[community.id], expected[community.id]
        served = facts.of(members, community.id)
        active = served.people()
        rows.append(
            CommunityEvaluation(
                community=_ref(community),
                expected=len(due),
                registered=len(members),
                registered_expected=len(members & due),
                registration_rate=rules.rate(len(members & due), len(due)),
                active=len(active),
                active_rate=rules.rate(len(active), len(members)),
                service=rules.service(served),
            )
        )
    return rows
