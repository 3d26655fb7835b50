"""Who a rule's recipient kind names, read from the event itself (its payload and its
place): each kind is one small query. The rules table says which kinds hear which
event; this module only says who they are.

A recipient can carry extra words for the template (the points a member got)."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import ORDERS_DISPATCH, ORDERS_WORK
from app.db.base import ANCESTOR_COLUMNS
from app.integrations.models import OutboxEvent
from app.notifications import repository


@dataclass(frozen=True)
class Recipient:
    user_id: int
    extra: Mapping[str, Any] = field(default_factory=dict)


Resolver = Callable[[AsyncSession, OutboxEvent], Awaitable[list[Recipient]]]


def _ids(*values: Any) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


def _plain(user_ids: list[int]) -> list[Recipient]:
    return [Recipient(user_id) for user_id in user_ids]


async def _holders(session: AsyncSession, holder: Any) -> list[Recipient]:
    """The member, team or department an order is with (not a pool: nobody holds it)."""
    if not isinstance(holder, dict):
        return []
    kind = holder.get("kind")
    if kind == "member":
        return _plain(await repository.users_of_people(session, _ids(holder.get("person_id"))))
    if kind == "team":
        return _plain(await repository.users_of_teams(session, _ids(holder.get("team_id"))))
    if kind == "department":
        department = _ids(holder.get("department_id"))
        return _plain(await repository.users_of_departments(session, department))
    return []


async def resident(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    person = _ids(event.payload.get("resident_person_id"))
    return _plain(await repository.users_of_people(session, person))


async def assignee(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    return await _holders(session, event.payload.get("assignee"))


async def holder(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    """Who held the order when it escalated (recorded in the step's data)."""
    data = event.payload.get("data") or {}
    return await _holders(session, data.get("holder") or event.payload.get("assignee"))


async def pool_members(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    """Everyone who may claim from the pool of the order's place: ``orders.work``
    granted at the place or any node above it."""
    above = _ids(*(getattr(event, column) for column in ANCESTOR_COLUMNS))
    return _plain(await repository.users_granted(session, above, ORDERS_WORK))


async def escalation_unit(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    """The staff of the level an order escalated to (社区吹哨 / 街道吹哨): whoever
    dispatches there by a grant at that node."""
    notify = (event.payload.get("data") or {}).get("notify") or {}
    unit = _ids(notify.get("unit_id"))
    return _plain(await repository.users_granted(session, unit, ORDERS_DISPATCH))


async def department(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    department_id = _ids(event.payload.get("department_id"))
    return _plain(await repository.users_of_departments(session, department_id))


async def points_member(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    """Each member credited by the transaction, with the amount and the new balance."""
    found: list[Recipient] = []
    for leg in event.payload.get("legs") or []:
        if not isinstance(leg, dict) or leg.get("account_kind") != "member":
            continue
        amount = leg.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            continue
        extra = {"amount": amount, "balance": leg.get("balance_after")}
        for user_id in await repository.users_of_people(session, _ids(leg.get("person_id"))):
            found.append(Recipient(user_id, extra))
    return found


async def redeemer(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    person = _ids(event.payload.get("person_id"))
    return _plain(await repository.users_of_people(session, person))


async def subscription_owner(session: AsyncSession, event: OutboxEvent) -> list[Recipient]:
    kind, _, ident = str(event.payload.get("owner") or "").partition(":")
    if kind != "user" or not ident.isdigit():
        return []  # integration clients have no inbox
    user_id = await repository.active_user(session, int(ident))
    return [] if user_id is None else [Recipient(user_id)]


RESOLVERS: dict[str, Resolver] = {
    "resident": resident,
    "assignee": assignee,
    "pool_members": pool_members,
    "holder": holder,
    "escalation_unit": escalation_unit,
    "department": department,
    "points_member": points_member,
    "redeemer": redeemer,
    "subscription_owner": subscription_owner,
}
"""Every recipient kind ``notification_rule.recipient`` may name (``RECIPIENTS``)."""
