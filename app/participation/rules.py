"""Pure rules of activities: who may sign up, when check-in and check-out are open, and
how service hours (服务时长) are counted. No database here."""

import enum
from datetime import datetime, timedelta
from typing import Final

CHECK_IN_OPENS_BEFORE: Final = timedelta(hours=1)
"""Check-in opens an hour before the start (people arrive early)…"""
CHECK_OUT_CLOSES_AFTER: Final = timedelta(hours=2)
"""…and check-out closes two hours after the end (the last ones leave late)."""


class Audience(enum.StrEnum):
    """Who may sign up for an activity (报名范围)."""

    residents = "residents"
    """居民 · anyone of the activity's community (members are residents too)."""
    members = "members"
    """党员 · party members only."""
    team = "team"
    """志愿服务队 · members of one volunteer team."""


class ActivityStatus(enum.StrEnum):
    """State of an activity (活动状态)."""

    open = "open"
    """已发布 · published: sign-up until it starts, check-in and out around it."""
    cancelled = "cancelled"
    """已取消 · cancelled with a reason; nobody earns anything."""
    closed = "closed"
    """已结束 · closed by the organiser: attendants' points awarded once."""


class SignupStatus(enum.StrEnum):
    """State of a sign-up (报名状态)."""

    confirmed = "confirmed"
    """已确认 · holds a place."""
    waiting = "waiting"
    """候补 · on the waiting list, promoted in sign-up order when a place frees."""
    cancelled = "cancelled"
    """已取消 · cancelled by the person."""


def eligible(audience: Audience, *, is_party_member: bool, in_team: bool) -> bool:
    if audience is Audience.members:
        return is_party_member
    if audience is Audience.team:
        return in_team
    return True


def check_in_open(now: datetime, starts_at: datetime, ends_at: datetime) -> bool:
    return starts_at - CHECK_IN_OPENS_BEFORE <= now <= ends_at


def check_out_open(
    now: datetime, checked_in_at: datetime, starts_at: datetime, ends_at: datetime
) -> bool:
    return (
        max(checked_in_at, starts_at - CHECK_IN_OPENS_BEFORE)
        <= now
        <= (ends_at + CHECK_OUT_CLOSES_AFTER)
    )


def service_minutes(
    checked_in_at: datetime, checked_out_at: datetime, starts_at: datetime, ends_at: datetime
) -> int:
    """服务时长 in whole minutes: from check-in to check-out, capped by the activity's own
    length (an early arrival or a late leave never makes it longer than the activity)."""
    served = checked_out_at - checked_in_at
    length = ends_at - starts_at
    return max(0, int(min(served, length).total_seconds() // 60))
