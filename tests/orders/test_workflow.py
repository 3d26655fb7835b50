"""The order transition table, checked without a database."""

import itertools
from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.orders.workflow import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    IllegalStep,
    OrderStatus,
    OrderStep,
    allowed_steps,
    next_status,
)


def _reachable(start: OrderStatus) -> set[OrderStatus]:
    seen, queue = {start}, deque([start])
    while queue:
        status = queue.popleft()
        for step in allowed_steps(status):
            target = next_status(status, step)
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


class TestTable:
    def test_every_status_is_reachable_from_submission(self) -> None:
        assert _reachable(OrderStatus.submitted) == set(OrderStatus)

    def test_terminal_statuses_have_no_way_out(self) -> None:
        for status in TERMINAL:
            assert allowed_steps(status) == ()

    def test_every_open_order_can_still_end(self) -> None:
        for status in OPEN:
            assert _reachable(status) & TERMINAL, status

    def test_closing_only_after_resolution(self) -> None:
        into_closed = {s for (s, _), t in TRANSITIONS.items() if t is OrderStatus.closed}
        assert into_closed == {OrderStatus.resolved}

    def test_only_a_pooled_order_can_be_claimed(self) -> None:
        assert [s for (s, step) in TRANSITIONS if step is OrderStep.claim] == [OrderStatus.pooled]

    def test_cancel_only_before_acceptance(self) -> None:
        cancellable = {s for (s, step) in TRANSITIONS if step is OrderStep.cancel}
        assert OrderStatus.in_progress not in cancellable
        assert OrderStatus.resolved not in cancellable

    def test_illegal_step_names_status_and_step(self) -> None:
        with pytest.raises(IllegalStep) as caught:
            next_status(OrderStatus.closed, OrderStep.accept)
        assert caught.value.status is OrderStatus.closed
        assert caught.value.step is OrderStep.accept


@given(st.lists(st.sampled_from(list(OrderStep)), max_size=60))
def test_random_step_sequences_never_reach_an_illegal_state(steps: list[OrderStep]) -> None:
    status = OrderStatus.submitted
    history = [status]
    for step in steps:
        allowed = (status, step) in TRANSITIONS
        try:
            new = next_status(status, step)
        except IllegalStep:
            assert not allowed
            continue
        assert allowed
        assert status not in TERMINAL
        if new is OrderStatus.closed:
            assert status is OrderStatus.resolved
        if step is OrderStep.claim:
            assert status is OrderStatus.pooled
        status = new
        history.append(status)
    assert all(isinstance(s, OrderStatus) for s in history)
    # Once terminal, always terminal: nothing follows a terminal status in the history.
    for earlier, later in itertools.pairwise(history):
        assert earlier not in TERMINAL or earlier == later
