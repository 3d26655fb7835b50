"""The demo town's governance (seeds 000, 002, 004), through the services the API uses:

- 红星一网格, a compound, with its party branch, owners' committee (业委会) and property
  company (粤华物业, under contract); the branch secretary sits on the committee and is
  the 站长 of the compound's 红旗驿站, the committee chair and the property manager are
  its deputies (一核三元, 双向进入、交叉任职); the 站长 holds community_admin at the
  compound for the term;
- the station's weekend rota (党员周末轮班) filled for the coming month, and the past
  four weeks served as history (check-ins, red points by the duty_shift rule, one
  missed shift); a 红旗好人 on its honour roll;
- this quarter's 红色物业联席会议, with attendance, minutes and two decisions: one opened
  a repair order, the other a 五议 matter;
- that matter through all five steps: 动议, 商议 (three positions), 公议 (one vote per
  household, a second vote of one household refused), 评议 and close;
- this quarter's evaluation of the property companies of two compounds, with fixed
  answers so the scores can be counted by hand (README, "Governance").
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_TAKE_PART
from app.authz.principal import Grant, Principal
from app.authz.scope import Scope
from app.errors import AppError
from app.governance.bodies import offices
from app.governance.bodies import service as bodies
from app.governance.bodies.schemas import ContractCreate, OfficeCreate, PartnerBodyCreate
from app.governance.deliberation import steps, voting
from app.governance.deliberation.schemas import (
    ImplementIn,
    OpenVoteIn,
    PositionIn,
    RatingIn,
    VoteIn,
)
from app.governance.evaluations import questionnaires
from app.governance.evaluations import service as evaluations
from app.governance.evaluations.schemas import (
    EvaluationCreate,
    QuestionnaireCreate,
    ResponseIn,
)
from app.governance.meetings import service as meetings
from app.governance.meetings.schemas import (
    AttendanceIn,
    DecisionIn,
    MeetingCreate,
    MinutesIn,
)
from app.governance.stations import rota
from app.governance.stations import service as stations
from app.governance.stations.models import DutyAssignment, DutyShift
from app.governance.stations.schemas import AssignIn, HonourCreate, RotaCreate, StationCreate
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.kit.etag import etag_for
from app.users import service as users_service
from app.users.schemas import GrantCreate, UserCreate

STATION_LOGIN = (
    "hongxing_station",
    "站长 · member @ 红星一网格 (+ community_admin there in office)",
)
ITEMS = [
    {"code": "cleaning", "text": "环境卫生", "weight": 40},
    {"code": "security", "text": "安全秩序", "weight": 30},
    {"code": "repair", "text": "维修响应", "weight": 30},
]
ANSWERS = {
    # compound code → one answer (cleaning, security, repair) per household, in order
    "SL-C1-G1": [(5, 4, 3), (4, 4, 4), (5, 5, 4), (3, 4, 2)],
    "SL-C2-G1": [(4, 4, 4), (3, 3, 3), (4, 3, 3), (3, 4, 2)],
}


@dataclass(frozen=True)
class Compound:
    unit: OrgUnit
    households: list[tuple[OrgUnit, list[int]]]
    """Each household node with the people living there."""


def _compound(
    grid: OrgUnit, households: list[OrgUnit], residents: list[int], per_household: int
) -> Compound:
    inside = Scope.of([("grid", grid.id)])
    return Compound(
        unit=grid,
        households=[
            (h, residents[n * per_household : (n + 1) * per_household])
            for n, h in enumerate(households)
            if inside.covers(h)
        ],
    )


def _resident(person_id: int, household: OrgUnit) -> Principal:
    """A resident taking part as themself (the demo has no login for each of them)."""
    return Principal(
        kind="user",
        subject=f"demo-person:{person_id}",
        display_name="demo resident",
        person_id=person_id,
        grants=(
            Grant(
                role="resident",
                org_unit_id=household.id,
                level="household",
                permissions=frozenset({GOVERNANCE_TAKE_PART}),
            ),
        ),
    )


def _quarter(now: datetime) -> tuple[str, datetime]:
    """This quarter's label and its first instant (Asia/Shanghai)."""
    local = now.astimezone(BUSINESS_TZ)
    quarter = (local.month - 1) // 3 + 1
    start = datetime.combine(date(local.year, 3 * quarter - 2, 1), time(), BUSINESS_TZ)
    return f"{local.year}Q{quarter}", start


