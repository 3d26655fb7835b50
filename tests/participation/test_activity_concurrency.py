"""Contested last places on real, separate connections with real commits: never
oversubscribed, the rest waiting in order (DESIGN.md: a read-then-write without a lock
or guard lets them all through).

The data is built and committed through the ``engine`` fixture, the requests go
through an app with its real session factory (one connection per request), and
everything committed is removed afterwards.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.authz.models import RoleGrant
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord
from app.participation.models import Activity, ActivitySignup
from app.people.models import Person
from app.users.models import UserAccount
from tests.conftest import make_settings
from tests.support.cleanup import purge_audit
from tests.support.factory import bearer, make_person, make_tree, make_user

CONTENDERS = 20
PLACES = 5


@dataclass
class Committed:
    units: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    activities: list[int] = field(default_factory=list)


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Committed]:
    made = Committed()
    try:
        yield made
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await purge_audit(session, users=made.users)
            await session.execute(
                delete(ActivitySignup).where(ActivitySignup.activity_id.in_(made.activities))
            )
            await session.execute(delete(Activity).where(Activity.id.in_(made.activities)))
            subjects = [f"user:{u}" for u in made.users]
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.subject.in_(subjects))
            )
            await session.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(made.users)))
            await session.execute(delete(UserAccount).where(UserAccount.id.in_(made.users)))
            await session.execute(delete(Person).where(Person.id.in_(made.people)))
            await session.execute(delete(OrgUnit).where(OrgUnit.id.in_(made.units)))


@pytest.fixture
async def patient_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Real commits, and requests that wait for a pooled connection instead of 503."""
    from app.main import create_app

    application = create_app(make_settings(db_pool_timeout=120), database_url=database_url)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await application.state.engine.dispose()


async def _world(
    engine: AsyncEngine, settings: Settings, committed: Committed, capacity: int
) -> tuple[int, list[dict[str, str]]]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = await make_tree(session)
        committed.units += [u.id for u in units.values()]
        headers = []
        for _ in range(CONTENDERS):
            person = await make_person(session, units["h1"])
            user = await make_user(session, ("resident", units["h1"]), person_id=person.id)
            committed.people.append(person.id)
            committed.users.append(user.id)
            headers.append(bearer(settings, user))
        starts = datetime.now(UTC) + timedelta(hours=1)
        c1 = units["c1"]
        activity = Activity(
            org_unit_id=c1.id,
            title="周末大清扫",
            kind="volunteer_service",
            place="社区广场",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=capacity,
            confirmed_count=0,
            audience="residents",
            organiser_kind="org_unit",
            status="open",
            town_id=c1.town_id,
            community_id=c1.id,
        )
        session.add(activity)
        await session.flush()
        committed.activities.append(activity.id)
        await session.commit()
    return activity.id, headers


async def test_twenty_racing_for_five_places(
    engine: AsyncEngine,
    patient_client: httpx.AsyncClient,
    settings: Settings,
    committed: Committed,
) -> None:
    activity_id, headers = await _world(engine, settings, committed, PLACES)

    responses = await asyncio.gather(
        *(
            patient_client.post(f"/api/v1/activities/{activity_id}/sign-up", headers=h)
            for h in headers
        )
    )

    assert [r.status_code for r in responses] == [201] * CONTENDERS, [
        r.text for r in responses if r.status_code != 201
    ]
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["confirmed"] * PLACES + ["waiting"] * (CONTENDERS - PLACES)
    positions = sorted(
        r.json()["waiting_position"] for r in responses if r.json()["waiting_position"]
    )
    assert positions == list(range(1, CONTENDERS - PLACES + 1))
    async with AsyncSession(engine) as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None and activity.confirmed_count == PLACES
        rows = (
            await session.execute(
                select(ActivitySignup.id, ActivitySignup.status)
                .where(ActivitySignup.activity_id == activity_id)
                .order_by(ActivitySignup.id)
            )
        ).all()
    # Places went to the first five rows written; the waiting list follows in order.
    assert [status for _, status in rows] == ["confirmed"] * PLACES + ["waiting"] * (
        CONTENDERS - PLACES
    )


async def test_cancellations_racing_promote_exactly_as_many(
    engine: AsyncEngine,
    patient_client: httpx.AsyncClient,
    settings: Settings,
    committed: Committed,
) -> None:
    activity_id, headers = await _world(engine, settings, committed, PLACES)
    url = f"/api/v1/activities/{activity_id}"
    for h in headers:  # in order: the first five hold the places
        assert (await patient_client.post(f"{url}/sign-up", headers=h)).status_code == 201

    cancelled = await asyncio.gather(
        *(patient_client.post(f"{url}/cancel-sign-up", headers=h) for h in headers[:3])
    )
    assert [r.status_code for r in cancelled] == [200] * 3

    async with AsyncSession(engine) as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None and activity.confirmed_count == PLACES
        statuses = (
            await session.scalars(
                select(ActivitySignup.status)
                .where(ActivitySignup.activity_id == activity_id)
                .order_by(ActivitySignup.id)
            )
        ).all()
    assert list(statuses) == (
        ["cancelled"] * 3 + ["confirmed"] * 2 + ["confirmed"] * 3 + ["waiting"] * 12
    )
