"""The shop under contention, on real separate connections (requests commit for real).

Neither a balance nor a stock may go below zero whatever the concurrency, and a
cancellation refunds once. Each test builds a fresh town
and removes every row it committed at the end.
"""

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.authz.models import RoleGrant
from app.config import Settings
from app.db.session import create_engine, create_session_factory
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord, OutboxEvent
from app.people.models import Person
from app.points import accounts, ledger
from app.points.models import (
    GENESIS_HASH,
    PointsAccount,
    PointsPeriodTotal,
    PointsPosting,
    PointsTransaction,
    Redemption,
    Reward,
)
from app.users.models import UserAccount
from tests.support.factory import bearer, make_person, make_unit, make_user

URL = "/api/v1/rewards"
PARALLEL = 100
CONNECTIONS = 20
PRICE = 7
_keys = itertools.count(1)


@dataclass
class Town:
    """A committed town: town → community → grid → building → household."""

    engine: AsyncEngine
    settings: Settings
    units: dict[str, OrgUnit]
    user_ids: list[int] = field(default_factory=list)

    @property
    def town_id(self) -> int:
        return self.units["town"].id

    async def reward(self, stock: int) -> int:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            unit = self.units["community"]
            reward = Reward(
                org_unit_id=unit.id,
                town_id=unit.town_id,
                community_id=unit.id,
                name="爱心大米",
                price_points=PRICE,
                stock=stock,
            )
            session.add(reward)
            await session.commit()
            return reward.id

    async def members(self, count: int, points: int) -> list[tuple[int, dict[str, str]]]:
        """``count`` members at the household, each funded with ``points``."""
        created = []
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            home = self.units["household"]
            system = await accounts.town_accounts(session, self.town_id)
            for _ in range(count):
                person = await make_person(session, home)
                user = await make_user(session, ("member", home), person_id=person.id)
                self.user_ids.append(user.id)
                account = await accounts.member_account(session, person.id)
                await ledger.post_transaction(
                    session,
                    txn_key=f"test-shop-fund:{person.id}:{next(_keys)}",
                    kind="manual_award",
                    town_id=self.town_id,
                    legs=[ledger.Leg(system.issuance_id, -points), ledger.Leg(account.id, points)],
                    bucket="earned",
                    reason="test funding",
                )
                created.append((person.id, bearer(self.settings, user)))
            await session.commit()
        return created

    async def scalar(self, statement: Any) -> Any:
        async with AsyncSession(self.engine) as session:
            return await session.scalar(statement)


