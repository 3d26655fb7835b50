"""Use cases of the community shop (爱心超市 / 幸福超市): rewards, redemptions, pickup.

Redeeming debits the member (``ledger.post_transaction``, a guarded UPDATE of the
balance) and takes one unit from stock (a guarded UPDATE of the reward) in the
request's one transaction: if either refuses, both roll back, so neither balance
nor stock can go below zero and no paid redemption lacks its unit. Cancelling
refunds by a reversal of the redemption's transaction and restocks, once. Every
write is audited; every points change writes a ``points.*`` outbox event in the
same transaction.
"""

from hashlib import sha256
from uuid import uuid4

from sqlalchemy import ColumnElement, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import POINTS_READ, POINTS_REDEEM, REWARDS_HANDOVER, REWARDS_MANAGE
from app.authz.principal import Principal
from app.errors import Forbidden
from app.integrations import events
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.people.models import Person
from app.points import accounts, ledger, reversal
from app.points import events as points_events
from app.points.errors import NoLinkedPerson
from app.points.models import Redemption, Reward
from app.points.shop import repository
from app.points.shop.errors import (
    DuplicateRedemption,
    InvalidActiveWindow,
    InvalidShopUnit,
    OutOfStock,
    RedemptionNotFound,
    RedemptionNotPending,
    RewardChanged,
    RewardInactive,
    RewardNotFound,
    ShopUnitNotFound,
    StockTooLarge,
)
from app.points.shop.schemas import (
    HandoverIn,
    RedemptionListQuery,
    RedemptionPage,
    RedemptionRead,
    RedemptionStatus,
    RestockIn,
    RewardCreate,
    RewardListQuery,
    RewardPage,
    RewardRead,
    RewardUpdate,
)

SHOP_LEVELS = ("town", "community")
REWARD_READERS = (REWARDS_MANAGE, POINTS_READ, POINTS_REDEEM)
PLACE = ("town_id", "community_id", "grid_id", "building_id", "household_id")
MAX_TXN_KEY = 200
REDEMPTION_CANCELLED = "points.redemption_cancelled"


# ---------------------------------------------------------------- presentation


def present_reward(reward: Reward) -> RewardRead:
    return RewardRead.model_validate(reward, from_attributes=True)


def present_redemption(row: repository.RedemptionRow, principal: Principal) -> RedemptionRead:
    redemption = row.redemption
    own = principal.person_id is not None and redemption.person_id == principal.person_id
    return RedemptionRead(
        id=redemption.id,
        reward_id=redemption.reward_id,
        reward_name=row.reward_name,
        person_id=redemption.person_id,
        person_name=row.person_name,
        points=redemption.points,
        status=RedemptionStatus(redemption.status),
        pickup_code=redemption.pickup_code if own else None,
        transaction_id=redemption.transaction_id,
        refund_transaction_id=redemption.refund_transaction_id,
        **{column: getattr(redemption, column) for column in PLACE},
        created_at=redemption.created_at,
        handed_over_at=redemption.handed_over_at,
        handed_over_by=redemption.handed_over_by,
        cancelled_at=redemption.cancelled_at,
    )


# ---------------------------------------------------------------- visibility


async def _member_shops(session: AsyncSession, principal: Principal) -> frozenset[int]:
    """Towns and communities above the nodes where the caller holds ``points.redeem``."""
    scope = principal.scope(POINTS_REDEEM)
    if scope.unrestricted:
        return frozenset()
    return await repository.shops_above(session, (node for _, node in scope.nodes))


async def _readable_rewards(session: AsyncSession, principal: Principal) -> ColumnElement[bool]:
    if not any(principal.has(permission) for permission in REWARD_READERS):
        raise Forbidden()
    scopes = [principal.scope(permission) for permission in REWARD_READERS]
    return repository.reward_visibility(scopes, await _member_shops(session, principal))


async def _redeemable_rewards(session: AsyncSession, principal: Principal) -> ColumnElement[bool]:
    if principal.scope(POINTS_REDEEM).unrestricted:
        return true()
    return repository.reward_visibility([], await _member_shops(session, principal))


