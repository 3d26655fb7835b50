"""The demo town's community participation (seeds 001-003), through the services.

- 县供销联社 (a unit of the town's registry) pairs with 红星社区 and commits to two
  things this year, one of them done;
- twenty of the town's members are its in-service members: each reports to their home
  community (with the 三个一: the community's team, their own building's first
  entrance, the area around it) and to 红星社区, the unit's linked community;
- last Saturday morning the unit ran an environment clean-up at 红星社区 (capacity 30):
  twelve signed up, ten checked in and out by scanning the organiser's code (one came
  late, one left early), two never came; closing paid each attendant the
  volunteer_service points, dated on the day;
- a 微心愿 of a 红星社区 resident was claimed by 红星志愿服务队 (three of its members)
  and fulfilled, with a story and the resident's thanks.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import PARTICIPATION_JOIN
from app.authz.principal import Grant, Principal
from app.authz.scope import Scope
from app.config import get_settings
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.orders.config import teams
from app.orders.config.schemas import TeamKind, VolunteerTeamCreate, VolunteerTeamUpdate
from app.orders.models import VolunteerTeam
from app.participation import attendance, signups
from app.participation import service as activities
from app.participation.registrations import service as registrations
from app.participation.registrations.schemas import (
    RegistrationCreate,
    RegistrationKind,
    ThreeOnesUpdate,
)
from app.participation.schemas import ActivityCreate, CodeAction, OrganiserKind
from app.participation.units import commitments
from app.participation.units import service as units
from app.participation.units.schemas import (
    CommitmentCreate,
    CommitmentKind,
    CommitmentStatus,
    CommitmentUpdate,
    PairingCreate,
    WorkUnitCreate,
    WorkUnitKind,
)
from app.participation.wishes import service as wishes
from app.participation.wishes.schemas import ClaimantKind, ClaimIn, FulfilIn, WishCreate
from app.people import service as people_service
from app.people.members import service as member_service
from app.people.members.schemas import MemberUpdate
from app.people.models import PartyMember, Person
from app.people.pii import codec_from_settings

UNIT_NAME = "县供销联社"
REGISTERED = 20
SIGNED_UP = 12
# Arrival and departure of the ten who came (minutes after 09:00; the activity runs to 11:30).
CAME = [(-5, 155)] * 8 + [(30, 155), (-5, 60)]


@dataclass(frozen=True)
class Seeded:
    unit_id: int
    activity_id: int
    wish_id: int


def last_saturday(today: date) -> date:
    """The last Saturday before today (a week back on a Saturday)."""
    return today - timedelta(days=(today.weekday() - 5) % 7 or 7)


def _participant(person_id: int, grid: OrgUnit) -> Principal:
    return Principal(
        kind="user",
        subject=f"demo-person:{person_id}",
        display_name="demo participant",
        person_id=person_id,
        grants=(
            Grant(
                role="member",
                org_unit_id=grid.id,
                level="grid",
                permissions=frozenset({PARTICIPATION_JOIN}),
            ),
        ),
    )


async def seed_participation(
    session: AsyncSession,
    system: Principal,
    town: OrgUnit,
    communities: list[OrgUnit],
    members: list[tuple[int, OrgUnit]],
) -> Seeded:
    hongxing = communities[0]
    unit_id = await _unit(session, system, town, hongxing)
    community_teams = await _teams(session, system, communities)
    registered = members[:REGISTERED]
    for person_id, grid in registered:
        await _register(session, system, unit_id, person_id, grid, hongxing, community_teams)
    activity_id = await _weekend_activity(session, system, unit_id, hongxing, registered)
    wish_id = await _wish(session, system, hongxing, community_teams[hongxing.id], registered)
    return Seeded(unit_id=unit_id, activity_id=activity_id, wish_id=wish_id)


async def _unit(session: AsyncSession, system: Principal, town: OrgUnit, paired: OrgUnit) -> int:
    unit = await units.create_unit(
        session,
        system,
        WorkUnitCreate(
            org_unit_id=town.id,
            name=UNIT_NAME,
            kind=WorkUnitKind.government,
            party_org_name=f"{UNIT_NAME}机关党支部",
            contact_name="陈主任",
            contact_phone="0769-22221234",
        ),
    )
    pairing = await units.create_pairing(
        session, system, unit.id, PairingCreate(org_unit_id=paired.id, started_on=date(2026, 1, 1))
    )
    year = datetime.now(BUSINESS_TZ).year
    lights = await commitments.create_commitment(
        session,
        system,
        pairing.id,
        CommitmentCreate(year=year, kind=CommitmentKind.livelihood, title="老旧楼栋加装声控照明"),
    )
    await commitments.update_commitment(
        session,
        system,
        lights.id,
        CommitmentUpdate(
            status=CommitmentStatus.done,
            done_on=date(year, 10, 12),
            result="红星社区 4 栋楼加装 32 盏",
        ),
        'W/"1"',
    )
    await commitments.create_commitment(
        session,
        system,
        pairing.id,
        CommitmentCreate(year=year, kind=CommitmentKind.party_project, title="小区党群议事角"),
    )
    return unit.id


async def _teams(
    session: AsyncSession, system: Principal, communities: list[OrgUnit]
) -> dict[int, int]:
    """The volunteer team of each community: 红星志愿服务队 (seeded with the orders'
    departments), and an open neighbours' team in the others."""
    teams_by_community: dict[int, int] = {}
    existing = await session.scalars(select(VolunteerTeam).order_by(VolunteerTeam.id))
    for team in existing:
        teams_by_community.setdefault(team.org_unit_id, team.id)
    for community in communities:
        if community.id in teams_by_community:
            continue
        created = await teams.create_team(
            session,
            system,
            VolunteerTeamCreate(
                org_unit_id=community.id,
                name=f"{community.name}邻里志愿服务队",
                kind=TeamKind.service,
                members_only=False,
                is_open=True,
            ),
        )
        teams_by_community[community.id] = created.id
    return teams_by_community


