"""The life of a service order (三单: 居民点单 · 社区派单 · 党员接单) as data.

The transition table is the single source of truth for which step may follow
which; the service looks steps up here and never branches on statuses itself.
Pure module: no database, no I/O, unit-tested with Hypothesis.
"""

import enum
from collections.abc import Mapping
from types import MappingProxyType


class OrderStatus(enum.StrEnum):
    """Status of a service order (工单状态)."""

    submitted = "submitted"
    """待受理 · filed by or for a resident, awaiting triage."""
    triaged = "triaged"
    """待派单 · accepted into work (分拣), awaiting dispatch."""
    dispatched = "dispatched"
    """待接单 · dispatched to a member, team or department, awaiting acceptance."""
    pooled = "pooled"
    """抢单中 · in the claim pool of a scope (抢单)."""
    in_progress = "in_progress"
    """处置中 · accepted by its assignee and being worked on."""
    resolved = "resolved"
    """待回访 · marked resolved, awaiting the resident's answer (回访)."""
    closed = "closed"
    """已办结 · closed (terminal)."""
    rejected = "rejected"
    """已驳回 · rejected at triage with a reason (terminal)."""
    merged = "merged"
    """已合并 · merged into another order as a duplicate (terminal)."""
    cancelled = "cancelled"
    """已撤销 · cancelled by the resident before acceptance (terminal)."""


class OrderStep(enum.StrEnum):
    """A step of the workflow; each becomes ``POST /orders/{id}/<step>``."""

    triage = "triage"
    """分拣受理 · accept into work with priority and time-limit class."""
    reject = "reject"
    """驳回 · refuse with a reason."""
    merge = "merge"
    """合并 · merge into another open order (duplicate)."""
    cancel = "cancel"
    """撤销 · the resident withdraws the order before anyone accepted it."""
    dispatch = "dispatch"
    """派单 · to a named member, a volunteer team or a department (also re-dispatch)."""
    pool = "pool"
    """放入抢单池 · offer it to the claim pool of a scope."""
    claim = "claim"
    """抢单 · a member claims a pooled order; exactly one wins."""
    accept = "accept"
    """接单 · the assignee accepts."""
    decline = "decline"
    """退单 · the assignee declines with a reason; back to dispatch."""
    contact = "contact"
    """首次联系 · first contact with the resident (counts for 响应率)."""
    note = "note"
    """进展 · a progress note."""
    resolve = "resolve"
    """办结 · the assignee reports it resolved with result and photos."""
    confirm = "confirm"
    """回访满意 · the resident's answer closes it."""
    reopen = "reopen"
    """返工 · an unhappy answer sends it back to the assignee."""
    auto_close = "auto_close"
    """超时自动办结 · no answer within the configured time."""
    escalate = "escalate"
    """吹哨 · past a deadline, escalated one level up; the status stays."""
    second = "second"
    """附议 · another resident with the same problem seconds it; the status stays."""


S, A = OrderStatus, OrderStep

_ACTIVE_BEFORE_WORK = (S.triaged, S.dispatched, S.pooled)
_OPEN = (S.submitted, *_ACTIVE_BEFORE_WORK, S.in_progress)

TRANSITIONS: Mapping[tuple[OrderStatus, OrderStep], OrderStatus] = MappingProxyType(
    {
        (S.submitted, A.triage): S.triaged,
        (S.submitted, A.reject): S.rejected,
        **{(s, A.merge): S.merged for s in (S.submitted, S.triaged)},
        **{(s, A.cancel): S.cancelled for s in (S.submitted, *_ACTIVE_BEFORE_WORK)},
        **{(s, A.dispatch): S.dispatched for s in _ACTIVE_BEFORE_WORK},
        **{(s, A.pool): S.pooled for s in (S.triaged, S.dispatched)},
        (S.pooled, A.claim): S.in_progress,
        (S.dispatched, A.accept): S.in_progress,
        (S.dispatched, A.decline): S.triaged,
        (S.in_progress, A.contact): S.in_progress,
        (S.in_progress, A.note): S.in_progress,
        (S.in_progress, A.resolve): S.resolved,
        (S.resolved, A.confirm): S.closed,
        (S.resolved, A.reopen): S.in_progress,
        (S.resolved, A.auto_close): S.closed,
        **{(s, A.escalate): s for s in (*_ACTIVE_BEFORE_WORK, S.in_progress)},
        **{(s, A.second): s for s in _OPEN},
    }
)

TERMINAL: frozenset[OrderStatus] = frozenset({S.closed, S.rejected, S.merged, S.cancelled})
OPEN: frozenset[OrderStatus] = frozenset(_OPEN) | {S.resolved}


class IllegalStep(Exception):
    """The step is not allowed from the order's current status."""

    def __init__(self, status: OrderStatus, step: OrderStep) -> None:
        super().__init__(f"{step} is not allowed from {status}")
        self.status = status
        self.step = step


def next_status(status: OrderStatus, step: OrderStep) -> OrderStatus:
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise IllegalStep(status, step) from None


def allowed_steps(status: OrderStatus) -> tuple[OrderStep, ...]:
    """The steps that may follow ``status``, in declaration order (for clients' buttons)."""
    return tuple(step for step in OrderStep if (status, step) in TRANSITIONS)