def _managed_rewards(principal: Principal) -> ColumnElement[bool]:
    return repository.reward_visibility([principal.scope(REWARDS_MANAGE)], frozenset())


def _own_person_id(principal: Principal) -> int | None:
    return principal.person_id if principal.has(POINTS_REDEEM) else None


def _visible_redemptions(principal: Principal, *, own: bool = True) -> ColumnElement[bool]:
    """Staff with ``rewards.handover`` see those in scope; members (if ``own``) their own."""
    if not (principal.has(REWARDS_HANDOVER) or (own and principal.has(POINTS_REDEEM))):
        raise Forbidden()
    person_id = _own_person_id(principal) if own else None
    return repository.redemption_visibility(principal.scope(REWARDS_HANDOVER), person_id)


async def _reward_in(
    session: AsyncSession, reward_id: int, visible: ColumnElement[bool], *, lock: bool = False
) -> Reward:
    reward = await repository.get_reward(session, reward_id, visible, for_update=lock)
    if reward is None:
        raise RewardNotFound()
    return reward


# ---------------------------------------------------------------- rewards


async def create_reward(
    session: AsyncSession, principal: Principal, body: RewardCreate
) -> RewardRead:
    unit = await repository.get_unit(session, body.org_unit_id, principal.scope(REWARDS_MANAGE))
    if unit is None:
        raise ShopUnitNotFound()
    if unit.level not in SHOP_LEVELS or unit.is_archived:
        raise InvalidShopUnit()
    reward = Reward(**body.model_dump(), town_id=unit.town_id, community_id=unit.community_id)
    await repository.add_reward(session, reward)
    await audit_service.record(
        session,
        principal,
        "reward.create",
        summary=f"created reward #{reward.id} at org unit #{unit.id}, "
        f"{reward.price_points} points, stock {reward.stock}",
        target_type="reward",
        target_id=reward.id,
        place=reward,
    )
    return present_reward(reward)


async def get_reward(session: AsyncSession, principal: Principal, reward_id: int) -> RewardRead:
    visible = await _readable_rewards(session, principal)
    return present_reward(await _reward_in(session, reward_id, visible))


async def list_rewards(
    session: AsyncSession, principal: Principal, query: RewardListQuery
) -> RewardPage:
    visible = await _readable_rewards(session, principal)
    page, next_cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.list_rewards(
            session,
            visible,
            unit_id=query.unit_id,
            active_only=query.active_only,
            after_id=after,
            limit=n,
        ),
        key=lambda reward: reward.id,
    )
    return RewardPage(items=[present_reward(r) for r in page], next_cursor=next_cursor)


async def update_reward(
    session: AsyncSession,
    principal: Principal,
    reward_id: int,
    body: RewardUpdate,
    if_match: str | None,
) -> RewardRead:
    reward = await _reward_in(session, reward_id, _managed_rewards(principal), lock=True)
    check_version(if_match, reward.version)
    changes = body.changes()
    if not changes:
        return present_reward(reward)
    for field, value in changes.items():
        setattr(reward, field, value)
    if reward.active_from and reward.active_to and reward.active_to <= reward.active_from:
        raise InvalidActiveWindow()
    reward.version += 1
    await repository.save(session, reward)
    await audit_service.record(
        session,
        principal,
        "reward.update",
        summary=f"changed reward #{reward.id}: {', '.join(sorted(changes))}",
        target_type="reward",
        target_id=reward.id,
        place=reward,
    )
    return present_reward(reward)


async def restock_reward(
    session: AsyncSession, principal: Principal, reward_id: int, body: RestockIn
) -> RewardRead:
    await _reward_in(session, reward_id, _managed_rewards(principal))
    reward = await repository.add_stock(session, reward_id, body.quantity)
    if reward is None:
        raise StockTooLarge()
    await audit_service.record(
        session,
        principal,
        "reward.restock",
        summary=f"restocked reward #{reward.id} by {body.quantity} to {reward.stock}",
        target_type="reward",
        target_id=reward.id,
        place=reward,
    )
    return present_reward(reward)


# ---------------------------------------------------------------- redeeming


async def _own_person(session: AsyncSession, principal: Principal) -> Person:
    person = None
    if principal.person_id is not None:
        person = await repository.get_person(session, principal.person_id)
    if person is None:
        raise NoLinkedPerson()
    return person