async def _register(
    session: AsyncSession,
    system: Principal,
    unit_id: int,
    person_id: int,
    grid: OrgUnit,
    linked: OrgUnit,
    community_teams: dict[int, int],
) -> None:
    """在职党员: on the roster, in service at the unit, 双报到 with the 三个一."""
    codec = codec_from_settings(get_settings())
    member = await session.scalar(select(PartyMember).where(PartyMember.person_id == person_id))
    assert member is not None
    await member_service.update_member(
        session,
        system,
        codec,
        member.id,
        MemberUpdate(is_in_service=True, employer_unit=UNIT_NAME),
        f'W/"{member.version}"',
    )
    await units.add_to_roster(session, system, unit_id, person_id)
    person = await people_service.get_person(session, system, codec, person_id)
    community_id = grid.community_id or grid.id
    home_body = RegistrationCreate(
        kind=RegistrationKind.home, org_unit_id=community_id, person_id=person_id
    )
    home = await registrations.register(session, system, home_body)
    await registrations.take_up_three_ones(
        session,
        system,
        home.id,
        ThreeOnesUpdate(
            volunteer_team_id=community_teams[community_id],
            linked_building_id=person.building_id,
            linked_entrance="1单元",
            responsibility_area=f"{grid.name}{person.address_building or ''}周边环境卫生",
        ),
        'W/"1"',
    )
    await registrations.register(
        session,
        system,
        RegistrationCreate(
            kind=RegistrationKind.linked, org_unit_id=linked.id, person_id=person_id
        ),
    )


async def _weekend_activity(
    session: AsyncSession,
    system: Principal,
    unit_id: int,
    community: OrgUnit,
    registered: list[tuple[int, OrgUnit]],
) -> int:
    saturday = last_saturday(datetime.now(BUSINESS_TZ).date())
    starts = datetime.combine(saturday, time(9, 0), BUSINESS_TZ)
    activity = await activities.create_activity(
        session,
        system,
        ActivityCreate(
            org_unit_id=community.id,
            title="周末环境卫生大清扫",
            description="清理背街小巷和小广告，修补台阶，摆放非机动车",
            kind="volunteer_service",
            place=f"{community.name}生资公司宿舍小区",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2, minutes=30),
            capacity=30,
            organiser_kind=OrganiserKind.work_unit,
            organiser_id=unit_id,
        ),
    )
    who = [_participant(person_id, grid) for person_id, grid in registered[:SIGNED_UP]]
    for principal in who:
        await signups.sign_up(session, principal, activity.id, now=starts - timedelta(days=2))
    codes = attendance.checkin_codes(get_settings().secret_key)
    for principal, (came, left) in zip(who, CAME, strict=False):
        for action, minutes in ((CodeAction.check_in, came), (CodeAction.check_out, left)):
            at = starts + timedelta(minutes=minutes)
            code = await attendance.checkin_code(
                session, system, activity.id, action, codes, now=at - timedelta(seconds=10)
            )
            await attendance.scan(
                session, principal, activity.id, action, code.token, codes, now=at
            )
    await attendance.close_activity(
        session, system, activity.id, None, now=starts + timedelta(hours=3)
    )
    return activity.id


async def _wish(
    session: AsyncSession,
    system: Principal,
    community: OrgUnit,
    team_id: int,
    registered: list[tuple[int, OrgUnit]],
) -> int:
    """微心愿: claimed by the community's team, three of its members taking part."""
    resident = await _a_resident(session, community)
    wish = await wishes.post_wish(
        session,
        system,
        WishCreate(
            wisher_person_id=resident,
            title="想要一台收音机",
            description="独居老人，眼睛不好，想每天听听广播",
        ),
    )
    team = await teams.get_team(session, system, team_id)
    people = [
        person_id
        for person_id, _ in registered
        if await teams.is_member(session, team.id, person_id)
    ][:3]
    await teams.update_team(
        session, system, team.id, VolunteerTeamUpdate(leader_person_id=people[0])
    )
    today = datetime.now(BUSINESS_TZ).date()
    await wishes.claim(
        session,
        system,
        wish.id,
        ClaimIn(
            claimant_kind=ClaimantKind.team,
            team_id=team.id,
            participant_ids=people,
            pledge_date=today + timedelta(days=7),
        ),
    )
    await wishes.fulfil(
        session,
        system,
        wish.id,
        FulfilIn(
            photos=["https://files.example.cn/demo/wish-radio-1.jpg"],
            story="三名队员周日上午送去收音机，帮老人调好了戏曲频道",
        ),
    )
    await wishes.thank(session, system, wish.id, "谢谢志愿者们，天天都能听戏了！")
    return wish.id


async def _a_resident(session: AsyncSession, community: OrgUnit) -> int:
    """A 红星社区 resident who is not a party member."""
    members = select(PartyMember.person_id)
    found = await session.scalar(
        select(Person.id)
        .where(
            Scope.of([("community", community.id)]).clause(Person),
            Person.id.not_in(members),
        )
        .order_by(Person.id.desc())
        .limit(1)
    )
    assert found is not None
    return found
