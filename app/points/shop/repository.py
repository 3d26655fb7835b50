"""All SQL of the community shop (爱心超市 / 幸福超市): rewards, stock, redemptions.

Stock moves only by guarded single-statement UPDATEs (``stock > 0`` in the WHERE,
``CHECK (stock >= 0)`` behind it), never read-then-write: under any concurrency a
reward is sold at most as many times as it had stock. Visibility comes from
``Scope.clause`` and, for members, from the shops above the nodes where they hold
``points.redeem``.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.people.models import Person
from app.points.models import Redemption, Reward
from app.points.shop.schemas import MAX_STOCK

# 8 characters without the look-alikes 0/O and 1/I: 32^8 ≈ 10^12 codes, read aloud
# or typed at the counter without mistakes.
PICKUP_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PICKUP_LENGTH = 8
PENDING, HANDED_OVER, CANCELLED = "pending_pickup", "handed_over", "cancelled"


# ---------------------------------------------------------------- visibility


async def get_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, scope.clause(OrgUnit))
    return (await session.execute(query)).scalar_one_or_none()


async def shops_above(session: AsyncSession, node_ids: Iterable[int]) -> frozenset[int]:
    """The town and community above (or at) each node: the shops a member there uses.

    A member's ``points.redeem`` grant sits at their branch or household, below the
    shops, so a subtree scope never reaches a reward; the shops are the node's own
    ancestor ids instead.
    """
    ids = sorted(set(node_ids))
    if not ids:
        return frozenset()
    rows = await session.execute(
        select(OrgUnit.town_id, OrgUnit.community_id).where(OrgUnit.id.in_(ids))
    )
    return frozenset(unit for row in rows for unit in row if unit is not None)


def reward_visibility(scopes: Iterable[Scope], shop_ids: frozenset[int]) -> ColumnElement[bool]:
    clauses = [scope.clause(Reward) for scope in scopes if not scope.is_empty]
    if shop_ids:
        clauses.append(Reward.org_unit_id.in_(sorted(shop_ids)))
    return or_(*clauses) if clauses else false()


def redemption_visibility(staff: Scope, own_person_id: int | None) -> ColumnElement[bool]:
    """Staff see redemptions of members placed in their scope and those made at the
    shops in their scope (the member's branch may lie in another community than the
    shop: 双报到); a member sees their own."""
    clauses: list[ColumnElement[bool]] = []
    if staff.unrestricted:
        return true()
    if not staff.is_empty:
        shop_rewards = select(Reward.id).where(staff.clause(Reward))
        clauses += [staff.clause(Redemption), Redemption.reward_id.in_(shop_rewards)]
    if own_person_id is not None:
        clauses.append(Redemption.person_id == own_person_id)
    return or_(*clauses) if clauses else false()


# ---------------------------------------------------------------- rewards


def on_offer() -> ColumnElement[bool]:
    """Active and within its window at the transaction's clock."""
    now = func.now()
    return and_(
        Reward.is_active.is_(True),
        or_(Reward.active_from.is_(None), Reward.active_from <= now),
        or_(Reward.active_to.is_(None), Reward.active_to > now),
    )


async def add_reward(session: AsyncSession, reward: Reward) -> Reward:
    session.add(reward)
    await session.flush()
    await session.refresh(reward)
    return reward


async def get_reward(
    session: AsyncSession,
    reward_id: int,
    visible: ColumnElement[bool],
    *,
    for_update: bool = False,
) -> Reward | None:
    query = select(Reward).where(Reward.id == reward_id, visible)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_rewards(
    session: AsyncSession,
    visible: ColumnElement[bool],
    *,
    unit_id: int | None,
    active_only: bool,
    after_id: int | None,
    limit: int,
) -> list[Reward]:
    """Newest first, keyset on id."""
    query = select(Reward).where(visible)
    if unit_id is not None:
        query = query.where(Reward.org_unit_id == unit_id)
    if active_only:
        query = query.where(on_offer())
    if after_id is not None:
        query = query.where(Reward.id < after_id)
    return list((await session.scalars(query.order_by(Reward.id.desc()).limit(limit))).all())


async def save(session: AsyncSession, row: Any) -> None:
    """Flush a changed row and reload what the database computed (updated_at)."""
    await session.flush()
    await session.refresh(row)


