"""Placing each story in time: receipt, deadlines (from the time-limit class), the
deadline job's escalations (吹哨), merges of duplicates (附议) and a final check of
every history against the transition table."""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from app.demo.orders.plan import (
    DAYS,
    DISPATCHER,
    ESCALATES_FROM,
    SECONDABLE,
    SYSTEM,
    Event,
    Plan,
    Town,
)
from app.demo.orders.stories import CANCEL_REASONS, REJECT_REASONS, hours
from app.orders import deadlines
from app.orders.workflow import OrderStatus, OrderStep, next_status

S = OrderStatus
_BREACH_NOTES = {
    deadlines.Breach.response: "超过响应时限未联系居民，上报上一级",
    deadlines.Breach.resolve: "超过办结时限未办结，上报上一级",
}


def _lag(rng: random.Random, plan: Plan, town: Town) -> timedelta:
    """How long ago the order's last step happened."""
    if plan.target is S.resolved:
        # Unanswered for longer than auto_close_after_hours, it would be closed by now.
        return hours(rng, 0.5, town.auto_close_hours * 0.9)
    if plan.target is S.submitted:
        return hours(rng, 0.2, 36) if rng.random() < 0.9 else hours(rng, 36, 120)
    if plan.target in ESCALATES_FROM:
        return hours(rng, 0.2, 20) if rng.random() < 0.8 else hours(rng, 20, 360)
    return hours(rng, 1, 24 * DAYS)


def place(rng: random.Random, plan: Plan, town: Town, now: datetime) -> None:
    span = plan.steps[-1].offset
    received = now - span - _lag(rng, plan, town)
    earliest = now - timedelta(days=DAYS)
    if received < earliest:
        received = earliest + (now - earliest - span) * rng.random()
    plan.received_at = received.replace(microsecond=0)
    if any(step.step == "triage" for step in plan.steps):
        due = deadlines.compute(plan.received_at, town.limits[plan.time_limit], town.calendar)
        plan.columns |= {
            "response_due_at": due.response_due_at,
            "resolve_due_at": due.resolve_due_at,
        }
    status: OrderStatus | None = None
    for step in plan.steps:
        at = plan.received_at + step.offset
        for column in step.stamps:
            if column != "first_contact_at" or "first_contact_at" not in plan.columns:
                plan.columns[column] = at
        plan.columns.update(step.values)
        before = status
        status = S.submitted if status is None else next_status(status, OrderStep(step.step))
        plan.events.append(
            Event(
                step.step,
                at,
                step.actor,
                before and before.value,
                status.value,
                step.note,
                step.data,
            )
        )


def escalate(rng: random.Random, plan: Plan, now: datetime) -> None:
    """The deadline job's 吹哨: the first moment past each deadline when the order is
    escalatable and the breach still holds, once per breach kind."""
    found: list[tuple[datetime, str, datetime]] = []
    for breach, due in (
        (deadlines.Breach.response, plan.columns.get("response_due_at")),
        (deadlines.Breach.resolve, plan.columns.get("resolve_due_at")),
    ):
        if due is not None and (at := _breach_time(rng, plan, breach, due, now)) is not None:
            found.append((at, breach, due))
    for level, (at, breach, due) in enumerate(sorted(found), start=1):
        status = plan.status_at(at)
        assert status is not None
        notify_level, notify_id = deadlines.escalation_target(plan.resident, level)
        _interject(
            plan,
            Event(
                "escalate",
                at,
                SYSTEM,
                status.value,
                status.value,
                _BREACH_NOTES[breach],
                {
                    "breach": breach,
                    "due_at": due.isoformat(),
                    "level": level,
                    "notify": {"level": notify_level, "unit_id": notify_id},
                },
            ),
        )
        plan.columns["escalation_level"] = level


def _breach_time(
    rng: random.Random, plan: Plan, breach: str, due: datetime, now: datetime
) -> datetime | None:
    ends = [e.at for e in plan.events[1:]] + [now]
    for event, end in zip(plan.events, ends, strict=True):
        at = max(due, event.at) + timedelta(seconds=rng.randint(60, 600))
        if at >= end or OrderStatus(event.to_status) not in ESCALATES_FROM:
            continue
        contacted = plan.columns.get("first_contact_at")
        if breach == deadlines.Breach.response and contacted is not None and contacted <= at:
            return None
        return at
    return None


def _interject(plan: Plan, event: Event) -> None:
    """A step that keeps the status (吹哨, 附议), slotted into the history by time."""
    index = next((i for i, e in enumerate(plan.events) if e.at > event.at), len(plan.events))
    plan.events.insert(index, event)


def link_merges(rng: random.Random, plans: list[Plan]) -> None:
    """Each duplicate joins an earlier order of its community still open at the time;
    its resident becomes the target's 附议 (as the merge step does)."""
    for plan in plans:
        if plan.target is not S.merged:
            continue
        at = plan.events[-1].at
        open_then = [
            p
            for p in plans
            if p is not plan
            and p.target is not S.merged
            and p.received_at <= plan.received_at
            and p.status_at(at) in SECONDABLE
        ]
        by_community: dict[int | None, list[Plan]] = defaultdict(list)
        for candidate in open_then:
            by_community[candidate.resident.community_id].append(candidate)
        near = by_community.get(plan.resident.community_id) or open_then
        target = rng.choice(near) if near else None
        if target is None:  # nothing open to merge into: the dispatcher rejected it instead
            _as_rejected(plan)
            continue
        plan.merge_into = target
        if plan.resident.person_id != target.resident.person_id:
            target.seconders.setdefault(plan.resident.person_id, at)
        status = target.status_at(at)
        assert status is not None
        second = Event("second", at, DISPATCHER, status.value, status.value, merged_from=plan)
        _interject(target, second)
        target.columns["seconds_count"] = len(target.seconders)


def _as_rejected(plan: Plan) -> None:
    """A duplicate with nothing to merge into: rejected at triage, or withdrawn after it."""
    last = plan.events[-1]
    if last.from_status == S.submitted.value:
        last.step, last.to_status, last.note = "reject", S.rejected.value, REJECT_REASONS[0]
        plan.columns["reject_reason"] = REJECT_REASONS[0]
    else:
        last.step, last.to_status, last.note = "cancel", S.cancelled.value, CANCEL_REASONS[1]
        last.actor = plan.resident.name
    plan.target = OrderStatus(last.to_status)


def check(plan: Plan) -> None:
    """Every event follows the transition table from the one before it."""
    status: str | None = None
    for event in plan.events:
        if event.from_status != status:
            raise AssertionError(f"{plan.number or plan.target}: {event} does not follow {status}")
        if status is not None:
            expected = next_status(OrderStatus(status), OrderStep(event.step))
            if event.to_status != expected.value:
                raise AssertionError(f"{plan.target}: {event} should lead to {expected}")
        status = event.to_status
    if status != plan.target.value:
        raise AssertionError(f"{plan.target}: history ends in {status}")
