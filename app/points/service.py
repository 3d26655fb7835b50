"""Use cases that move red points (红色积分): awards by rule (orders closed,
activities attended), manual awards and deductions, reversals, rule changes.

Every posting goes through ``app.points.ledger.post_transaction`` under a key that
makes it happen once: a business event maps to one key (``order-close:<id>``,
``activity:<ref>:<person>``), an HTTP write to ``idem:<caller>:<Idempotency-Key>``.
Every change publishes a ``points.*`` outbox event and, when a person made it, an
audit record, in the same transaction. Reads are in ``read_service``.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import POINTS_AWARD, POINTS_READ, POINTS_RULES
from app.authz.principal import Principal
from app.kit.calendar import BUSINESS_TZ
from app.orders.models import ServiceOrder
from app.people.models import Person
from app.points import accounts, adjustments, events, repository, reversal
from app.points.errors import (
    ActivityTypeUnknown,
    CapReached,
    DefaultRulesNeedSuperuser,
    PersonNotFound,
    ReverseRedemptionViaShop,
    RuleKeyRequired,
    TownNotFound,
    TransactionNotFound,
)
from app.points.ledger import Leg, Posted, period_starts, post_transaction
from app.points.models import PointsRule, PointsTransaction
from app.points.repository import AccountRow
from app.points.rules import (
    KEYLESS,
    RuleKind,
    RuleSet,
    TxnKind,
    allowance,
    capped,
    in_force,
    order_award,
)
from app.points.schemas import (
    ActivityAwardCreate,
    AdjustmentCreate,
    AdjustmentRequestRead,
    LegRead,
    RejectionCreate,
    ReversalCreate,
    RuleChange,
    RuleChanged,
    RuleRead,
    TransactionRead,
)

MAX_TXN_KEY = 200
CLOSE_STATUS = "closed"


def order_close_key(order_id: int) -> str:
    return f"order-close:{order_id}"


def activity_key(activity_ref: str, person_id: int) -> str:
    return f"activity:{activity_ref}:{person_id}"


def idempotency_txn_key(principal: Principal, key: str) -> str:
    """``idem:<caller>:<key>``; a key too long for the column is replaced by its digest."""
    txn_key = f"idem:{principal.subject}:{key}"
    if len(txn_key) <= MAX_TXN_KEY:
        return txn_key
    return f"idem:{principal.subject}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


async def present_transaction(session: AsyncSession, txn: PointsTransaction) -> TransactionRead:
    legs = await repository.postings_with_balance(session, txn.id)
    return TransactionRead(
        id=txn.id,
        kind=TxnKind(txn.kind),
        town_id=txn.town_id,
        reason=txn.reason,
        reversal_of_id=txn.reversal_of_id,
        created_at=txn.created_at,
        data=txn.data,
        legs=[
            LegRead(
                account_id=leg.account_id,
                account_kind=leg.kind,
                person_id=leg.person_id,
                amount=leg.amount,
                balance_after=leg.balance_after,
            )
            for leg in legs
        ],
    )


async def _rules(session: AsyncSession, town_id: int) -> RuleSet:
    return in_force(await repository.rules_in_force(session, town_id))


async def _person_in_scope(session: AsyncSession, principal: Principal, person_id: int) -> Person:
    person = await repository.get_person(session, person_id, principal.scope(POINTS_AWARD))
    if person is None:
        raise PersonNotFound()
    return person


# ---------------------------------------------------------------- awards by rule


@dataclass(frozen=True)
class RuleAward:
    posted: Posted | None
    """None when the caps left nothing to award."""
    requested: int
    awarded: int


async def _award_by_rule(
    session: AsyncSession,
    account: AccountRow,
    rules: RuleSet,
    *,
    points: int,
    txn_key: str,
    kind: TxnKind,
    reason: str,
    data: dict[str, Any],
    actor_user_id: int | None,
    occurred_at: datetime | None = None,
) -> RuleAward:
    """Award ``points`` cut to the member's remaining daily and monthly allowance.

    The member's account row is locked first, so concurrent awards to one member
    compute their allowance one after the other and the caps hold."""
    assert account.person_id is not None
    await repository.member_account(session, account.town_id, account.person_id, for_update=True)
    existing = await repository.transaction_by_key(session, txn_key)
    if existing is not None:
        return RuleAward(Posted(existing, created=False), points, 0)
    day = (
        occurred_at.astimezone(BUSINESS_TZ).date()
        if occurred_at
        else await repository.business_today(session)
    )
    left = allowance(
        rules,
        earned_today=await repository.earned_on_day(session, account.id, day),
        earned_this_month=await repository.earned_in_month(
            session, account.id, period_starts(day)["month"]
        ),
    )
    amount = capped(points, left)
    if amount == 0:
        return RuleAward(None, points, 0)
    town = await accounts.town_accounts(session, account.town_id)
    posted = await post_transaction(
        session,
        txn_key=txn_key,
        kind=kind,
        town_id=account.town_id,
        legs=[Leg(town.issuance_id, -amount), Leg(account.id, amount)],
        bucket="earned",
        reason=reason,
        actor_user_id=actor_user_id,
        data={**data, "person_id": account.person_id, "rule_points": points, "awarded": amount},
        occurred_at=occurred_at,
    )
    if posted.created:
        await events.publish_transaction(session, events.AWARDED, posted.transaction)
    return RuleAward(posted, points, amount)


async def _award_skipped(session: AsyncSession, order: ServiceOrder, reason: str) -> None:
    await events.publish(
        session,
        events.AWARD_SKIPPED,
        aggregate_type="order_award",
        aggregate_id=order.id,
        payload={
            "order_id": order.id,
            "number": order.number,
            "reason": reason,
            "assignee_kind": order.assignee_kind,
        },
        town_id=order.town_id,
        place=order,
    )


async def award_for_order(
    session: AsyncSession, order_id: int, *, backdate: bool = False
) -> PointsTransaction | None:
    """Closing an order (办结) pays its category's points, plus the bonus for a top
    回访 answer, to the member who did the work — once, under ``order-close:<id>``.

    Orders held by a team or department with no individual earn nothing; that,
    like a cap leaving nothing, is published as ``points.award_skipped``. With
    ``backdate`` (history, the demo town) the award is dated at the order's close."""
    order = await repository.get_order(session, order_id)
    if order is None or order.status != CLOSE_STATUS:
        return None
    if order.assignee_person_id is None:
        await _award_skipped(session, order, "no_individual_assignee")
        return None
    account = await accounts.member_account(session, order.assignee_person_id)
    rules = await _rules(session, account.town_id)
    award = order_award(rules, order.category, order.feedback_resolved, order.feedback_satisfaction)
    if award.total == 0:
        await _award_skipped(session, order, "no_rule")
        return None
    result = await _award_by_rule(
        session,
        account,
        rules,
        points=award.total,
        txn_key=order_close_key(order.id),
        kind=TxnKind.order_award,
        reason=f"工单 {order.number} 办结",
        data={
            "order_id": order.id,
            "category": order.category,
            "base": award.base,
            "bonus": award.bonus,
            "rule_ids": [i for i in (award.base_rule_id, award.bonus_rule_id) if i is not None],
        },
        actor_user_id=None,
        occurred_at=order.closed_at if backdate else None,
    )
    if result.posted is None:
        await _award_skipped(session, order, "cap_reached")
        return None
    return result.posted.transaction