async def add_stock(session: AsyncSession, reward_id: int, quantity: int) -> Reward | None:
    """Restock atomically; None when the stock would pass its maximum."""
    statement = (
        update(Reward)
        .where(Reward.id == reward_id, Reward.stock + quantity <= MAX_STOCK)
        .values(stock=Reward.stock + quantity)
        .returning(Reward)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True)
class ForSale:
    reward: Reward
    on_offer: bool
    """Active and within its window now (the database clock)."""


async def get_for_sale(
    session: AsyncSession, reward_id: int, visible: ColumnElement[bool]
) -> ForSale | None:
    """The reward as it stands now, unlocked: a fast answer for the common refusals;
    :func:`take_one` decides."""
    query = (
        select(Reward, on_offer())
        .where(Reward.id == reward_id, visible)
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else ForSale(row[0], bool(row[1]))


async def take_one(session: AsyncSession, reward_id: int, price_points: int) -> bool:
    """Take one unit from stock if the reward is on offer at ``price_points`` and has
    any. The row lock this takes holds until the transaction ends, so a later
    failure puts the unit back; taking it last keeps that lock short."""
    statement = (
        update(Reward)
        .where(
            Reward.id == reward_id,
            Reward.stock > 0,
            Reward.price_points == price_points,
            on_offer(),
        )
        .values(stock=Reward.stock - 1)
        .returning(Reward.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def put_back(session: AsyncSession, reward_id: int) -> None:
    await session.execute(
        update(Reward)
        .where(Reward.id == reward_id)
        .values(stock=Reward.stock + 1)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- people


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


# ---------------------------------------------------------------- redemptions


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_LENGTH))


async def add_redemption(session: AsyncSession, values: dict[str, Any]) -> Redemption:
    """Insert with a fresh pickup code; a (vanishingly rare) taken code draws again
    without aborting the transaction."""
    while True:
        redemption: Redemption | None = await session.scalar(
            insert(Redemption)
            .values(**values, pickup_code=new_pickup_code(), status=PENDING)
            .on_conflict_do_nothing(index_elements=["pickup_code"])
            .returning(Redemption)
        )
        if redemption is not None:
            return redemption


@dataclass(frozen=True)
class RedemptionRow:
    redemption: Redemption
    reward_name: str
    person_name: str


def _redemptions() -> Select[Redemption, str, str]:
    return (
        select(Redemption, Reward.name, Person.name)
        .join(Reward, Reward.id == Redemption.reward_id)
        .join(Person, Person.id == Redemption.person_id)
        .execution_options(populate_existing=True)
    )


def _row(row: Row[Redemption, str, str] | None) -> RedemptionRow | None:
    return None if row is None else RedemptionRow(*row)


async def get_redemption(
    session: AsyncSession, redemption_id: int, visible: ColumnElement[bool]
) -> RedemptionRow | None:
    query = _redemptions().where(Redemption.id == redemption_id, visible)
    return _row((await session.execute(query)).one_or_none())


async def find_by_code(
    session: AsyncSession, pickup_code: str, visible: ColumnElement[bool]
) -> RedemptionRow | None:
    query = _redemptions().where(Redemption.pickup_code == pickup_code, visible)
    return _row((await session.execute(query)).one_or_none())


async def list_redemptions(
    session: AsyncSession,
    visible: ColumnElement[bool],
    *,
    status: str | None,
    reward_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[RedemptionRow]:
    """Newest first, keyset on id."""
    query = _redemptions().where(visible)
    if status is not None:
        query = query.where(Redemption.status == status)
    if reward_id is not None:
        query = query.where(Redemption.reward_id == reward_id)
    if after_id is not None:
        query = query.where(Redemption.id < after_id)
    rows = await session.execute(query.order_by(Redemption.id.desc()).limit(limit))
    return [RedemptionRow(*row) for row in rows]


async def leave_pending(
    session: AsyncSession, redemption_id: int, status: str, **values: Any
) -> Redemption | None:
    """Move a pending redemption to ``status``; None if it is no longer pending. The
    WHERE re-checks the status under the row lock, so of two concurrent moves
    (cancel twice, cancel and hand over) exactly one wins."""
    statement = (
        update(Redemption)
        .where(Redemption.id == redemption_id, Redemption.status == PENDING)
        .values(status=status, **values)
        .returning(Redemption)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def set_refund(session: AsyncSession, redemption: Redemption, transaction_id: int) -> None:
    redemption.refund_transaction_id = transaction_id
    await session.flush()


def stamp() -> ColumnElement[datetime]:
    return func.now()
