"""Committed worlds for tests that run real workers: units, an owner and a subscription
written for real (other processes must see them), and removed afterwards."""

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.authz.models import RoleGrant
from app.hierarchy.models import OrgUnit
from app.integrations import events
from app.integrations.models import OutboxEvent
from app.integrations.webhooks import signing
from app.integrations.webhooks.models import WebhookSubscription
from app.users.models import UserAccount
from tests.conftest import make_settings
from tests.support.factory import make_tree, make_user


@dataclass
class LiveWorld:
    engine: AsyncEngine
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: list[int] = field(default_factory=list)
    subscriptions: list[int] = field(default_factory=list)
    secret: str = field(default_factory=signing.new_secret)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(self.engine, expire_on_commit=False)

    async def build(self) -> "LiveWorld":
        async with self.sessions() as session, session.begin():
            self.units = await make_tree(session)
            admin = await make_user(session, ("community_admin", self.units["c1"]))
            self.users.append(admin.id)
        return self

    async def subscribe(self, url: str, event_types: list[str], unit: str = "c1") -> int:
        box = signing.SecretBox(make_settings().pii_key)
        node = self.units[unit]
        async with self.sessions() as session, session.begin():
            sub = WebhookSubscription(
                org_unit_id=node.id,
                owner_subject=f"user:{self.users[0]}",
                url=url,
                event_types=event_types,
                secret=box.seal(self.secret),
                town_id=node.town_id,
                community_id=node.community_id,
                grid_id=node.grid_id,
                building_id=node.building_id,
                household_id=node.household_id,
            )
            session.add(sub)
            await session.flush()
            self.subscriptions.append(sub.id)
            return sub.id

    async def publish(self, steps: list[tuple[str, int, str]]) -> None:
        """Commits (unit, order number, step) events, one transaction for all."""
        async with self.sessions() as session, session.begin():
            for unit, number, step in steps:
                await events.publish(
                    session,
                    f"order.{step}",
                    aggregate_type="order",
                    aggregate_id=self.order_id(number),
                    payload={"order_id": self.order_id(number), "step": step},
                    place=self.units[unit],
                )

    def order_id(self, number: int) -> str:
        return f"{self.tag}-{number}"

    async def clean(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(WebhookSubscription).where(WebhookSubscription.id.in_(self.subscriptions))
            )
            await conn.execute(
                delete(OutboxEvent).where(OutboxEvent.aggregate_id.startswith(f"{self.tag}-"))
            )
            await conn.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(self.users)))
            await conn.execute(delete(UserAccount).where(UserAccount.id.in_(self.users)))
            for unit in sorted(self.units.values(), key=lambda u: -u.id):
                await conn.execute(delete(OrgUnit).where(OrgUnit.id == unit.id))


async def wait_until(
    condition: Callable[[], bool], *, within: float, what: str, interval: float = 0.1
) -> None:
    """Polls ``condition`` until it holds; fails the test after ``within`` seconds
    (a bound against hanging, never what the test measures)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)
