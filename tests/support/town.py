"""A town committed for real (``make_tree``), for tests whose requests run in other
processes or servers and so must see it: callers with tokens, funded members, rewards;
``committed_world`` removes every row placed in it afterwards (``purge_world``)."""

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.kit.calendar import BUSINESS_TZ
from app.orders.models import OrderNumberCounter
from app.points import accounts, ledger
from app.points.models import Reward
from tests.support.cleanup import purge_world
from tests.support.factory import bearer, make_person, make_tree, make_user

_keys = itertools.count(1)


@dataclass
class World:
    """A committed town (``make_tree``) and the callers the test made in it."""

    engine: AsyncEngine
    settings: Settings
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: list[int] = field(default_factory=list)

    def session(self) -> AsyncSession:
        return AsyncSession(self.engine, expire_on_commit=False)

    async def callers(
        self, role: str, count: int, *, points: int = 0, at: str = "h1"
    ) -> list[dict[str, str]]:
        """``count`` people living at household h1, each with an account holding
        ``role`` at unit ``at`` and, with ``points``, a funded points account."""
        headers = []
        async with self.session() as session:
            home = self.units["h1"]
            system = await accounts.town_accounts(session, home.town_id) if points else None
            for _ in range(count):
                person = await make_person(session, home)
                user = await make_user(session, (role, self.units[at]), person_id=person.id)
                self.users.append(user.id)
                if system is not None:
                    account = await accounts.member_account(session, person.id)
                    await ledger.post_transaction(
                        session,
                        txn_key=f"test-funding:{person.id}:{next(_keys)}",
                        kind="manual_award",
                        town_id=home.town_id,
                        legs=[
                            ledger.Leg(system.issuance_id, -points),
                            ledger.Leg(account.id, points),
                        ],
                        bucket="earned",
                        reason="test funding",
                    )
                headers.append(bearer(self.settings, user))
            await session.commit()
        return headers

    async def reward(self, *, stock: int, price: int) -> int:
        """A reward of the community shop at c1 (爱心超市)."""
        async with self.session() as session:
            unit = self.units["c1"]
            reward = Reward(
                org_unit_id=unit.id,
                town_id=unit.town_id,
                community_id=unit.id,
                name="爱心大米",
                price_points=price,
                stock=stock,
            )
            session.add(reward)
            await session.commit()
            return reward.id

    async def scalar(self, statement: Any) -> Any:
        async with self.session() as session:
            return await session.scalar(statement)


@contextlib.asynccontextmanager
async def committed_world(engine: AsyncEngine, settings: Settings) -> AsyncIterator[World]:
    """A fresh world, and afterwards none of its rows (today's order-number counter,
    which orders filed through the API advance, is put back as it was)."""
    built = World(engine, settings)
    today = datetime.now(BUSINESS_TZ).date()
    async with built.session() as session:
        counter = await session.get(OrderNumberCounter, today)
        last_number = counter.last_value if counter else None
        built.units = await make_tree(session)
        await session.commit()
    try:
        yield built
    finally:
        towns = {u.town_id for u in built.units.values()}
        async with AsyncSession(engine) as session, session.begin():
            await purge_world(session, towns=towns, users=built.users)
            await session.execute(delete(OrderNumberCounter).where(OrderNumberCounter.day == today))
            if last_number is not None:
                session.add(OrderNumberCounter(day=today, last_value=last_number))
