"""A Hypothesis state machine over random awards, deductions, redemptions at the
shop, handovers, reversals and cancellations: after any sequence ``verify-ledger`` is
clean, and every balance and stock equals the model's (balances also the sum of
their postings).

Each example runs in its own transaction on its own connection (rolled back at the
end), each step in a savepoint, so a refused step changes nothing — as a refused
request would not. The machine drives an event loop of its own because Hypothesis
stateful tests are synchronous.
"""

import asyncio
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, AsyncTransaction

from app.authz.principal import Grant, Principal
from app.config import Settings
from app.db.session import create_engine
from app.points import service, verify
from app.points.errors import (
    AlreadyReversed,
    InsufficientPoints,
    NotReversible,
    ReverseRedemptionViaShop,
)
from app.points.models import PointsAccount, PointsPosting, Reward
from app.points.schemas import AdjustmentCreate, ReversalCreate
from app.points.shop import service as shop_service
from app.points.shop.errors import RedemptionNotPending
from tests.support.factory import make_person, make_tree, make_user

T = TypeVar("T")
PEOPLE = 3
PRICES = (5, 12, 30)
STOCK = 1000
_keys = itertools.count(1)


@dataclass
class Txn:
    id: int
    kind: str
    deltas: dict[int, int]
    """Change of each person's balance."""
    reversed: bool = False
    redemption_id: int | None = None
    reward: int | None = None
    status: str | None = None
    """A redemption's status: pending_pickup, handed_over or cancelled."""


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    runs: int = 0
    verified: int = 0
    steps: dict[str, int] = field(default_factory=dict)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)


HARNESS: Harness | None = None


