"""Manual awards and deductions (人工奖扣) and the second approver they need above the
threshold (四眼原则, setting ``points_approval_threshold``).

An adjustment at or under the threshold posts at once under the caller's
Idempotency-Key. One above it is recorded as a pending request; another holder of
``points.award`` over the person approves it, which posts it exactly as a direct
adjustment would, under the ledger key ``adjustment-request:<id>`` (so it posts once
however often, or however many approvers at once, approve), or rejects it. The
requester never decides their own request, and nobody adjusts their own points.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import POINTS_AWARD
from app.authz.principal import Principal
from app.integrations.idempotency import KeyReused
from app.kit.pagination import BY_ID, paginate
from app.people.models import Person
from app.points import accounts, events, repository
from app.points.errors import (
    AdjustmentRequestNotFound,
    AlreadyDecided,
    OwnRequest,
    PersonNotFound,
    SelfAdjustment,
)
from app.points.ledger import Leg, Posted, post_transaction
from app.points.models import PointsAdjustmentRequest
from app.points.rules import TxnKind
from app.points.schemas import (
    AdjustmentCreate,
    AdjustmentRequestPage,
    AdjustmentRequestQuery,
    AdjustmentRequestRead,
    AdjustmentStatus,
    RejectionCreate,
)

MAX_KEY = 200


@dataclass(frozen=True)
class Adjustment:
    """What a manual adjustment posts: the same for a direct one and an approved request."""

    person: Person
    amount: int
    reason: str
    txn_key: str
    data: dict[str, int | None]


def request_ledger_key(request_id: int) -> str:
    return f"adjustment-request:{request_id}"


async def person_in_scope(session: AsyncSession, principal: Principal, person_id: int) -> Person:
    """The person, if the caller holds ``points.award`` over them and is not them."""
    person = await repository.get_person(session, person_id, principal.scope(POINTS_AWARD))
    if person is None:
        raise PersonNotFound()
    if principal.person_id is not None and principal.person_id == person.id:
        raise SelfAdjustment()
    return person


async def post(
    session: AsyncSession, principal: Principal, adjustment: Adjustment, *, note: str = ""
) -> Posted:
    """Post, publish and audit once under the adjustment's ledger key; a repeat of the
    key with other data is refused."""
    person, amount = adjustment.person, adjustment.amount
    account = await accounts.member_account(session, person.id)
    town = await accounts.town_accounts(session, account.town_id)
    award = amount > 0
    posted = await post_transaction(
        session,
        txn_key=adjustment.txn_key,
        kind=TxnKind.manual_award if award else TxnKind.manual_deduction,
        town_id=account.town_id,
        legs=[Leg(town.issuance_id, -amount), Leg(account.id, amount)],
        bucket="earned",
        reason=adjustment.reason,
        actor_user_id=principal.user_id,
        data=adjustment.data,
    )
    txn = posted.transaction
    if not posted.created and txn.data != adjustment.data:
        raise KeyReused()
    if posted.created:
        await events.publish_transaction(session, events.AWARDED if award else events.DEDUCTED, txn)
        await audit_service.record(
            session,
            principal,
            "points.award" if award else "points.deduct",
            summary=f"{'awarded' if award else 'deducted'} {abs(amount)} points "
            f"{'to' if award else 'from'} person #{person.id} (transaction #{txn.id}){note}",
            target_type="points_transaction",
            target_id=txn.id,
            place=person,
        )
    return posted


async def request(
    session: AsyncSession, principal: Principal, person: Person, body: AdjustmentCreate, key: str
) -> PointsAdjustmentRequest:
    """Record an adjustment above the threshold as pending; the same Idempotency-Key
    finds the first request again, even after its stored response expired."""
    request_key = _request_key(principal, key)
    existing = await repository.adjustment_request_by_key(session, request_key)
    if existing is not None:
        if (existing.person_id, existing.amount, existing.reason) != (
            person.id,
            body.amount,
            body.reason,
        ):
            raise KeyReused()
        return existing
    pending = await repository.add_adjustment_request(
        session,
        PointsAdjustmentRequest(
            person_id=person.id,
            amount=body.amount,
            reason=body.reason,
            status=AdjustmentStatus.pending.value,
            request_key=request_key,
            requested_by=principal.user_id,
            requester_subject=principal.subject,
            town_id=person.town_id,
            community_id=person.community_id,
            grid_id=person.grid_id,
            building_id=person.building_id,
            household_id=person.household_id,
        ),
    )
    await audit_service.record(
        session,
        principal,
        "points.adjustment_request",
        summary=f"requested {body.amount:+d} points for person #{person.id} "
        f"(request #{pending.id}, above the approval threshold) by user #{principal.user_id}",
        target_type="points_adjustment_request",
        target_id=pending.id,
        place=person,
    )
    return pending


def _request_key(principal: Principal, key: str) -> str:
    """``idem:<caller>:<key>``; a key too long for the column is replaced by its digest."""
    request_key = f"idem:{principal.subject}:{key}"
    if len(request_key) <= MAX_KEY:
        return request_key
    return f"idem:{principal.subject}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


async def approve(
    session: AsyncSession, principal: Principal, request_id: int
) -> PointsAdjustmentRequest:
    """Post the request through the ledger as the approver; the row lock makes a second
    approver at the same moment wait and then find it decided (409)."""
    pending = await _decidable(session, principal, request_id)
    person = await person_in_scope(session, principal, pending.person_id)
    requester = pending.requested_by
    posted = await post(
        session,
        principal,
        Adjustment(
            person=person,
            amount=pending.amount,
            reason=pending.reason,
            txn_key=request_ledger_key(pending.id),
            data={
                "person_id": person.id,
                "amount": pending.amount,
                "request_id": pending.id,
                "requested_by": requester,
            },
        ),
        note=f", request #{pending.id} by user #{requester} approved by user #{principal.user_id}",
    )
    pending.transaction_id = posted.transaction.id
    await _decide(session, pending, principal, AdjustmentStatus.approved, None)
    await audit_service.record(
        session,
        principal,
        "points.adjustment_approve",
        summary=f"approved request #{pending.id} of user #{requester}: {pending.amount:+d} "
        f"points for person #{person.id}, approved by user #{principal.user_id} "
        f"(transaction #{posted.transaction.id})",
        target_type="points_adjustment_request",
        target_id=pending.id,
        place=person,
    )
    return pending


async def reject(
    session: AsyncSession, principal: Principal, request_id: int, body: RejectionCreate
) -> PointsAdjustmentRequest:
    pending = await _decidable(session, principal, request_id)
    await _decide(session, pending, principal, AdjustmentStatus.rejected, body.reason)
    await audit_service.record(
        session,
        principal,
        "points.adjustment_reject",
        summary=f"rejected request #{pending.id} of user #{pending.requested_by}: "
        f"{pending.amount:+d} points for person #{pending.person_id}, "
        f"rejected by user #{principal.user_id}",
        target_type="points_adjustment_request",
        target_id=pending.id,
        place=pending,
    )
    return pending


async def _decidable(
    session: AsyncSession, principal: Principal, request_id: int
) -> PointsAdjustmentRequest:
    pending = await repository.get_adjustment_request(
        session, request_id, principal.scope(POINTS_AWARD), for_update=True
    )
    if pending is None:
        raise AdjustmentRequestNotFound()
    if pending.requester_subject == principal.subject:
        raise OwnRequest()
    if pending.status != AdjustmentStatus.pending:
        raise AlreadyDecided()
    if principal.person_id is not None and principal.person_id == pending.person_id:
        raise SelfAdjustment()
    return pending


async def _decide(
    session: AsyncSession,
    pending: PointsAdjustmentRequest,
    principal: Principal,
    status: AdjustmentStatus,
    note: str | None,
) -> None:
    pending.status = status.value
    pending.decided_by = principal.user_id
    pending.decided_at = func.now()
    pending.decision_note = note
    await session.flush()
    await session.refresh(pending)


async def get_request(
    session: AsyncSession, principal: Principal, request_id: int
) -> AdjustmentRequestRead:
    found = await repository.get_adjustment_request(
        session, request_id, principal.scope(POINTS_AWARD)
    )
    if found is None:
        raise AdjustmentRequestNotFound()
    return AdjustmentRequestRead.model_validate(found)


async def list_requests(
    session: AsyncSession, principal: Principal, query: AdjustmentRequestQuery
) -> AdjustmentRequestPage:
    scope = principal.scope(POINTS_AWARD)
    status = None if query.status is None else query.status.value
    rows, cursor = await paginate(
        BY_ID,
        query.cursor,
        query.limit,
        lambda before, n: repository.list_adjustment_requests(session, scope, status, before, n),
        key=lambda row: row.id,
    )
    return AdjustmentRequestPage(
        items=[AdjustmentRequestRead.model_validate(row) for row in rows], next_cursor=cursor
    )
