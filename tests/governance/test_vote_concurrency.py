"""One vote per household under real parallel connections (公议): N residents of one
household voting at once — each request on its own connection, committing for real —
count exactly one vote. Everything committed is removed afterwards."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.authz.models import RoleGrant
from app.config import Settings
from app.governance.deliberation.models import Matter, MatterBallot, MatterVote
from app.hierarchy.models import OrgUnit
from app.main import create_app
from app.people.models import Person
from app.users.models import UserAccount
from tests.conftest import make_settings
from tests.support.factory import bearer, make_person, make_tree, make_user

VOTERS = 12
"""People of one household; each sends two votes with different secrets at once."""


@dataclass
class Committed:
    units: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    matters: list[int] = field(default_factory=list)


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Committed]:
    made = Committed()
    try:
        yield made
    finally:
        async with AsyncSession(engine) as session, session.begin():
            # Ballots and votes are append-only by trigger; the cleanup of a test's own
            # rows bypasses triggers for its transaction only (test database).
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(delete(MatterVote).where(MatterVote.matter_id.in_(made.matters)))
            await session.execute(
                delete(MatterBallot).where(MatterBallot.matter_id.in_(made.matters))
            )
            await session.execute(delete(Matter).where(Matter.id.in_(made.matters)))
            await session.execute(
                delete(AuditEvent).where(AuditEvent.actor_user_id.in_(made.users))
            )
            await session.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(made.users)))
            await session.execute(delete(UserAccount).where(UserAccount.id.in_(made.users)))
            await session.execute(delete(Person).where(Person.id.in_(made.people)))
            await session.execute(delete(OrgUnit).where(OrgUnit.id.in_(made.units)))


@pytest.fixture
async def patient_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """``live_client``'s real session factory, on an app whose requests wait for a
    pooled connection rather than answer 503: the voters outnumber its eight connections
    (kept few so a busy shared server is not driven out of connections), so up to eight
    votes race in the database at any moment."""
    settings = make_settings(db_pool_timeout=120, db_pool_size=4, db_max_overflow=4)
    application = create_app(settings, database_url=database_url)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await application.state.engine.dispose()


async def test_a_household_voting_in_parallel_counts_once(
    engine: AsyncEngine, patient_client: httpx.AsyncClient, settings: Settings, committed: Committed
) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = await make_tree(session)
        committed.units += [u.id for u in units.values()]
        headers = []
        for _ in range(VOTERS):
            person = await make_person(session, units["h1"])  # all in the 中心户 h1
            user = await make_user(session, ("resident", units["h1"]), person_id=person.id)
            committed.people.append(person.id)
            committed.users.append(user.id)
            headers.append(bearer(settings, user))
        g1 = units["g1"]
        now = datetime.now(UTC)
        matter = Matter(
            title="增设充电棚",
            description="公议",
            org_unit_id=g1.id,
            status="voting",
            proposer_kind="staff",
            quorum_percent=50,
            threshold_percent=50,
            vote_opens_at=now,
            vote_closes_at=now + timedelta(hours=1),
            eligible_households=1,
            town_id=g1.town_id,
            community_id=g1.community_id,
            grid_id=g1.id,
        )
        session.add(matter)
        await session.flush()
        committed.matters.append(matter.id)
        await session.commit()

    url = f"/api/v1/matters/{matter.id}/votes"
    requests = [
        patient_client.post(
            url,
            json={"choice": choice, "ballot_secret": secrets.token_hex(16)},
            headers=h,
        )
        for h in headers
        for choice in ("yes", "no")
    ]
    responses = await asyncio.gather(*requests)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (2 * VOTERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"matter.already_voted"}
    winner = next(r for r in responses if r.status_code == 201).json()
    async with AsyncSession(engine) as session:
        ballots = await session.scalar(
            select(func.count()).where(MatterBallot.matter_id == matter.id)
        )
        votes = (
            await session.execute(
                select(MatterVote.receipt, MatterVote.choice).where(
                    MatterVote.matter_id == matter.id
                )
            )
        ).all()
    assert ballots == 1
    assert [tuple(v) for v in votes] == [(winner["receipt"], winner["choice"])]
