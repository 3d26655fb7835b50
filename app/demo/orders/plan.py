"""The shapes a demo order's story is built in: what the town holds, each step, each
history event, and the plan of one order."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.authz.scope import Place
from app.kit.calendar import WorkingCalendar
from app.orders.models import TimeLimitClass
from app.orders.workflow import OrderStatus

S = OrderStatus
DAYS = 90
"""The demo history spans the last 90 days."""
SYSTEM = "system"
DISPATCHER = "社区派单员"
ESCALATES_FROM = frozenset({S.triaged, S.dispatched, S.pooled, S.in_progress})
"""Statuses the deadline job escalates from (the table's sources of ``escalate``)."""
SECONDABLE = frozenset({S.submitted, *ESCALATES_FROM})
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Resident(Place):
    """A resident at their home's place (its ancestor ids come first)."""

    person_id: int
    name: str
    mobile: str | None
    home_unit_id: int


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    community_id: int | None
    grid_id: int | None


@dataclass(frozen=True)
class Town:
    residents: list[Resident]
    members: list[Member]
    members_near: dict[tuple[str, int], list[Member]]
    """("grid" | "community", id) → the members whose branch lies there."""
    categories: dict[str, str]
    """Category code → its default time-limit class."""
    limits: dict[str, TimeLimitClass]
    calendar: WorkingCalendar
    auto_close_hours: float


@dataclass
class Step:
    step: str
    offset: timedelta
    """From ``received_at``."""
    actor: str
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stamps: tuple[str, ...] = ()
    """Timestamp columns this step sets to its own time."""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    step: str
    at: datetime
    actor: str
    from_status: str | None = None
    to_status: str = ""
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    merged_from: "Plan | None" = None
    """On a 附议 event: the duplicate merged into this order."""


@dataclass
class Plan:
    target: OrderStatus
    resident: Resident
    category: str
    time_limit: str
    steps: list[Step]
    received_at: datetime = _EPOCH
    columns: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    merge_into: "Plan | None" = None
    seconders: dict[int, datetime] = field(default_factory=dict)
    """附议: person id → when (a merged duplicate's resident)."""
    number: str = ""
    order_id: int = 0

    def status_at(self, moment: datetime) -> OrderStatus | None:
        status = None
        for event in self.events:
            if event.at > moment:
                break
            status = OrderStatus(event.to_status)
        return status
