"""The demo town seeded on first start of the embedded default (``make run``).

石龙镇 with three communities, their grids (one a property company's 物业党支部),
buildings and member households; residents and party members with encrypted ID
numbers; one login per role; departments and a volunteer team; ~300 orders in every
state over the last 90 days; the points their closed orders earned; a shop per
community and a few redemptions; community participation (``participation.py``: a unit
paired with 红星社区, twenty members' 双报到 with their 三个一, last weekend's clean-up
with QR check-in, a 微心愿 fulfilled by a team); and a compound's governance
(``governance``). Everything except the historical orders goes through the same
services the API uses, as a system administrator.

Seeding is idempotent: it runs only into a database with no accounts yet, so a
second ``make run`` finds its data as it left it.
"""

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Grant, Principal
from app.config import get_settings
from app.demo.governance import STATION_LOGIN, seed_governance
from app.demo.orders import seed_demo_orders
from app.demo.participation import seed_participation
from app.errors import AppError
from app.hierarchy import service as hierarchy_service
from app.hierarchy.models import OrgUnit
from app.hierarchy.schemas import OrgUnitCreate
from app.kit.idcard import make_id_number
from app.orders.config import departments, teams
from app.orders.config.schemas import DepartmentCreate, VolunteerTeamCreate
from app.orders.models import ServiceOrder
from app.people import service as people_service
from app.people.members import service as member_service
from app.people.members.schemas import (
    MemberCreate,
)
from app.people.pii import codec_from_settings
from app.people.schemas import (
    PersonCreate,
)
from app.points import service as points_service
from app.points.shop import service as shop_service
from app.points.shop.schemas import RewardCreate
from app.users import service as users_service
from app.users.models import UserAccount
from app.users.schemas import GrantCreate, UserCreate

# Demo-only credentials, printed at start-up; never used outside the embedded default.
DEMO_PASSWORD = "Hongqi@2026"
DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "系统管理员 · superuser"),
    ("shilong_admin", "镇管理员 · town_admin @ 石龙镇"),
    ("hongxing_admin", "社区管理员 · community_admin @ 红星社区"),
    ("hongxing_dispatch", "派单员 · dispatcher @ 红星社区"),
    ("hongxing_grid", "网格员 · grid_worker @ 红星一网格"),
    ("chengguan", "职能部门 · department_staff @ 石龙镇 (城管执法中队)"),
    ("member_demo", "党员 · member @ 红星一网格"),
    ("resident_demo", "居民 · resident @ 红星社区 1栋101"),
    ("shilong_audit", "审计员 · auditor @ 石龙镇"),
    STATION_LOGIN,
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"]
REGION = "441900"  # 东莞市: 石龙镇 is one of its towns


@dataclass
class _Town:
    town: OrgUnit
    communities: list[OrgUnit]
    grids: list[OrgUnit]
    buildings: list[OrgUnit]
    households: list[OrgUnit]


async def seed_demo(session: AsyncSession) -> bool:
    accounts = (await session.execute(select(func.count()).select_from(UserAccount))).scalar_one()
    if accounts:
        return False
    admin = await users_service.create_superuser(
        session, username="admin", password=DEMO_PASSWORD, display_name="系统管理员"
    )
    system = Principal(
        kind="user",
        subject=f"user:{admin.id}",
        display_name=admin.display_name,
        user_id=admin.id,
        is_superuser=True,
    )
    rng = random.Random(2026)
    place = await _hierarchy(session, system)
    residents, members = await _people(session, system, place, rng)
    await _accounts(session, system, place, residents, members)
    await _departments_and_team(session, system, place, members)
    await seed_demo_orders(session, town_id=place.town.id)
    await _points(session, system, place, members)
    await seed_participation(session, system, place.town, place.communities, members)
    await seed_governance(
        session, system, place.grids, place.households, residents, members, DEMO_PASSWORD
    )
    return True


async def _unit(
    session: AsyncSession,
    system: Principal,
    level: str,
    name: str,
    code: str,
    parent: OrgUnit | None = None,
    **extra: object,
) -> OrgUnit:
    data = OrgUnitCreate.model_validate(
        {"name": name, "code": code, "level": level, "parent_id": parent and parent.id, **extra}
    )
    return await hierarchy_service.create_unit(session, system, data)


async def _hierarchy(session: AsyncSession, system: Principal) -> _Town:
    town = await _unit(session, system, "town", "石龙镇党委", "SL", address="东莞市石龙镇")
    place = _Town(town, [], [], [], [])
    for c, community_name in enumerate(["红星社区", "东方社区", "幸福社区"], start=1):
        community = await _unit(session, system, "community", community_name, f"SL-C{c}", town)
        place.communities.append(community)
        grid_specs = [("一网格", "compound"), ("二网格", "street")]
        if c == 1:
            grid_specs.append(("物业党支部", "functional"))
        for g, (suffix, kind) in enumerate(grid_specs, start=1):
            grid = await _unit(
                session,
                system,
                "grid",
                community_name[:2] + suffix,
                f"SL-C{c}-G{g}",
                community,
                grid_kind=kind,
            )
            place.grids.append(grid)
            for b in range(1, 3):
                building = await _unit(
                    session, system, "building", f"{b}栋党小组", f"SL-C{c}-G{g}-B{b}", grid
                )
                place.buildings.append(building)
                for h in range(1, 3):
                    household = await _unit(
                        session,
                        system,
                        "household",
                        f"{b}栋{h}01 党员中心户",
                        f"SL-C{c}-G{g}-B{b}-H{h}",
                        building,
                    )
                    place.households.append(household)
    return place


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