def _redeem_key(principal: Principal, key: str | None) -> str:
    """``redeem:<caller>:<Idempotency-Key>``: the ledger itself refuses to pay twice
    for one key; without a key every request is a new purchase."""
    if key is None:
        return f"redeem:{principal.subject}:auto:{uuid4().hex}"
    txn_key = f"redeem:{principal.subject}:{key.strip()}"
    if len(txn_key) > MAX_TXN_KEY:
        txn_key = f"redeem:{principal.subject}:sha256:{sha256(key.strip().encode()).hexdigest()}"
    return txn_key


async def _pay(
    session: AsyncSession, principal: Principal, person: Person, reward: Reward, key: str | None
) -> int:
    member = await accounts.member_account(session, person.id)
    shop = await accounts.town_accounts(session, reward.town_id)
    posted = await ledger.post_transaction(
        session,
        txn_key=_redeem_key(principal, key),
        kind="redemption",
        town_id=reward.town_id,
        legs=[
            ledger.Leg(member.id, -reward.price_points),
            ledger.Leg(shop.redemption_id, reward.price_points),
        ],
        bucket="spent",
        reason=f"兑换 {reward.name}",
        actor_user_id=principal.user_id,
        data={"reward_id": reward.id},
    )
    if not posted.created:
        raise DuplicateRedemption()
    return posted.transaction.id


async def _take_one(session: AsyncSession, sale: repository.ForSale) -> None:
    """The guarded UPDATE decides; on refusal, say why (the payment rolls back)."""
    reward = sale.reward
    if await repository.take_one(session, reward.id, reward.price_points):
        return
    now = await repository.get_for_sale(session, reward.id, true())
    assert now is not None
    if not now.on_offer:
        raise RewardInactive()
    if now.reward.stock <= 0:
        raise OutOfStock()
    raise RewardChanged()


async def redeem(
    session: AsyncSession, principal: Principal, reward_id: int, key: str | None
) -> RedemptionRead:
    """Spend the caller's points on one unit; with the request's Idempotency-Key the
    ledger refuses to pay twice for it, whatever became of the stored response."""
    person = await _own_person(session, principal)
    sale = await repository.get_for_sale(
        session, reward_id, await _redeemable_rewards(session, principal)
    )
    if sale is None:
        raise RewardNotFound()
    if not sale.on_offer:
        raise RewardInactive()
    if sale.reward.stock <= 0:
        raise OutOfStock()
    # Pay first, take the unit last: the reward row — the hot one when many members
    # want one reward — stays locked only for the few statements before commit.
    transaction_id = await _pay(session, principal, person, sale.reward, key)
    await _take_one(session, sale)
    redemption = await repository.add_redemption(
        session,
        {
            "reward_id": reward_id,
            "person_id": person.id,
            "points": sale.reward.price_points,
            "transaction_id": transaction_id,
            **{column: getattr(person, column) for column in PLACE},
        },
    )
    await _announce(session, points_events.REDEEMED, redemption, sale.reward.town_id)
    await audit_service.record(
        session,
        principal,
        "redemption.create",
        summary=f"redeemed reward #{reward_id} for {redemption.points} points "
        f"(redemption #{redemption.id}, transaction #{transaction_id})",
        target_type="redemption",
        target_id=redemption.id,
        place=redemption,
    )
    row = repository.RedemptionRow(redemption, sale.reward.name, person.name)
    return present_redemption(row, principal)


async def _announce(
    session: AsyncSession, event_type: str, redemption: Redemption, town_id: int
) -> None:
    """The redemption's ``points.*`` event (its pickup code stays out of webhooks)."""
    await events.publish(
        session,
        event_type,
        aggregate_type="redemption",
        aggregate_id=redemption.id,
        payload={
            "redemption_id": redemption.id,
            "reward_id": redemption.reward_id,
            "person_id": redemption.person_id,
            "points": redemption.points,
            "status": redemption.status,
            "transaction_id": redemption.transaction_id,
            "refund_transaction_id": redemption.refund_transaction_id,
            "town_id": town_id,
        },
        town_id=town_id,
    )