async def seed_governance(
    session: AsyncSession,
    system: Principal,
    grids: list[OrgUnit],
    households: list[OrgUnit],
    residents: list[int],
    members: list[tuple[int, OrgUnit]],
    password: str,
) -> None:
    per_household = len(residents) // len(households)
    compounds = {
        g.code: _compound(g, households, residents, per_household)
        for g in grids
        if g.grid_kind == "compound"
    }
    hongxing = compounds["SL-C1-G1"]
    community = Scope.of([("community", hongxing.unit.community_id or hongxing.unit.id)])
    community_members = [person for person, grid in members if community.covers(grid)]
    committee, company, station = await _bodies_and_offices(
        session, system, hongxing, community_members, password
    )
    await _rota(session, system, station, community_members)
    matter_id = await _joint_meeting(session, system, hongxing, committee, company, station)
    await _five_steps(session, system, hongxing, matter_id, committee)
    await _evaluations(session, system, compounds, company)


async def _bodies_and_offices(
    session: AsyncSession,
    system: Principal,
    compound: Compound,
    community_members: list[int],
    password: str,
) -> tuple[int, int, int]:
    unit = compound.unit
    committee = await bodies.create_body(
        session,
        system,
        PartnerBodyCreate(
            kind="owners_committee", name="红星一网格业主委员会", org_unit_id=unit.id
        ),
    )
    company = await bodies.create_body(
        session,
        system,
        PartnerBodyCreate(
            kind="property_company",
            name="粤华物业",
            org_unit_id=unit.community_id or unit.id,
            credit_code="91441900MA4UJ8K22X",
            contact_name="耿广路",
            contact_phone="13800138000",
        ),
    )
    today = datetime.now(BUSINESS_TZ).date()
    await bodies.add_contract(
        session,
        system,
        company.id,
        ContractCreate(
            org_unit_id=unit.id,
            starts_on=date(today.year - 1, 1, 1),
            ends_on=date(today.year + 2, 12, 31),
            note="物业服务合同",
        ),
    )
    station = await stations.create_station(
        session,
        system,
        StationCreate.model_validate(
            {
                "kind": "red_flag",
                "name": "红星一网格红旗驿站",
                "org_unit_id": unit.id,
                "address": "小区公园东侧",
                "functions": ["party_office", "activity_room", "deliberation", "mediation"],
                "opening_hours": [
                    {"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"},
                    {"weekdays": [1, 2, 3, 4, 5], "opens": "18:30", "closes": "21:00"},
                ],
            }
        ),
    )
    secretary = community_members[1]
    (_, first), (_, second) = compound.households[0], compound.households[1]
    chair, manager = first[1], second[1]
    await users_service.create_user(
        session,
        system,
        UserCreate(
            username=STATION_LOGIN[0],
            display_name="红旗驿站站长",
            password=password,
            person_id=secretary,
            grants=[GrantCreate(role="member", org_unit_id=unit.id)],
        ),
    )
    starts = date(today.year, 1, 1)
    for person, office, seat in (
        (secretary, "secretary", {"org_unit_id": unit.id}),
        (secretary, "committee_member", {"body_id": committee.id}),
        (chair, "committee_chair", {"body_id": committee.id}),
        (manager, "property_manager", {"body_id": company.id}),
        (chair, "deputy_station_master", {"station_id": station.id}),
        (manager, "deputy_station_master", {"station_id": station.id}),
    ):
        await offices.appoint(
            session,
            system,
            OfficeCreate.model_validate(
                {"person_id": person, "office": office, "starts_on": starts, **seat}
            ),
        )
    await offices.appoint(
        session,
        system,
        OfficeCreate(
            person_id=secretary,
            office="station_master",
            station_id=station.id,
            starts_on=starts,
            grant_role="community_admin",
        ),
    )
    await stations.add_honour(
        session,
        system,
        station.id,
        HonourCreate(
            person_id=compound.households[2][1][0],
            citation="带领热心阿姨们组建家庭事务调解队，成为小区调解家庭纠纷的主要力量。",
            honoured_on=date(today.year, 7, 1),
        ),
    )
    return committee.id, company.id, station.id


