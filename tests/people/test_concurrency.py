"""Creates at the same time, on real separate connections: one ID number twice, one
Idempotency-Key many times."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.authz.models import RoleGrant
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord
from app.people.models import Person
from app.people.pii import PiiCodec
from app.users.models import UserAccount
from tests.people.conftest import id_number
from tests.support.factory import bearer, make_tree, make_user

PAIRS = 5


@pytest.fixture
async def committed(engine: AsyncEngine, settings: Settings) -> AsyncIterator[dict[str, object]]:
    """A committed tree and admin; everything it leads to is deleted afterwards."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = await make_tree(session)
        admin = await make_user(session, ("town_admin", units["town"]))
        await session.commit()
    town_ids = [units["town"].id, units["other_town"].id]
    try:
        yield {"units": units, "headers": bearer(settings, admin)}
    finally:
        async with AsyncSession(engine) as session, session.begin():
            # audit_event is append-only by trigger (等保 2.0); replica mode lets the
            # test remove only the rows it wrote.
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(delete(AuditEvent).where(AuditEvent.town_id.in_(town_ids)))
            await session.execute(delete(Person).where(Person.town_id.in_(town_ids)))
            subject = IdempotencyRecord.subject == f"user:{admin.id}"
            await session.execute(delete(IdempotencyRecord).where(subject))
            await session.execute(delete(RoleGrant).where(RoleGrant.user_id == admin.id))
            await session.execute(delete(UserAccount).where(UserAccount.id == admin.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.town_id.in_(town_ids)))


async def test_same_id_number_in_parallel_admits_exactly_one(
    live_client: httpx.AsyncClient,
    committed: dict[str, object],
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    units = committed["units"]
    assert isinstance(units, dict)
    headers = committed["headers"]
    assert isinstance(headers, dict)
    numbers = [id_number(date(1980, 1, 1 + i), region="320102") for i in range(PAIRS)]

    async def create(number: str, home: OrgUnit) -> httpx.Response:
        body = {"name": "并发", "home_unit_id": home.id, "id_number": number}
        return await live_client.post("/api/v1/people", json=body, headers=headers)

    responses = await asyncio.gather(
        *(create(n, units[home]) for n in numbers for home in ("h1", "b2"))
    )
    codec = PiiCodec(settings.pii_key)
    async with AsyncSession(engine) as session:
        for i, number in enumerate(numbers):
            pair = responses[2 * i : 2 * i + 2]
            assert sorted(r.status_code for r in pair) == [201, 409], [r.text for r in pair]
            loser = next(r for r in pair if r.status_code == 409)
            assert loser.json()["code"] == "person.id_number_taken"
            stored = await session.scalars(
                select(Person.id).where(Person.id_number_hash == codec.index(number))
            )
            winner = next(r for r in pair if r.status_code == 201)
            assert stored.all() == [winner.json()["id"]]


async def test_one_idempotency_key_in_parallel_registers_one_person(
    live_client: httpx.AsyncClient, committed: dict[str, object], engine: AsyncEngine
) -> None:
    units = committed["units"]
    assert isinstance(units, dict)
    headers = committed["headers"]
    assert isinstance(headers, dict)
    body = {"name": "重试的登记", "home_unit_id": units["h1"].id}
    keyed = {**headers, "Idempotency-Key": "register-once"}

    responses = await asyncio.gather(
        *(live_client.post("/api/v1/people", json=body, headers=keyed) for _ in range(8))
    )

    firsts = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    replays = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    busy = [r for r in responses if r.status_code == 409]
    assert len(firsts) == 1, [r.text for r in responses]
    assert len(firsts) + len(replays) + len(busy) == len(responses)
    assert {r.json()["code"] for r in busy} <= {"idempotency.in_progress"}
    first = firsts[0]
    for replay in replays:
        assert (replay.status_code, replay.json()) == (201, first.json())
        assert replay.headers["location"] == first.headers["location"]
        assert replay.headers["etag"] == first.headers["etag"]
    async with AsyncSession(engine) as session:
        stored = await session.scalars(select(Person.id).where(Person.name == "重试的登记"))
        assert stored.all() == [first.json()["id"]]
