"""The 五议 transition table and the vote count, without a database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.governance.deliberation.rules import Tally, VoteResult, average, outcome
from app.governance.deliberation.workflow import (
    STAGE,
    TERMINAL,
    TRANSITIONS,
    IllegalStep,
    MatterStatus,
    MatterStep,
    allowed_steps,
    next_status,
)

S, A = MatterStatus, MatterStep


def test_the_five_steps_in_order() -> None:
    path = [A.take_up, A.position, A.open_vote, A.vote, A.pass_vote, A.implement, A.rate, A.close]
    status = S.proposed
    stages = [STAGE[status]]
    for step in path:
        status = next_status(status, step)
        stages.append(STAGE[status])
    assert status is S.closed
    assert list(dict.fromkeys(stages)) == ["提议", "商议", "公议", "评议"]


def test_terminal_statuses_allow_nothing() -> None:
    for status in TERMINAL:
        assert allowed_steps(status) == ()


def test_every_status_but_terminal_ones_can_move() -> None:
    for status in set(S) - TERMINAL:
        assert allowed_steps(status), status


@given(st.sampled_from(list(S)), st.sampled_from(list(A)))
def test_illegal_steps_raise(status: MatterStatus, step: MatterStep) -> None:
    if (status, step) in TRANSITIONS:
        assert next_status(status, step) in S
    else:
        with pytest.raises(IllegalStep):
            next_status(status, step)


def test_no_vote_once_withdrawn_or_decided() -> None:
    for status in (S.withdrawn, S.passed, S.rejected, S.proposed):
        assert A.vote not in allowed_steps(status)


@pytest.mark.parametrize(
    ("eligible", "yes", "no", "abstain", "result"),
    [
        (12, 7, 1, 1, VoteResult.passed),  # 9 of 12 voted (≥ 67 %), 7 of 9 yes (> 50 %)
        (12, 4, 4, 0, VoteResult.no_quorum),  # 8 of 12 = 66.7 % < 67 %
        (12, 4, 4, 1, VoteResult.rejected),  # 9 voted, 4 of 9 yes is not more than half
        (12, 5, 5, 0, VoteResult.rejected),  # 10 voted, exactly half is not 过半数
        (3, 0, 0, 0, VoteResult.no_quorum),
        (0, 0, 0, 0, VoteResult.no_quorum),
    ],
)
def test_quorum_and_threshold(
    eligible: int, yes: int, no: int, abstain: int, result: VoteResult
) -> None:
    assert outcome(Tally(eligible, yes, no, abstain), 67, 50) is result


@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(1, 100),
    st.integers(1, 99),
)
def test_passing_needs_quorum_and_more_yes_than_the_threshold(
    yes: int, no: int, abstain: int, quorum: int, threshold: int
) -> None:
    tally = Tally(yes + no + abstain + 3, yes, no, abstain)
    if outcome(tally, quorum, threshold) is VoteResult.passed:
        assert tally.ballots * 100 >= quorum * tally.eligible
        assert yes * 100 > threshold * tally.ballots


def test_average_is_rounded_half_up() -> None:
    assert average(37, 8) == Decimal("4.63")  # 4.625
    assert average(0, 0) is None