async def _rota(
    session: AsyncSession, system: Principal, station_id: int, members: list[int]
) -> None:
    """Next month's weekends filled two by two; the past four weeks served, as history."""
    today = datetime.now(BUSINESS_TZ).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    made = await rota.create_rota(
        session,
        system,
        station_id,
        RotaCreate(
            from_date=first,
            to_date=last,
            weekdays=[6, 7],
            starts=time(9),
            ends=time(12),
            capacity=2,
            note="党员周末轮班",
        ),
    )
    turn = 0
    for shift in made.shifts:
        for _ in range(shift.capacity):
            await rota.assign(
                session, system, shift.id, AssignIn(person_id=members[turn % len(members)])
            )
            turn += 1
    await _served(session, system, station_id, members, today)


async def _served(
    session: AsyncSession,
    system: Principal,
    station_id: int,
    members: list[int],
    today: date,
) -> None:
    """History rows: the past four weeks' weekend shifts, checked in by staff with their
    points awarded by rule (dated at the shift), the last duty missed."""
    station = await stations.find(session, Scope.everything(), station_id)
    place = {c: getattr(station, c) for c in ("town_id", "community_id", "grid_id")}
    days = [today - timedelta(days=n) for n in range(28, 0, -1)]
    turn = 0
    weekend = [d for d in days if d.isoweekday() in (6, 7)]
    for index, day in enumerate(weekend):
        starts = datetime.combine(day, time(9), BUSINESS_TZ)
        shift = DutyShift(
            station_id=station_id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=2,
            taken=2,
            note="党员周末轮班",
            **place,
        )
        session.add(shift)
        await session.flush()
        for seat in range(2):
            person = members[turn % len(members)]
            turn += 1
            missed = index == len(weekend) - 1 and seat == 1
            duty = DutyAssignment(
                shift_id=shift.id,
                station_id=station_id,
                person_id=person,
                source="assigned",
                status="scheduled" if missed else "checked_in",
                recorded_by_user_id=system.user_id,
                **place,
            )
            if not missed:
                earned = await rota.award_duty(session, person, shift, system.user_id, starts)
                duty.checked_in_at = starts + timedelta(minutes=5)
                duty.check_in_method = "staff"
                duty.points_transaction_id = earned.transaction_id
                duty.points_awarded = earned.points
            session.add(duty)
        await session.flush()


async def _joint_meeting(
    session: AsyncSession,
    system: Principal,
    compound: Compound,
    committee: int,
    company: int,
    station: int,
) -> int:
    """This quarter's 红色物业联席会议: one decision opened an order, one a 五议 matter."""
    now = datetime.now(UTC)
    period, quarter_start = _quarter(now)
    held = max(now - timedelta(days=10), quarter_start)
    meeting = await meetings.schedule(
        session,
        system,
        MeetingCreate(
            kind="joint_property",
            title=f"{period} 红色物业联席会议",
            org_unit_id=compound.unit.id,
            scheduled_at=held,
            station_id=station,
            body_ids=[committee, company],
            agenda=["3号楼北侧路灯不亮", "电动自行车楼道充电隐患", "冬季供暖管道排查"],
        ),
    )
    for _, people in compound.households:
        await meetings.record_attendance(
            session, system, meeting.id, AttendanceIn(person_id=people[0])
        )
    await meetings.record_minutes(
        session,
        system,
        meeting.id,
        MinutesIn(
            held_at=held,
            minutes="支部、业委会、物业三方到会。一、路灯由物业两周内修复；二、充电棚提交五议；"
            "三、物业对在住户供暖管道全面排查。",
        ),
        etag_for(meeting.version),
    )
    await meetings.decide(
        session,
        system,
        meeting.id,
        DecisionIn.model_validate(
            {
                "content": "3号楼北侧路灯由物业两周内修复",
                "opens": "order",
                "order": {
                    "category": "repair",
                    "title": "3号楼北侧路灯维修",
                    "description": "红色物业联席会议决定：物业两周内修复3号楼北侧路灯",
                },
            }
        ),
    )
    decision = await meetings.decide(
        session,
        system,
        meeting.id,
        DecisionIn.model_validate(
            {
                "content": "增设电动自行车充电棚，提交五议",
                "opens": "matter",
                "matter": {
                    "title": "增设电动自行车充电棚",
                    "description": "楼道充电有火灾隐患，建议在3号楼北侧增设集中充电棚，"
                    "费用从公共收益列支。",
                },
            }
        ),
    )
    assert decision.matter_id is not None
    return decision.matter_id


