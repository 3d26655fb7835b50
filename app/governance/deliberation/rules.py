"""Counting a 公议 vote and a 评议, without a database.

Quorum: at least ``quorum_percent`` of the compound's households voted
(``ballots × 100 ≥ quorum × eligible``). Threshold: *more than* ``threshold_percent``
of the votes cast are yes (``yes × 100 > threshold × ballots``), abstentions counted
as cast — so 50 means 过半数 in the sense of 《民法典》第二百七十八条, where a compound
typically sets a 2/3 quorum (67) and a majority of those voting (50).
"""

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


class VoteResult(enum.StrEnum):
    """Outcome of a closed vote (表决结果)."""

    passed = "passed"
    """通过 · quorum and threshold reached."""
    rejected = "rejected"
    """未通过 · quorum reached, too few yes votes."""
    no_quorum = "no_quorum"
    """未达法定人数 · too few households voted."""


@dataclass(frozen=True)
class Tally:
    eligible: int
    yes: int
    no: int
    abstain: int

    @property
    def ballots(self) -> int:
        return self.yes + self.no + self.abstain


def outcome(tally: Tally, quorum_percent: int, threshold_percent: int) -> VoteResult:
    if tally.ballots == 0 or tally.ballots * 100 < quorum_percent * tally.eligible:
        return VoteResult.no_quorum
    if tally.yes * 100 > threshold_percent * tally.ballots:
        return VoteResult.passed
    return VoteResult.rejected


def average(total: int, count: int) -> Decimal | None:
    """Mean score to two places (half up), None without ratings."""
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
