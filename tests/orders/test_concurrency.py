"""Races on real, separate connections with real commits: exactly one racer wins.

The data is built and committed through the ``engine`` fixture, the requests go
through an app with its real session factory (one connection per request, as
``live_client``), and everything committed is removed afterwards.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.authz.models import RoleGrant
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord, OutboxEvent
from app.kit.calendar import BUSINESS_TZ
from app.orders.models import (
    OrderNumberCounter,
    OrderSecond,
    ServiceOrder,
    ServiceOrderEvent,
)
from app.people.models import Person
from app.users.models import UserAccount
from tests.conftest import make_settings
from tests.orders.conftest import URL
from tests.support.factory import bearer, make_order, make_person, make_tree, make_user

CLAIMANTS = 50


@dataclass
class Committed:
    """What a test committed, so it can all be removed again."""

    units: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    counter: tuple[datetime, int | None] | None = None


async def _cleanup(engine: AsyncEngine, made: Committed) -> None:
    async with AsyncSession(engine) as session, session.begin():
        # The order history is append-only by trigger; a test's cleanup bypasses
        # triggers for its own transaction only (replica role, test database).
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        made.orders += (
            await session.scalars(
                select(ServiceOrder.id).where(ServiceOrder.submitted_by_user_id.in_(made.users))
            )
        ).all()
        ids = [str(i) for i in made.orders]
        await session.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_id.in_(ids)))
        orders = AuditEvent.target_type == "order"
        await session.execute(delete(AuditEvent).where(orders, AuditEvent.target_id.in_(ids)))
        await session.execute(
            delete(ServiceOrderEvent).where(ServiceOrderEvent.order_id.in_(made.orders))
        )
        await session.execute(delete(OrderSecond).where(OrderSecond.order_id.in_(made.orders)))
        await session.execute(delete(ServiceOrder).where(ServiceOrder.id.in_(made.orders)))
        subjects = [f"user:{u}" for u in made.users]
        await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.subject.in_(subjects))
        )
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(made.users)))
        await session.execute(delete(UserAccount).where(UserAccount.id.in_(made.users)))
        await session.execute(delete(Person).where(Person.id.in_(made.people)))
        await session.execute(delete(OrgUnit).where(OrgUnit.id.in_(made.units)))
        if made.counter is not None:
            day, value = made.counter
            counter = delete(OrderNumberCounter).where(OrderNumberCounter.day == day.date())
            await session.execute(counter)
            if value is not None:
                session.add(OrderNumberCounter(day=day.date(), last_value=value))


@pytest.fixture
async def patient_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Like ``live_client`` (the app's own session factory, real commits), on an app
    whose requests wait for a pooled connection instead of answering 503: the 50
    claimants share its 25 connections, and a loaded test machine must not decide
    the outcome."""
    from app.main import create_app

    application = create_app(make_settings(db_pool_timeout=120), database_url=database_url)
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await application.state.engine.dispose()


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Committed]:
    made = Committed()
    try:
        yield made
    finally:
        await _cleanup(engine, made)


async def test_fifty_members_claim_one_pooled_order_exactly_one_wins(
    engine: AsyncEngine, patient_client: httpx.AsyncClient, settings: Settings, committed: Committed
) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = await make_tree(session)
        committed.units += [u.id for u in units.values()]
        headers, person_of = [], {}
        for _ in range(CLAIMANTS):
            person = await make_person(session, units["b1"])
            user = await make_user(session, ("member", units["c1"]), person_id=person.id)
            committed.people.append(person.id)
            committed.users.append(user.id)
            headers.append(bearer(settings, user))
            person_of[headers[-1]["Authorization"]] = person.id
        order = await make_order(session, units["h1"], status="pooled", assignee_kind="pool")
        committed.orders.append(order.id)
        await session.commit()

    responses = await asyncio.gather(
        *(patient_client.post(f"{URL}/{order.id}/claim", headers=h) for h in headers)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CLAIMANTS - 1), [
        r.text for r in responses if r.status_code not in (200, 409)
    ]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "order.already_claimed"
    }
    winner = next(r for r in responses if r.status_code == 200)
    async with AsyncSession(engine) as session:
        stored = await session.get(ServiceOrder, order.id)
        assert stored is not None
        assert (stored.status, stored.version) == ("in_progress", 2)
        assert stored.assignee_person_id == winner.json()["assignee"]["person_id"]
        assert stored.assignee_person_id == person_of[winner.request.headers["Authorization"]]
        claims = await session.scalar(
            select(func.count()).where(
                ServiceOrderEvent.order_id == order.id, ServiceOrderEvent.step == "claim"
            )
        )
        published = await session.scalar(
            select(func.count()).where(
                OutboxEvent.aggregate_id == str(order.id), OutboxEvent.event_type == "order.claimed"
            )
        )
    assert (claims, published) == (1, 1)


async def _resident(
    engine: AsyncEngine, settings: Settings, committed: Committed
) -> dict[str, str]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        today = datetime.now(BUSINESS_TZ)
        counter = await session.get(OrderNumberCounter, today.date())
        committed.counter = (today, counter.last_value if counter else None)
        units = await make_tree(session)
        committed.units += [u.id for u in units.values()]
        person = await make_person(session, units["h1"])
        user = await make_user(session, ("resident", units["h1"]), person_id=person.id)
        committed.people.append(person.id)
        committed.users.append(user.id)
        await session.commit()
    return bearer(settings, user)


BODY = {"category": "repair", "title": "水管漏水", "description": "厨房水管漏水", "channel": "app"}


async def test_one_idempotency_key_in_parallel_files_one_order(
    engine: AsyncEngine, patient_client: httpx.AsyncClient, settings: Settings, committed: Committed
) -> None:
    headers = await _resident(engine, settings, committed) | {"Idempotency-Key": "k-parallel-1"}

    responses = await asyncio.gather(
        *(patient_client.post(URL, json=BODY, headers=headers) for _ in range(10))
    )

    firsts = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    replays = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    busy = [r for r in responses if r.status_code == 409]
    assert len(firsts) == 1
    assert len(firsts) + len(replays) + len(busy) == 10
    assert {r.json()["code"] for r in busy} <= {"idempotency.in_progress"}
    assert all(r.json() == firsts[0].json() for r in replays)
    user_id = committed.users[0]
    async with AsyncSession(engine) as session:
        filed = (
            await session.scalars(
                select(ServiceOrder.number).where(ServiceOrder.submitted_by_user_id == user_id)
            )
        ).all()
    assert filed == [firsts[0].json()["number"]]

    # After completion: the same response again, marked as a replay.
    again = await patient_client.post(URL, json=BODY, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == firsts[0].json()
    assert again.headers["ETag"] == firsts[0].headers["ETag"]

    # The same key with another body is refused.
    other = await patient_client.post(URL, json=BODY | {"title": "别的问题"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"