@dataclass(frozen=True)
class ActivityAward:
    transaction: TransactionRead
    created: bool
    """False when the (activity, person) was already awarded: this is that award."""


async def award_activity(
    session: AsyncSession, principal: Principal, body: ActivityAwardCreate
) -> ActivityAward:
    """Points for attending an activity, once per (activity, person) whatever the
    requests' keys: the earlier award when there is one."""
    person = await _person_in_scope(session, principal, body.person_id)
    account = await accounts.member_account(session, person.id)
    rules = await _rules(session, account.town_id)
    points = rules.points(RuleKind.activity_type, body.activity_type)
    if points is None:
        raise ActivityTypeUnknown()
    result = await _award_by_rule(
        session,
        account,
        rules,
        points=points,
        txn_key=activity_key(body.activity_ref, person.id),
        kind=TxnKind.activity_award,
        reason=f"参加活动 {body.activity_ref}（{body.activity_type}）",
        data={"activity_type": body.activity_type, "activity_ref": body.activity_ref},
        actor_user_id=principal.user_id,
    )
    if result.posted is None:
        raise CapReached()
    txn = result.posted.transaction
    if result.posted.created:
        await audit_service.record(
            session,
            principal,
            "points.activity_award",
            summary=f"awarded {result.awarded} points to person #{person.id} "
            f"for activity {body.activity_ref} (transaction #{txn.id})",
            target_type="points_transaction",
            target_id=txn.id,
            place=person,
        )
    return ActivityAward(await present_transaction(session, txn), result.posted.created)