# ---------------------------------------------------------------- redemptions


async def _redemption(session: AsyncSession, redemption_id: int) -> repository.RedemptionRow:
    row = await repository.get_redemption(session, redemption_id, true())
    assert row is not None
    return row


async def _visible_redemption(
    session: AsyncSession, redemption_id: int, visible: ColumnElement[bool]
) -> Redemption:
    row = await repository.get_redemption(session, redemption_id, visible)
    if row is None:
        raise RedemptionNotFound()
    return row.redemption


async def get_redemption(
    session: AsyncSession, principal: Principal, redemption_id: int
) -> RedemptionRead:
    row = await repository.get_redemption(session, redemption_id, _visible_redemptions(principal))
    if row is None:
        raise RedemptionNotFound()
    return present_redemption(row, principal)


async def list_redemptions(
    session: AsyncSession, principal: Principal, query: RedemptionListQuery
) -> RedemptionPage:
    page, next_cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda after, n: repository.list_redemptions(
            session,
            _visible_redemptions(principal),
            status=None if query.status is None else query.status.value,
            reward_id=query.reward_id,
            after_id=after,
            limit=n,
        ),
        key=lambda row: row.redemption.id,
    )
    return RedemptionPage(
        items=[present_redemption(row, principal) for row in page], next_cursor=next_cursor
    )


async def _leave_pending(
    session: AsyncSession, redemption: Redemption, status: str, **values: object
) -> Redemption:
    moved = await repository.leave_pending(session, redemption.id, status, **values)
    if moved is None:
        await session.refresh(redemption)
        raise RedemptionNotPending(current_status=redemption.status)
    return moved


async def _hand_over(
    session: AsyncSession, principal: Principal, redemption: Redemption
) -> RedemptionRead:
    moved = await _leave_pending(
        session,
        redemption,
        repository.HANDED_OVER,
        handed_over_at=repository.stamp(),
        handed_over_by=principal.user_id,
    )
    await audit_service.record(
        session,
        principal,
        "redemption.handover",
        summary=f"handed over redemption #{moved.id} of reward #{moved.reward_id}",
        target_type="redemption",
        target_id=moved.id,
        place=moved,
    )
    return present_redemption(await _redemption(session, moved.id), principal)


async def hand_over(
    session: AsyncSession, principal: Principal, redemption_id: int
) -> RedemptionRead:
    visible = _visible_redemptions(principal, own=False)
    redemption = await _visible_redemption(session, redemption_id, visible)
    return await _hand_over(session, principal, redemption)


async def hand_over_by_code(
    session: AsyncSession, principal: Principal, body: HandoverIn
) -> RedemptionRead:
    visible = _visible_redemptions(principal, own=False)
    row = await repository.find_by_code(session, body.pickup_code, visible)
    if row is None:
        raise RedemptionNotFound()
    return await _hand_over(session, principal, row.redemption)


async def cancel(session: AsyncSession, principal: Principal, redemption_id: int) -> RedemptionRead:
    visible = _visible_redemptions(principal)
    redemption = await _visible_redemption(session, redemption_id, visible)
    moved = await _leave_pending(
        session, redemption, repository.CANCELLED, cancelled_at=repository.stamp()
    )
    # The member's account before the reward row, the order redeeming locks them
    # in, so a cancel and a redemption by the same member cannot deadlock.
    refund = await reversal.reverse(
        session,
        moved.transaction_id,
        reason=f"取消兑换 #{moved.id}",
        actor_user_id=principal.user_id,
        data={"redemption_id": moved.id, "reward_id": moved.reward_id},
    )
    refund_id = refund.transaction.id
    await repository.put_back(session, moved.reward_id)
    await repository.set_refund(session, moved, refund_id)
    await _announce(session, REDEMPTION_CANCELLED, moved, refund.transaction.town_id)
    await audit_service.record(
        session,
        principal,
        "redemption.cancel",
        summary=f"cancelled redemption #{moved.id}: refunded {moved.points} points "
        f"(transaction #{refund_id}) and restocked reward #{moved.reward_id}",
        target_type="redemption",
        target_id=moved.id,
        place=moved,
    )
    return present_redemption(await _redemption(session, moved.id), principal)