@pytest.fixture
async def shop_client(
    app: FastAPI, settings: Settings, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """Requests that commit for real, on a pool of their own: 20 connections, for
    which the 100 requests queue as long as it takes (the app's pool would time some
    out on a loaded test machine, and that is not what these tests are about)."""
    patient = settings.model_copy(update={"db_connect_timeout": 60.0})
    engine = create_engine(
        patient, database_url, pool_size=CONNECTIONS, max_overflow=0, pool_timeout=300
    )
    # Open every connection before the burst, so the test measures contention on
    # rows, not how fast a loaded machine accepts 20 new connections.
    async with AsyncExitStack() as stack:
        for _ in range(CONNECTIONS):
            await stack.enter_async_context(engine.connect())
    original = app.state.session_factory
    app.state.session_factory = create_session_factory(engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        app.state.session_factory = original
        await engine.dispose()


@pytest.fixture
async def town(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Town]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        units: dict[str, OrgUnit] = {"town": await make_unit(session, "town", name="并发镇")}
        for level, parent in (
            ("community", "town"),
            ("grid", "community"),
            ("building", "grid"),
            ("household", "building"),
        ):
            units[level] = await make_unit(session, level, units[parent])
        await session.commit()
    built = Town(engine=engine, settings=settings, units=units)
    try:
        yield built
    finally:
        await _remove(engine, built)


async def _remove(engine: AsyncEngine, town: Town) -> None:
    """Delete everything the test committed in its town, ledger rows included.

    The ledger and the audit log are append-only by trigger; replica mode switches
    user triggers off for this one transaction so the test can remove its own rows.
    """
    town_id = town.town_id
    account_ids = select(PointsAccount.id).where(PointsAccount.town_id == town_id)
    subjects = [f"user:{user_id}" for user_id in town.user_ids]
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in (
            delete(IdempotencyRecord).where(IdempotencyRecord.subject.in_(subjects)),
            delete(OutboxEvent).where(OutboxEvent.town_id == town_id),
            delete(AuditEvent).where(AuditEvent.town_id == town_id),
            delete(Redemption).where(Redemption.town_id == town_id),
            delete(PointsPeriodTotal).where(PointsPeriodTotal.town_id == town_id),
            delete(PointsPosting).where(PointsPosting.account_id.in_(account_ids)),
            delete(PointsTransaction).where(PointsTransaction.town_id == town_id),
            delete(PointsAccount).where(PointsAccount.town_id == town_id),
            delete(Reward).where(Reward.town_id == town_id),
            delete(RoleGrant).where(RoleGrant.user_id.in_(town.user_ids)),
            delete(UserAccount).where(UserAccount.id.in_(town.user_ids)),
            delete(Person).where(Person.town_id == town_id),
            delete(OrgUnit).where(OrgUnit.town_id == town_id),
        ):
            await session.execute(statement)
    async with AsyncSession(engine) as session:
        left = await session.scalar(
            select(func.count())
            .select_from(PointsPosting)
            .where(PointsPosting.account_id.in_(account_ids))
        )
        assert left == 0


async def redeem_all(
    client: httpx.AsyncClient, reward_id: int, callers: list[dict[str, str]]
) -> list[httpx.Response]:
    async def one(headers: dict[str, str]) -> httpx.Response:
        key = {"Idempotency-Key": f"parallel-{next(_keys)}"}
        return await client.post(f"{URL}/{reward_id}/redeem", headers={**headers, **key})

    return list(await asyncio.gather(*(one(headers) for headers in callers)))


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )


async def assert_ledger_consistent(town: Town) -> None:
    """Every transaction sums to zero; each member balance equals its postings and
    its chain is contiguous and intact."""
    async with AsyncSession(town.engine) as session:
        unbalanced = await session.scalar(
            select(func.count()).select_from(
                select(PointsPosting.transaction_id)
                .join(PointsTransaction, PointsTransaction.id == PointsPosting.transaction_id)
                .where(PointsTransaction.town_id == town.town_id)
                .group_by(PointsPosting.transaction_id)
                .having(func.sum(PointsPosting.amount) != 0)
                .subquery()
            )
        )
        assert unbalanced == 0
        members = await session.execute(
            select(PointsAccount.id, PointsAccount.balance, PointsAccount.last_hash).where(
                PointsAccount.town_id == town.town_id, PointsAccount.kind == "member"
            )
        )
        for account_id, balance, last_hash in members:
            postings = (
                await session.execute(
                    select(PointsPosting)
                    .where(PointsPosting.account_id == account_id)
                    .order_by(PointsPosting.seq)
                )
            ).scalars()
            running, previous = 0, GENESIS_HASH
            for seq, posting in enumerate(postings, start=1):
                running += posting.amount
                assert (posting.seq, posting.balance_after) == (seq, running)
                assert posting.prev_hash == previous
                previous = ledger.chain_hash(
                    previous, account_id, seq, posting.transaction_id, posting.amount, running
                )
                assert posting.hash == previous
            assert (running, previous) == (balance, last_hash)


async def test_balance_covering_ten_admits_exactly_ten(
    shop_client: httpx.AsyncClient, town: Town
) -> None:
    reward_id = await town.reward(stock=1000)
    [(person_id, headers)] = await town.members(1, points=10 * PRICE)

    responses = await redeem_all(shop_client, reward_id, [headers] * PARALLEL)

    assert outcomes(responses) == {
        (201, None): 10,
        (409, "points.insufficient_balance"): PARALLEL - 10,
    }
    assert len({r.json()["pickup_code"] for r in responses if r.status_code == 201}) == 10
    assert await town.scalar(select(Reward.stock).where(Reward.id == reward_id)) == 990
    assert (
        await town.scalar(select(PointsAccount.balance).where(PointsAccount.person_id == person_id))
        == 0
    )
    redemptions = await town.scalar(
        select(func.count()).select_from(Redemption).where(Redemption.reward_id == reward_id)
    )
    assert redemptions == 10
    shop_account = select(PointsAccount.id).where(
        PointsAccount.town_id == town.town_id, PointsAccount.kind == "redemption"
    )
    shop_total = await town.scalar(
        select(func.sum(PointsPosting.amount)).where(PointsPosting.account_id.in_(shop_account))
    )
    assert shop_total == 10 * PRICE
    spent = await town.scalar(
        select(PointsPeriodTotal.spent)
        .join(PointsAccount, PointsAccount.id == PointsPeriodTotal.account_id)
        .where(PointsAccount.person_id == person_id, PointsPeriodTotal.period == "month")
    )
    assert spent == 10 * PRICE
    await assert_ledger_consistent(town)


async def test_stock_of_ten_sells_exactly_ten(shop_client: httpx.AsyncClient, town: Town) -> None:
    reward_id = await town.reward(stock=10)
    members = await town.members(PARALLEL, points=50)

    responses = await redeem_all(shop_client, reward_id, [headers for _, headers in members])

    assert outcomes(responses) == {(201, None): 10, (409, "reward.out_of_stock"): PARALLEL - 10}
    assert await town.scalar(select(Reward.stock).where(Reward.id == reward_id)) == 0
    async with AsyncSession(town.engine) as session:
        balances = Counter(
            (
                await session.scalars(
                    select(PointsAccount.balance).where(
                        PointsAccount.town_id == town.town_id, PointsAccount.kind == "member"
                    )
                )
            ).all()
        )
    assert balances == {50 - PRICE: 10, 50: PARALLEL - 10}
    await assert_ledger_consistent(town)


async def test_parallel_cancels_refund_and_restock_once(
    shop_client: httpx.AsyncClient, town: Town
) -> None:
    reward_id = await town.reward(stock=5)
    [(person_id, headers)] = await town.members(1, points=3 * PRICE)
    rounds = 3
    for _ in range(rounds):
        created = await shop_client.post(f"{URL}/{reward_id}/redeem", headers=headers)
        assert created.status_code == 201, created.text
        url = f"{URL}/redemptions/{created.json()['id']}/cancel"

        responses = await asyncio.gather(*(shop_client.post(url, headers=headers) for _ in "ab"))

        assert outcomes(list(responses)) == {(200, None): 1, (409, "redemption.not_pending"): 1}
        assert await town.scalar(select(Reward.stock).where(Reward.id == reward_id)) == 5
        balance = await town.scalar(
            select(PointsAccount.balance).where(PointsAccount.person_id == person_id)
        )
        assert balance == 3 * PRICE
    reversals = await town.scalar(
        select(func.count())
        .select_from(PointsTransaction)
        .where(
            PointsTransaction.town_id == town.town_id, PointsTransaction.reversal_of_id.is_not(None)
        )
    )
    assert reversals == rounds
    await assert_ledger_consistent(town)


async def test_cancel_racing_handover_has_one_winner(
    shop_client: httpx.AsyncClient, town: Town, engine: AsyncEngine, settings: Settings
) -> None:
    reward_id = await town.reward(stock=5)
    [(person_id, headers)] = await town.members(1, points=PRICE)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        staff = await make_user(session, ("community_admin", town.units["community"]))
        await session.commit()
    town.user_ids.append(staff.id)
    created = await shop_client.post(f"{URL}/{reward_id}/redeem", headers=headers)
    assert created.status_code == 201, created.text
    base = f"{URL}/redemptions/{created.json()['id']}"

    cancel, handover = await asyncio.gather(
        shop_client.post(f"{base}/cancel", headers=headers),
        shop_client.post(f"{base}/handover", headers=bearer(settings, staff)),
    )

    assert sorted([cancel.status_code, handover.status_code]) == [200, 409]
    status = await town.scalar(select(Redemption.status).where(Redemption.reward_id == reward_id))
    balance = await town.scalar(
        select(PointsAccount.balance).where(PointsAccount.person_id == person_id)
    )
    stock = await town.scalar(select(Reward.stock).where(Reward.id == reward_id))
    if cancel.status_code == 200:
        assert (status, balance, stock) == ("cancelled", PRICE, 5)
    else:
        assert (status, balance, stock) == ("handed_over", 0, 4)
    await assert_ledger_consistent(town)