# ---------------------------------------------------------------- participation awards


def wish_key(wish_id: int, person_id: int) -> str:
    return f"wish:{wish_id}:{person_id}"


@dataclass(frozen=True)
class Earned:
    """What an award by rule paid: the transaction (None when nothing was paid: no
    rule, or the caps left nothing) and its points."""

    transaction_id: int | None
    points: int


async def activity_points(session: AsyncSession, town_id: int, activity_type: str) -> int | None:
    """The points an ``activity_type`` rule pays in the town now (None: no such rule)."""
    return (await _rules(session, town_id)).points(RuleKind.activity_type, activity_type)


def _earned(result: RuleAward) -> Earned:
    if result.posted is None:
        return Earned(None, 0)
    txn = result.posted.transaction
    paid = result.awarded if result.posted.created else int(txn.data.get("awarded", 0))
    return Earned(txn.id, paid)


async def award_for_activity(
    session: AsyncSession,
    *,
    person_id: int,
    activity_type: str,
    activity_ref: str,
    reason: str,
    data: dict[str, object],
    actor_user_id: int | None,
    occurred_at: datetime | None = None,
) -> Earned:
    """Points by the ``activity_type`` rule for something another domain records (活动积分
    for attending an activity, 值班积分 for a duty shift served at a station), under the
    caps, once per (``activity_ref``, person) — the key ``activity:<ref>:<person>`` —
    however often the close or check-in is retried. ``occurred_at`` dates the award on
    the day served (its period and its day's cap). Nothing is paid without a positive
    rule."""
    account = await accounts.member_account(session, person_id)
    rules = await _rules(session, account.town_id)
    points = rules.points(RuleKind.activity_type, activity_type)
    if not points or points < 0:
        return Earned(None, 0)
    result = await _award_by_rule(
        session,
        account,
        rules,
        points=points,
        txn_key=activity_key(activity_ref, person_id),
        kind=TxnKind.activity_award,
        reason=reason,
        data={"activity_type": activity_type, **data},
        actor_user_id=actor_user_id,
        occurred_at=occurred_at,
    )
    return _earned(result)


async def award_wish(
    session: AsyncSession, *, wish_id: int, title: str, person_id: int, actor_user_id: int | None
) -> Earned:
    """微心愿积分 for taking part in fulfilling wish ``wish_id``, by the ``micro_wish``
    rule, under the caps, once per (wish, person): ``wish:<id>:<person>``."""
    account = await accounts.member_account(session, person_id)
    rules = await _rules(session, account.town_id)
    points = rules.points(RuleKind.micro_wish)
    if not points or points < 0:
        return Earned(None, 0)
    result = await _award_by_rule(
        session,
        account,
        rules,
        points=points,
        txn_key=wish_key(wish_id, person_id),
        kind=TxnKind.wish_award,
        reason=f"完成微心愿「{title[:60]}」",
        data={"wish_id": wish_id},
        actor_user_id=actor_user_id,
    )
    return _earned(result)


async def reverse_award(
    session: AsyncSession, transaction_id: int, *, reason: str, actor_user_id: int | None
) -> int:
    """冲正 of an award another domain made by rule (an attendance voided); returns the
    reversal's id. Refused (409) when the member no longer holds the points."""
    posted = await reversal.reverse(
        session, transaction_id, reason=reason, actor_user_id=actor_user_id
    )
    return posted.transaction.id


# ---------------------------------------------------------------- manual adjustments


async def adjust(
    session: AsyncSession, principal: Principal, body: AdjustmentCreate, key: str, threshold: int
) -> TransactionRead | AdjustmentRequestRead:
    """A manual award or deduction (人工奖扣) under the request's Idempotency-Key (which
    the route requires): the ledger key derived from it refuses a second posting even
    after the stored response has expired. Above ``threshold`` points (absolute) it is
    recorded as a request a second holder of ``points.award`` approves (四眼原则)."""
    person = await adjustments.person_in_scope(session, principal, body.person_id)
    if abs(body.amount) > threshold:
        pending = await adjustments.request(session, principal, person, body, key)
        return AdjustmentRequestRead.model_validate(pending)
    posted = await adjustments.post(
        session,
        principal,
        adjustments.Adjustment(
            person=person,
            amount=body.amount,
            reason=body.reason,
            txn_key=idempotency_txn_key(principal, key),
            data={"person_id": person.id, "amount": body.amount},
        ),
    )
    return await present_transaction(session, posted.transaction)


