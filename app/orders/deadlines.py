"""Deadlines (办理时限) and where an overdue order escalates (吹哨). Pure: no I/O.

响应时限 counts calendar hours to first contact; 办结时限 counts calendar hours or
Chinese working days (statutory holidays and 调休 make-up days), both from the
moment the order was received, as 接诉即办 does.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from app.authz.scope import Placed
from app.kit.calendar import WorkingCalendar


class Limit(Protocol):
    """A time-limit class (``time_limit_class`` row)."""

    @property
    def response_hours(self) -> float | Decimal: ...
    @property
    def resolve_amount(self) -> int: ...
    @property
    def resolve_unit(self) -> str: ...


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime
    resolve_due_at: datetime


def compute(received_at: datetime, limit: Limit, calendar: WorkingCalendar) -> Deadlines:
    response = received_at + timedelta(hours=float(limit.response_hours))
    if limit.resolve_unit == "working_days":
        resolve = calendar.add_working_days(received_at, limit.resolve_amount)
    else:
        resolve = received_at + timedelta(hours=limit.resolve_amount)
    return Deadlines(response_due_at=response, resolve_due_at=resolve)


class Breach:
    """Kinds of deadline breach; each escalates an order once."""

    response = "response"
    """超时未响应: past response_due_at without first contact."""
    resolve = "resolve"
    """超期未办结: past resolve_due_at and not resolved."""


def escalation_target(order: Placed, level: int) -> tuple[str, int]:
    """The node notified at escalation ``level`` (1 = first): one level above the
    grid is the community (社区吹哨), above that the town (街道吹哨, 部门报到)."""
    chain: list[tuple[str, int]] = []
    if order.grid_id and order.community_id:
        chain.append(("community", order.community_id))
    chain.append(("town", order.town_id))
    return chain[min(max(level, 1), len(chain)) - 1]