async def _people(
    session: AsyncSession, system: Principal, place: _Town, rng: random.Random
) -> tuple[list[int], list[tuple[int, OrgUnit]]]:
    codec = codec_from_settings(get_settings())
    residents: list[int] = []
    members: list[tuple[int, OrgUnit]] = []
    grid_of = {g.id: g for g in place.grids}
    for n, household in enumerate(place.households):
        for k in range(3):
            birth = date(1950 + rng.randrange(50), rng.randrange(1, 13), rng.randrange(1, 29))
            body = PersonCreate(
                name=_name(rng),
                home_unit_id=household.id,
                mobile=f"138{n:04d}{k:04d}"[:11],
                id_number=make_id_number(REGION, birth, f"{(n * 3 + k) % 1000:03d}"),
                address_building=household.name[:2],
                address_room=f"{k + 1}01",
            )
            person = await people_service.create_person(session, system, codec, body)
            residents.append(person.id)
            if k == 0:
                grid = grid_of[household.grid_id]  # type: ignore[index]
                await member_service.create_member(
                    session,
                    system,
                    codec,
                    MemberCreate(
                        person_id=person.id,
                        branch_id=grid.id,
                        join_date=date(1990 + rng.randrange(30), 7, 1),
                        is_in_service=rng.random() < 0.4,
                        residence_community_id=household.community_id,
                    ),
                )
                members.append((person.id, grid))
    return residents, members


async def _accounts(
    session: AsyncSession,
    system: Principal,
    place: _Town,
    residents: list[int],
    members: list[tuple[int, OrgUnit]],
) -> None:
    town, hongxing, grid = place.town, place.communities[0], place.grids[0]
    member_person, member_grid = members[0]
    specs = [
        ("shilong_admin", "石龙镇管理员", [("town_admin", town)], None),
        ("hongxing_admin", "红星社区书记", [("community_admin", hongxing)], None),
        ("hongxing_dispatch", "红星社区派单员", [("dispatcher", hongxing)], None),
        ("hongxing_grid", "红星一网格网格员", [("grid_worker", grid)], None),
        ("chengguan", "城管执法中队", [("department_staff", town)], None),
        ("member_demo", "党员示范户", [("member", member_grid)], member_person),
        ("resident_demo", "红星社区居民", [("resident", place.households[0])], residents[1]),
        ("shilong_audit", "石龙镇审计员", [("auditor", town)], None),
    ]
    for username, display, grants, person_id in specs:
        await users_service.create_user(
            session,
            system,
            UserCreate(
                username=username,
                display_name=display,
                password=DEMO_PASSWORD,
                person_id=person_id,
                grants=[GrantCreate(role=role, org_unit_id=unit.id) for role, unit in grants],
            ),
        )


async def _departments_and_team(
    session: AsyncSession, system: Principal, place: _Town, members: list[tuple[int, OrgUnit]]
) -> None:
    department_names = [("SL-CG", "城管执法中队"), ("SL-SCJG", "市场监管所"), ("SL-PCS", "派出所")]
    created = [
        await departments.create_department(
            session, system, DepartmentCreate(town_id=place.town.id, code=code, name=name)
        )
        for code, name in department_names
    ]
    staff = await session.scalar(select(UserAccount.id).where(UserAccount.username == "chengguan"))
    assert staff is not None
    await departments.add_department_member(session, system, created[0].id, staff)
    team = await teams.create_team(
        session,
        system,
        VolunteerTeamCreate(org_unit_id=place.communities[0].id, name="红星志愿服务队"),
    )
    for person_id, grid in members:
        if grid.community_id == place.communities[0].id:
            await teams.add_team_member(session, system, team.id, person_id)


async def _points(
    session: AsyncSession, system: Principal, place: _Town, members: list[tuple[int, OrgUnit]]
) -> None:
    closed = await session.scalars(
        select(ServiceOrder.id)
        .where(ServiceOrder.town_id == place.town.id, ServiceOrder.status == "closed")
        .order_by(ServiceOrder.closed_at)
    )
    for order_id in closed.all():
        await points_service.award_for_order(session, order_id, backdate=True)
    rewards = []
    for community, (name, price) in zip(
        place.communities, [("大米 5kg", 30), ("洗衣液", 20), ("理发券", 15)], strict=True
    ):
        reward = await shop_service.create_reward(
            session,
            system,
            RewardCreate(org_unit_id=community.id, name=name, price_points=price, stock=50),
        )
        rewards.append((community.id, reward.id))
    for person_id, grid in members[:6]:
        shop = next(reward for community, reward in rewards if community == grid.community_id)
        member = Principal(
            kind="user",
            subject=f"demo-person:{person_id}",
            display_name="demo member",
            person_id=person_id,
            grants=(
                Grant(
                    role="member",
                    org_unit_id=grid.id,
                    level="grid",
                    permissions=frozenset({"points.redeem"}),
                ),
            ),
        )
        try:
            async with session.begin_nested():
                await shop_service.redeem(session, member, shop, None)
        except AppError:  # a member who earned too little simply does not redeem
            continue


def print_demo_logins() -> None:
    print(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in DEMO_LOGINS:
        print(f"  {username:<18} {role}")