async def approve_adjustment(
    session: AsyncSession, principal: Principal, request_id: int
) -> AdjustmentRequestRead:
    """Approve another's request: it posts once, as a direct adjustment would."""
    return AdjustmentRequestRead.model_validate(
        await adjustments.approve(session, principal, request_id)
    )


async def reject_adjustment(
    session: AsyncSession, principal: Principal, request_id: int, body: RejectionCreate
) -> AdjustmentRequestRead:
    return AdjustmentRequestRead.model_validate(
        await adjustments.reject(session, principal, request_id, body)
    )


# ---------------------------------------------------------------- reversal


async def reverse_transaction(
    session: AsyncSession, principal: Principal, transaction_id: int, body: ReversalCreate
) -> TransactionRead:
    """冲正: needs ``points.award`` over every member the transaction touched; a
    second reversal is refused (409 ``points.already_reversed``)."""
    original = await repository.get_transaction(session, transaction_id)
    if original is None or not await _reaches_members(session, principal, transaction_id):
        raise TransactionNotFound()
    if original.kind == TxnKind.redemption:
        raise ReverseRedemptionViaShop()
    posted = await reversal.reverse(
        session, transaction_id, reason=body.reason, actor_user_id=principal.user_id
    )
    txn = posted.transaction
    await audit_service.record(
        session,
        principal,
        "points.reverse",
        summary=f"reversed transaction #{transaction_id} by transaction #{txn.id}",
        target_type="points_transaction",
        target_id=txn.id,
    )
    return await present_transaction(session, txn)


async def _reaches_members(session: AsyncSession, principal: Principal, txn_id: int) -> bool:
    people = {leg.person_id for leg in await repository.legs_of(session, txn_id) if leg.person_id}
    if not people:
        return principal.is_superuser
    scope = principal.scope(POINTS_AWARD)
    return await repository.count_people_in_scope(session, sorted(people), scope) == len(people)


# ---------------------------------------------------------------- rules


async def change_rule(session: AsyncSession, principal: Principal, body: RuleChange) -> RuleChanged:
    """Close the version in force and add a new one (rules are never edited), so
    awards made before keep their basis and only later ones follow the change."""
    town_id, unit = body.town_id, None
    if town_id is None:
        if not principal.is_superuser:
            raise DefaultRulesNeedSuperuser()
    else:
        unit = await repository.get_unit(session, town_id, principal.scope(POINTS_RULES))
        if unit is None or unit.level != "town":
            raise TownNotFound()
    key = "" if body.kind in KEYLESS else body.key
    if body.kind not in KEYLESS and not key:
        raise RuleKeyRequired()
    await repository.lock_rule_key(session, body.kind, key, town_id)
    previous = await repository.close_current_rule(session, body.kind, key, town_id)
    current = await repository.add_rule(
        session,
        PointsRule(
            kind=body.kind.value,
            key=key,
            points=body.points,
            town_id=town_id,
            created_by=principal.user_id,
        ),
    )
    changed = RuleChanged(
        current=RuleRead.model_validate(current),
        previous=None if previous is None else RuleRead.model_validate(previous),
    )
    await events.publish(
        session,
        events.RULE_CHANGED,
        aggregate_type="points_rule",
        aggregate_id=current.id,
        payload=changed.model_dump(mode="json"),
        town_id=town_id,
    )
    await audit_service.record(
        session,
        principal,
        "points.rule_change",
        summary=f"rule {body.kind.value}:{key} set to {body.points} points "
        f"for {'every town' if town_id is None else f'town #{town_id}'}",
        target_type="points_rule",
        target_id=current.id,
        place=unit,
    )
    return changed


async def rules_for_town(
    session: AsyncSession, principal: Principal, town_id: int
) -> list[RuleRead]:
    """The earning rules in force in a town: for each kind and key its own version if
    it has one, else the default (``town_id`` null)."""
    unit = await repository.get_unit(session, town_id, principal.scope(POINTS_READ))
    if unit is None or unit.level != "town":
        raise TownNotFound()
    chosen: dict[tuple[str, str], RuleRead] = {}
    for rule in await repository.rule_rows_in_force(session, town_id):
        chosen.setdefault((rule.kind, rule.key), RuleRead.model_validate(rule))
    return list(chosen.values())
