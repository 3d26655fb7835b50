"""A Hypothesis state machine over random awards, deductions, redemptions,
reversals and cancellations: after any sequence ``verify-ledger`` is clean and
every balance equals the model's and the sum of its postings.

Each example runs in its own transaction on its own connection (rolled back at the
end), each step in a savepoint, so a refused step changes nothing — as a refused
request would not. The machine drives an event loop of its own because Hypothesis
stateful tests are synchronous.
"""

import asyncio
import itertools
import json
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

from app.authz.principal import Principal
from app.config import Settings
from app.db.session import create_engine
from app.points import accounts, ledger, reversal, service, verify
from app.points.errors import AlreadyReversed, InsufficientPoints, NotReversible
from app.points.models import PointsAccount, PointsPosting
from app.points.schemas import AdjustmentCreate, ReversalCreate
from tests.support.factory import make_person, make_tree, make_user

T = TypeVar("T")
PEOPLE = 3
_keys = itertools.count(1)


@dataclass
class Txn:
    id: int
    kind: str
    deltas: dict[int, int]
    """Change of each person's balance."""
    reversed: bool = False


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
        self.people = [(await make_person(self.session, homes[i])).id for i in range(PEOPLE)]
        admin = await make_user(self.session, superuser=True)
        self.staff = Principal(
            kind="user",
            subject=f"user:{admin.id}",
            display_name="admin",
            user_id=admin.id,
            is_superuser=True,
        )

    def _count(self, step: str) -> None:
        harness().steps[step] = harness().steps.get(step, 0) + 1

    async def _step(self, work: Coroutine[Any, Any, T]) -> T:
        async with self.session.begin_nested():
            return await work

    # ------------------------------------------------------------ steps

    @rule(person=st.integers(0, PEOPLE - 1), amount=st.integers(10, 100))
    def award(self, person: int, amount: int) -> None:
        txn = harness().run(self._adjust(person, amount))
        self.balances[person] += amount
        self.txns.append(Txn(txn, "manual_award", {person: amount}))
        self._count("award")

    @rule(person=st.integers(0, PEOPLE - 1), amount=st.integers(1, 50))
    def deduct(self, person: int, amount: int) -> None:
        if self.balances[person] < amount:
            with pytest.raises(InsufficientPoints):
                harness().run(self._adjust(person, -amount))
            self._count("deduct refused")
            return
        txn = harness().run(self._adjust(person, -amount))
        self.balances[person] -= amount
        self.txns.append(Txn(txn, "manual_deduction", {person: -amount}))
        self._count("deduct")

    @rule(person=st.integers(0, PEOPLE - 1), price=st.integers(1, 40))
    def redeem(self, person: int, price: int) -> None:
        if self.balances[person] < price:
            with pytest.raises(InsufficientPoints):
                harness().run(self._redeem(person, price))
            self._count("redeem refused")
            return
        txn = harness().run(self._redeem(person, price))
        self.balances[person] -= price
        self.txns.append(Txn(txn, "redemption", {person: -price}))
        self._count("redeem")

    @precondition(lambda self: bool(self.txns))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        txn = data.draw(st.sampled_from(self.txns[::-1]), label="transaction")
        expected: type[Exception] | None = None
        if txn.kind == "reversal":
            expected = NotReversible
        elif txn.reversed:
            expected = AlreadyReversed
        elif any(self.balances[p] - delta < 0 for p, delta in txn.deltas.items()):
            expected = InsufficientPoints
        if expected is not None:
            with pytest.raises(expected):
                harness().run(self._reverse(txn))
            self._count(f"reverse refused ({expected.__name__})")
            return
        reversal_id = harness().run(self._reverse(txn))
        for p, delta in txn.deltas.items():
            self.balances[p] -= delta
        txn.reversed = True
        undo = {p: -delta for p, delta in txn.deltas.items()}
        self.txns.append(Txn(reversal_id, "reversal", undo))
        self._count("cancel" if txn.kind == "redemption" else "reverse")

    # ------------------------------------------------------------ the system

    async def _adjust(self, person: int, amount: int) -> int:
        body = AdjustmentCreate(person_id=self.people[person], amount=amount, reason="性质测试")
        response = await self._step(
            service.adjust(self.session, self.staff, body, f"k{next(_keys)}", "/points/adjustments")
        )
        assert response.status_code == 201
        return int(json.loads(response.body)["id"])

    async def _redeem(self, person: int, price: int) -> int:
        """What the shop posts for a redemption: member → the town's redemption account."""

        async def pay() -> int:
            member = await accounts.member_account(self.session, self.people[person])
            town = await accounts.town_accounts(self.session, member.town_id)
            posted = await ledger.post_transaction(
                self.session,
                txn_key=f"redeem:test:{next(_keys)}",
                kind="redemption",
                town_id=member.town_id,
                legs=[ledger.Leg(member.id, -price), ledger.Leg(town.redemption_id, price)],
                bucket="spent",
                reason="兑换 测试商品",
            )
            return posted.transaction.id

        return await self._step(pay())

    async def _reverse(self, txn: Txn) -> int:
        if txn.kind == "redemption":
            # The shop's cancellation refunds by reversal.
            posted = await self._step(
                reversal.reverse(self.session, txn.id, reason="取消兑换", actor_user_id=None)
            )
            return posted.transaction.id
        response = await self._step(
            service.reverse_transaction(
                self.session, self.staff, txn.id, ReversalCreate(reason="冲正"), None, "/r"
            )
        )
        assert response.status_code == 201
        return int(json.loads(response.body)["id"])

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

    @invariant()
    def balances_match_the_model(self) -> None:
        stored, summed = harness().run(self._balances())
        assert stored == self.balances
        assert summed == self.balances

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
        machine = LedgerMachine.TestCase
        machine.settings = settings_profile
        machine().runTest()
        assert HARNESS.verified == HARNESS.runs > 0
        for step in ("award", "deduct", "redeem", "reverse", "cancel"):
            assert HARNESS.steps.get(step, 0) > 0, HARNESS.steps
        loop.run_until_complete(engine.dispose())
    finally:
        HARNESS = None
        loop.close()


settings_profile = hypothesis_settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