async def _five_steps(
    session: AsyncSession, system: Principal, compound: Compound, matter_id: int, committee: int
) -> None:
    """动议 → 商议 → 公议 (every household votes once) → 实施 → 评议 → 办结."""
    await steps.take_up(session, system, matter_id, if_match=None)
    for position in (
        PositionIn(party="branch", stance="support", statement="支部同意，消除楼道充电隐患。"),
        PositionIn(
            party="owners_committee",
            body_id=committee,
            stance="support",
            statement="业委会同意，费用从公共收益列支。",
        ),
        PositionIn(
            party="property_company", stance="conditional", statement="同意建设，电费按表计收。"
        ),
    ):
        await steps.add_position(session, system, matter_id, position, if_match=None)
    await steps.open_vote(
        session,
        system,
        matter_id,
        OpenVoteIn(
            quorum_percent=67,
            threshold_percent=50,
            closes_at=datetime.now(UTC) + timedelta(days=7),
        ),
        if_match=None,
    )
    choices = ["yes", "yes", "yes", "no"]
    for (household, people), choice in zip(compound.households, choices, strict=False):
        await voting.vote(
            session,
            _resident(people[0], household),
            matter_id,
            VoteIn(choice=choice, ballot_secret=secrets.token_hex(16)),
        )
    household, people = compound.households[0]
    try:  # a second vote from the first household is refused (每户一票)
        async with session.begin_nested():
            await voting.vote(
                session,
                _resident(people[1], household),
                matter_id,
                VoteIn(choice="no", ballot_secret=secrets.token_hex(16)),
            )
    except AppError:
        pass
    await steps.close_vote(session, system, matter_id, if_match=None)
    await steps.implement(
        session,
        system,
        matter_id,
        ImplementIn(report="充电棚已在3号楼北侧建成投用，设20个充电车位，电费按表计收。"),
        if_match=None,
    )
    for (household, people), score in zip(compound.households, [5, 4, 5, 4], strict=False):
        await voting.rate(
            session, _resident(people[0], household), matter_id, RatingIn(score=score)
        )
    await steps.close(session, system, matter_id, if_match=None)


async def _evaluations(
    session: AsyncSession, system: Principal, compounds: dict[str, Compound], company: int
) -> None:
    """This quarter's property evaluation in two compounds of the town, answered by
    every household with the fixed answers of ``ANSWERS``, and closed."""
    hongxing = compounds["SL-C1-G1"].unit
    questionnaire = await questionnaires.create_questionnaire(
        session,
        system,
        QuestionnaireCreate.model_validate(
            {
                "org_unit_id": hongxing.town_id,
                "target_kind": "property_company",
                "title": "物业服务满意度评议",
                "items": ITEMS,
            }
        ),
    )
    dongfang = compounds["SL-C2-G1"].unit
    other = await bodies.create_body(
        session,
        system,
        PartnerBodyCreate(kind="property_company", name="东方物业", org_unit_id=dongfang.id),
    )
    today = datetime.now(BUSINESS_TZ).date()
    await bodies.add_contract(
        session,
        system,
        other.id,
        ContractCreate(
            org_unit_id=dongfang.id,
            starts_on=date(today.year - 1, 1, 1),
            ends_on=date(today.year + 1, 12, 31),
        ),
    )
    now = datetime.now(UTC)
    period, _ = _quarter(now)
    for code, body_id in (("SL-C1-G1", company), ("SL-C2-G1", other.id)):
        compound = compounds[code]
        evaluation = await evaluations.create_evaluation(
            session,
            system,
            EvaluationCreate(
                org_unit_id=compound.unit.id,
                questionnaire_id=questionnaire.id,
                body_id=body_id,
                period=period,
                opens_at=now - timedelta(days=7),
                closes_at=now + timedelta(days=23),
            ),
        )
        for (household, people), (c, s, r) in zip(compound.households, ANSWERS[code], strict=False):
            await evaluations.respond(
                session,
                _resident(people[0], household),
                evaluation.id,
                ResponseIn(answers={"cleaning": c, "security": s, "repair": r}),
            )
        await evaluations.close_evaluation(
            session, system, evaluation.id, etag_for(evaluation.version)
        )
