"""四眼原则 under contention, on real separate connections (requests commit for real):
two approvers deciding the same request at the same moment post it exactly once, and
an approval racing a rejection has one winner. The test removes every row it wrote."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.authz.models import RoleGrant
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord, OutboxEvent
from app.people.models import Person
from app.points.models import (
    PointsAccount,
    PointsAdjustmentRequest,
    PointsPeriodTotal,
    PointsPosting,
    PointsTransaction,
)
from app.users.models import UserAccount
from tests.support.cleanup import purge_audit
from tests.support.factory import bearer, make_person, make_unit, make_user

API = "/api/v1/points"
ROUNDS = 5
AMOUNT = 800


@dataclass
class Town:
    engine: AsyncEngine
    units: dict[str, OrgUnit]
    person_id: int
    headers: dict[str, dict[str, str]]
    user_ids: list[int] = field(default_factory=list)

    async def scalar(self, statement: object) -> object:
        async with AsyncSession(self.engine) as session:
            return await session.scalar(statement)  # type: ignore[call-overload]


@pytest.fixture
async def town(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Town]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units = {"town": await make_unit(session, "town", name="四眼镇")}
        for level, parent in (
            ("community", "town"),
            ("grid", "community"),
            ("building", "grid"),
            ("household", "building"),
        ):
            units[level] = await make_unit(session, level, units[parent])
        person = await make_person(session, units["household"])
        users = {
            "requester": await make_user(session, ("community_admin", units["community"])),
            "first": await make_user(session, ("community_admin", units["community"])),
            "second": await make_user(session, ("town_admin", units["town"])),
        }
        await session.commit()
    built = Town(
        engine=engine,
        units=units,
        person_id=person.id,
        headers={name: bearer(settings, user) for name, user in users.items()},
        user_ids=[user.id for user in users.values()],
    )
    try:
        yield built
    finally:
        await _remove(built)


async def _remove(town: Town) -> None:
    """Delete everything the test committed; the ledger and the audit log are
    append-only by trigger, so replica mode lets this transaction remove its own rows."""
    town_id = town.units["town"].id
    account_ids = select(PointsAccount.id).where(PointsAccount.town_id == town_id)
    subjects = [f"user:{user_id}" for user_id in town.user_ids]
    async with AsyncSession(town.engine) as session, session.begin():
        await purge_audit(session, users=town.user_ids, towns=[town_id])
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in (
            delete(IdempotencyRecord).where(IdempotencyRecord.subject.in_(subjects)),
            delete(OutboxEvent).where(OutboxEvent.town_id == town_id),
            delete(PointsAdjustmentRequest).where(PointsAdjustmentRequest.town_id == town_id),
            delete(PointsPeriodTotal).where(PointsPeriodTotal.town_id == town_id),
            delete(PointsPosting).where(PointsPosting.account_id.in_(account_ids)),
            delete(PointsTransaction).where(PointsTransaction.town_id == town_id),
            delete(PointsAccount).where(PointsAccount.town_id == town_id),
            delete(RoleGrant).where(RoleGrant.user_id.in_(town.user_ids)),
            delete(UserAccount).where(UserAccount.id.in_(town.user_ids)),
            delete(Person).where(Person.town_id == town_id),
            delete(OrgUnit).where(OrgUnit.town_id == town_id),
        ):
            await session.execute(statement)


async def _request(client: httpx.AsyncClient, town: Town) -> int:
    response = await client.post(
        f"{API}/adjustments",
        json={"person_id": town.person_id, "amount": AMOUNT, "reason": "抗洪抢险突出贡献"},
        headers={**town.headers["requester"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def _outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )


async def test_two_approvers_at_once_post_exactly_once(
    live_client: httpx.AsyncClient, town: Town
) -> None:
    for done in range(1, ROUNDS + 1):
        request_id = await _request(live_client, town)
        url = f"{API}/adjustment-requests/{request_id}/approve"

        responses = await asyncio.gather(
            live_client.post(url, headers=town.headers["first"]),
            live_client.post(url, headers=town.headers["second"]),
        )

        assert _outcomes(list(responses)) == {(200, None): 1, (409, "points.request_decided"): 1}
        posted = await town.scalar(
            select(func.count())
            .select_from(PointsTransaction)
            .where(PointsTransaction.txn_key == f"adjustment-request:{request_id}")
        )
        assert posted == 1
        balance = await town.scalar(
            select(PointsAccount.balance).where(PointsAccount.person_id == town.person_id)
        )
        assert balance == done * AMOUNT


async def test_approval_racing_a_rejection_has_one_winner(
    live_client: httpx.AsyncClient, town: Town
) -> None:
    request_id = await _request(live_client, town)
    base = f"{API}/adjustment-requests/{request_id}"

    approve, reject = await asyncio.gather(
        live_client.post(f"{base}/approve", headers=town.headers["first"]),
        live_client.post(f"{base}/reject", json={"reason": "不符"}, headers=town.headers["second"]),
    )

    assert sorted([approve.status_code, reject.status_code]) == [200, 409]
    status = await town.scalar(
        select(PointsAdjustmentRequest.status).where(PointsAdjustmentRequest.id == request_id)
    )
    balance = await town.scalar(
        select(func.coalesce(func.sum(PointsAccount.balance), 0)).where(
            PointsAccount.person_id == town.person_id
        )
    )
    if approve.status_code == 200:
        assert (status, balance) == ("approved", AMOUNT)
    else:
        assert (status, balance) == ("rejected", 0)
