"""The life of a 五议 matter (仓山, seed 002) as data: 提议 → 动议 → 商议 → 公议 → 评议.

The transition table is the single source of truth for which step may follow which;
the service looks steps up here and never branches on statuses itself. Pure module:
no database, no I/O.
"""

import enum
from collections.abc import Mapping
from types import MappingProxyType


class MatterStatus(enum.StrEnum):
    """Status of a 五议 matter (事项状态)."""

    proposed = "proposed"
    """已提议 · 提议: proposed by a resident, a member, a body or staff."""
    consulting = "consulting"
    """商议中 · 动议 taken: the branch took it up; branch, committee and property company
    discuss and record their positions (商议)."""
    voting = "voting"
    """公议中 · the households of the compound vote (公议), one vote each."""
    passed = "passed"
    """已通过 · the vote reached quorum and threshold; being carried out."""
    reviewing = "reviewing"
    """评议中 · carried out; the households rate the result (评议)."""
    closed = "closed"
    """已办结 · rated and closed (terminal)."""
    declined = "declined"
    """不予动议 · the branch did not take it up (terminal)."""
    rejected = "rejected"
    """未通过 · the vote missed quorum or threshold (terminal)."""
    withdrawn = "withdrawn"
    """已撤回 · withdrawn before the vote (terminal)."""


class MatterStep(enum.StrEnum):
    """A step of the workflow."""

    propose = "propose"
    """提议 · the matter is filed."""
    take_up = "take_up"
    """动议 · the branch decides to take it up."""
    decline = "decline"
    """不予动议 · the branch declines it, with a reason."""
    withdraw = "withdraw"
    """撤回 · the proposer or staff withdraw it before the vote."""
    position = "position"
    """商议 · a party records its position; the status stays."""
    open_vote = "open_vote"
    """公议 · the vote opens with its quorum, threshold and window."""
    vote = "vote"
    """投票 · a household votes; the status stays."""
    pass_vote = "pass_vote"
    """公议通过 · the closed vote reached quorum and threshold."""
    reject_vote = "reject_vote"
    """公议未通过 · the closed vote missed quorum or threshold."""
    implement = "implement"
    """实施 · staff report it carried out; 评议 opens."""
    rate = "rate"
    """评议 · a household rates the result; the status stays."""
    close = "close"
    """办结 · 评议 ends and the matter closes."""


S, A = MatterStatus, MatterStep

TRANSITIONS: Mapping[tuple[MatterStatus, MatterStep], MatterStatus] = MappingProxyType(
    {
        (S.proposed, A.take_up): S.consulting,
        (S.proposed, A.decline): S.declined,
        **{(s, A.withdraw): S.withdrawn for s in (S.proposed, S.consulting)},
        (S.consulting, A.position): S.consulting,
        (S.consulting, A.open_vote): S.voting,
        (S.voting, A.vote): S.voting,
        (S.voting, A.pass_vote): S.passed,
        (S.voting, A.reject_vote): S.rejected,
        (S.passed, A.implement): S.reviewing,
        (S.reviewing, A.rate): S.reviewing,
        (S.reviewing, A.close): S.closed,
    }
)

TERMINAL: frozenset[MatterStatus] = frozenset({S.closed, S.declined, S.rejected, S.withdrawn})

STAGE: Mapping[MatterStatus, str] = MappingProxyType(
    {
        S.proposed: "提议",
        S.consulting: "商议",
        S.voting: "公议",
        S.passed: "公议",
        S.reviewing: "评议",
        S.closed: "评议",
        S.declined: "动议",
        S.rejected: "公议",
        S.withdrawn: "提议",
    }
)
"""Which of the five 议 a status belongs to (动议 is the step from 提议 to 商议)."""


class IllegalStep(Exception):
    def __init__(self, status: MatterStatus, step: MatterStep) -> None:
        super().__init__(f"{step} is not allowed from {status}")
        self.status = status
        self.step = step


def next_status(status: MatterStatus, step: MatterStep) -> MatterStatus:
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise IllegalStep(status, step) from None


def allowed_steps(status: MatterStatus) -> tuple[MatterStep, ...]:
    return tuple(step for step in MatterStep if (status, step) in TRANSITIONS)