def harness() -> Harness:
    assert HARNESS is not None
    return HARNESS


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.balances = [0] * PEOPLE
        self.stock = [STOCK] * len(PRICES)
        self.txns: list[Txn] = []
        harness().runs += 1
        harness().run(self._open())

    async def _open(self) -> None:
        self.connection: AsyncConnection = await harness().engine.connect()
        self.outer: AsyncTransaction = await self.connection.begin()
        self.session = AsyncSession(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        units = await make_tree(self.session)
        homes = [units["h1"], units["b1"], units["b2"]]
        self.people: list[int] = []
        self.members: list[Principal] = []
        for home in homes:
            person = await make_person(self.session, home)
            user = await make_user(self.session, ("member", home), person_id=person.id)
            self.people.append(person.id)
            self.members.append(
                Principal(
                    kind="user",
                    subject=f"user:{user.id}",
                    display_name=user.display_name,
                    user_id=user.id,
                    person_id=person.id,
                    grants=(Grant("member", home.id, home.level, frozenset({"points.redeem"})),),
                )
            )
        admin = await make_user(self.session, superuser=True)
        self.staff = Principal(
            kind="user",
            subject=f"user:{admin.id}",
            display_name="admin",
            user_id=admin.id,
            is_superuser=True,
        )
        town = units["town"]
        self.rewards = []
        for price in PRICES:
            reward = Reward(
                org_unit_id=town.id,
                name=f"商品{price}",
                price_points=price,
                stock=STOCK,
                town_id=town.id,
            )
            self.session.add(reward)
            await self.session.flush()
            self.rewards.append(reward.id)

    def _count(self, step: str) -> None:
        harness().steps[step] = harness().steps.get(step, 0) + 1

    async def _step(self, work: Coroutine[Any, Any, T]) -> T:
        async with self.session.begin_nested():
            return await work

    def _refused(self, error: type[Exception], work: Coroutine[Any, Any, Any], step: str) -> None:
        with pytest.raises(error):
            harness().run(self._step(work))
        self._count(f"{step} refused ({error.__name__})")

    # ------------------------------------------------------------ steps

    @rule(person=st.integers(0, PEOPLE - 1), amount=st.integers(20, 150))
    def award(self, person: int, amount: int) -> None:
        txn = harness().run(self._step(self._adjust(person, amount)))
        self.balances[person] += amount
        self.txns.append(Txn(txn, "manual_award", {person: amount}))
        self._count("award")

    @rule(person=st.integers(0, PEOPLE - 1), amount=st.integers(1, 40))
    def deduct(self, person: int, amount: int) -> None:
        if self.balances[person] < amount:
            self._refused(InsufficientPoints, self._adjust(person, -amount), "deduct")
            return
        txn = harness().run(self._step(self._adjust(person, -amount)))
        self.balances[person] -= amount
        self.txns.append(Txn(txn, "manual_deduction", {person: -amount}))
        self._count("deduct")

    @rule(person=st.integers(0, PEOPLE - 1), reward=st.integers(0, len(PRICES) - 1))
    def redeem(self, person: int, reward: int) -> None:
        price = PRICES[reward]
        work = shop_service.redeem(self.session, self.members[person], self.rewards[reward], None)
        if self.balances[person] < price:
            self._refused(InsufficientPoints, work, "redeem")
            return
        redemption = harness().run(self._step(work))
        self.balances[person] -= price
        self.stock[reward] -= 1
        self.txns.append(
            Txn(
                redemption.transaction_id,
                "redemption",
                {person: -price},
                redemption_id=redemption.id,
                reward=reward,
                status="pending_pickup",
            )
        )
        self._count("redeem")

    @precondition(lambda self: any(t.status == "pending_pickup" for t in self.txns))
    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        pending = [t for t in self.txns if t.status == "pending_pickup"]
        txn = data.draw(st.sampled_from(pending), label="redemption")
        assert txn.redemption_id is not None
        handed = harness().run(
            self._step(shop_service.hand_over(self.session, self.staff, txn.redemption_id))
        )
        assert handed.status == "handed_over"
        txn.status = "handed_over"
        self._count("hand over")

    @precondition(lambda self: bool(self.txns))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        txn = data.draw(st.sampled_from(self.txns[::-1]), label="transaction")
        expected: type[Exception] | None = None
        if txn.kind == "redemption":
            expected = ReverseRedemptionViaShop  # the shop's cancel refunds and restocks
        elif txn.kind == "reversal":
            expected = NotReversible
        elif txn.reversed:
            expected = AlreadyReversed
        elif any(self.balances[p] - delta < 0 for p, delta in txn.deltas.items()):
            expected = InsufficientPoints
        if expected is not None:
            self._refused(expected, self._reverse(txn), "reverse")
            return
        reversal_id = harness().run(self._step(self._reverse(txn)))
        self._undo(txn, reversal_id)
        self._count("reverse")

    @precondition(lambda self: any(t.kind == "redemption" for t in self.txns))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        redemptions = [t for t in self.txns if t.kind == "redemption"]
        txn = data.draw(st.sampled_from(redemptions[::-1]), label="redemption")
        assert txn.redemption_id is not None and txn.reward is not None
        person = next(iter(txn.deltas))
        work = shop_service.cancel(self.session, self.members[person], txn.redemption_id)
        if txn.status != "pending_pickup":
            self._refused(RedemptionNotPending, work, "cancel")
            return
        cancelled = harness().run(self._step(work))
        assert cancelled.status == "cancelled" and cancelled.refund_transaction_id is not None
        self._undo(txn, cancelled.refund_transaction_id)
        self.stock[txn.reward] += 1
        txn.status = "cancelled"
        self._count("cancel")

    def _undo(self, txn: Txn, reversal_id: int) -> None:
        for p, delta in txn.deltas.items():
            self.balances[p] -= delta
        txn.reversed = True
        undo = {p: -delta for p, delta in txn.deltas.items()}
        self.txns.append(Txn(reversal_id, "reversal", undo))

    # ------------------------------------------------------------ the system

    async def _adjust(self, person: int, amount: int) -> int:
        change = AdjustmentCreate(person_id=self.people[person], amount=amount, reason="性质测试")
        return (
            await service.adjust(
                self.session, self.staff, change, f"k{next(_keys)}", threshold=10**9
            )
        ).id

    async def _reverse(self, txn: Txn) -> int:
        reversal = await service.reverse_transaction(
            self.session, self.staff, txn.id, ReversalCreate(reason="冲正")
        )
        return reversal.id

    # ------------------------------------------------------------ checks

    async def _balances(self) -> tuple[list[int], list[int]]:
        """Each person's balance on the account row and summed from the postings."""
        posted = (
            select(PointsPosting.account_id, func.sum(PointsPosting.amount).label("total"))
            .group_by(PointsPosting.account_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(PointsAccount.person_id, PointsAccount.balance, posted.c.total)
            .join(posted, posted.c.account_id == PointsAccount.id)
            .where(PointsAccount.person_id.in_(self.people))
        )
        found = {row.person_id: (row.balance, row.total) for row in rows}
        pairs = [found.get(person_id, (0, 0)) for person_id in self.people]
        return [int(b) for b, _ in pairs], [int(t) for _, t in pairs]

    async def _stock(self) -> list[int]:
        rows = await self.session.execute(
            select(Reward.id, Reward.stock).where(Reward.id.in_(self.rewards))
        )
        stock = {row.id: row.stock for row in rows}
        return [stock[reward_id] for reward_id in self.rewards]

    @invariant()
    def balances_and_stock_match_the_model(self) -> None:
        stored, summed = harness().run(self._balances())
        assert stored == self.balances
        assert summed == self.balances
        assert harness().run(self._stock()) == self.stock

    def teardown(self) -> None:
        try:
            report = harness().run(verify.verify_ledger(self.session, batch=3))
            assert report.clean, report.differences
            harness().verified += 1
        finally:
            harness().run(self._close())

    async def _close(self) -> None:
        await self.session.close()
        await self.outer.rollback()
        await self.connection.close()


def test_ledger_state_machine(database_url: str, settings: Settings) -> None:
    global HARNESS
    loop = asyncio.new_event_loop()
    try:
        engine = create_engine(settings, database_url, pool_size=2, max_overflow=0)
        HARNESS = Harness(loop=loop, engine=engine)
        case = LedgerMachine.TestCase
        case.settings = settings_profile
        case().runTest()
        assert HARNESS.verified == HARNESS.runs > 0
        for step in ("award", "deduct", "redeem", "hand over", "reverse", "cancel"):
            assert HARNESS.steps.get(step, 0) > 0, HARNESS.steps
        loop.run_until_complete(engine.dispose())
    finally:
        HARNESS = None
        loop.close()


settings_profile = hypothesis_settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
