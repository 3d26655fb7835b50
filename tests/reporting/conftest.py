"""A known dataset for the KPI tests: orders written directly as rows, with chosen
timestamps and 回访 answers, so every figure can be computed by hand."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from tests.support.factory import make_order, make_tree, make_unit
from tests.support.world import World as BaseWorld
from tests.support.world import build_world, callers

SH = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/stats/orders"
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


def t(moment: str, year: int = 2026) -> datetime:
    """``"10-02 09:00"`` → 2026-10-02 09:00 in Asia/Shanghai."""
    return datetime.strptime(f"{year}-{moment}", "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def closed(
    received: str,
    accepted: str,
    contact: str | None,
    response_due: str,
    resolved: str,
    resolve_due: str,
    answers: tuple[str, str] | None,
    **extra: Any,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "received": t(received),
        "triaged_at": t(received),
        "dispatched_at": t(received),
        "accepted_at": t(accepted),
        "first_contact_at": t(contact) if contact else None,
        "response_due_at": t(response_due),
        "resolved_at": t(resolved),
        "resolve_due_at": t(resolve_due),
        **extra,
    }
    if answers:
        fields["feedback_resolved"], fields["feedback_satisfaction"] = answers
        fields["feedback_at"] = t(resolved)
    return fields


@dataclass
class World(BaseWorld):
    orders: dict[str, ServiceOrder] = field(default_factory=dict)


async def _dataset(db: AsyncSession, u: dict[str, OrgUnit]) -> dict[str, ServiceOrder]:
    """The orders the expected values in test_order_stats.py are computed from."""
    specs: dict[str, tuple[str, str, str, dict[str, Any]]] = {
        # community c1 (all under grid g1)
        "A1": (
            "h1",
            "closed",
            "repair",
            closed(
                "10-02 09:00",
                "10-02 11:00",
                "10-02 11:30",
                "10-02 11:00",
                "10-03 09:00",
                "10-03 09:00",
                ("yes", "satisfied"),
            ),
        ),
        "A2": (
            "b1",
            "closed",
            "elderly_help",
            closed(
                "10-05 08:00",
                "10-05 12:00",
                "10-05 12:00",
                "10-06 08:00",
                "10-08 08:00",
                "10-07 08:00",
                ("partly", "basically"),
                escalation_level=1,
            ),
        ),
        "A3": (
            "h1",
            "closed",
            "repair",
            closed(
                "10-10 10:00",
                "10-10 11:00",
                "10-10 11:00",
                "10-10 12:00",
                "10-10 20:00",
                "10-11 10:00",
                ("no", "not"),
            ),
        ),
        "A4": (
            "g1",
            "in_progress",
            "repair",
            {
                "received": t("10-12 09:00"),
                "accepted_at": t("10-12 15:00"),
                "response_due_at": t("10-12 11:00"),
                "resolve_due_at": t("10-13 09:00"),
                "escalation_level": 2,
            },
        ),
        "A5": ("h1", "rejected", "other", {"received": t("10-15 09:00")}),
        "A6": (
            "h1",
            "closed",
            "repair",
            closed(
                "10-16 09:00",
                "10-16 10:00",
                "10-16 10:00",
                "10-16 11:00",
                "10-16 12:00",
                "10-17 09:00",
                ("yes", "satisfied"),
                is_excluded=True,
            ),
        ),
        "A7": (
            "h1",
            "triaged",
            "environment",
            {
                "received": t("10-20 09:00"),
                "response_due_at": t("01-01 09:00", 2027),
                "resolve_due_at": t("01-10 09:00", 2027),
            },
        ),
        "A8": (
            "h1",
            "closed",
            "repair",
            closed(
                "09-30 23:30",
                "10-01 09:00",
                "10-01 09:00",
                "10-01 09:00",
                "10-01 10:00",
                "10-02 09:00",
                ("yes", "satisfied"),
            ),
        ),
        "A9": ("h1", "submitted", "repair", {"received": t("10-31 23:59")}),
        "A10": ("h1", "submitted", "repair", {"received": t("11-01 00:00")}),
        # community c2
        "B1": (
            "b2",
            "closed",
            "repair",
            closed(
                "10-03 09:00",
                "10-03 09:30",
                "10-03 09:30",
                "10-03 10:00",
                "10-03 13:00",
                "10-04 09:00",
                ("yes", "basically"),
            ),
        ),
        "B2": (
            "b2",
            "closed",
            "mediation",
            closed(
                "10-04 09:00",
                "10-04 17:00",
                "10-04 17:00",
                "10-05 09:00",
                "10-06 09:00",
                "10-20 09:00",
                ("yes", "satisfied"),
            ),
        ),
        "B3": ("b2", "merged", "mediation", {"received": t("10-06 09:00")}),
        "B4": (
            "g2",
            "resolved",
            "repair",
            closed(
                "10-07 09:00",
                "10-07 10:00",
                "10-07 10:00",
                "10-07 09:30",
                "10-08 09:00",
                "10-07 21:00",
                None,
                escalation_level=1,
            ),
        ),
        # community c3: orders placed at the community itself
        "C1": (
            "c3",
            "closed",
            "health",
            closed(
                "10-09 09:00",
                "10-09 10:00",
                "10-09 10:00",
                "10-09 12:00",
                "10-09 15:00",
                "10-20 09:00",
                ("partly", "satisfied"),
            ),
        ),
        "C2": (
            "c3",
            "closed",
            "health",
            closed(
                "10-11 09:00",
                "10-11 11:00",
                "10-11 11:00",
                "10-11 10:00",
                "10-11 21:00",
                "10-20 09:00",
                ("partly", "basically"),
            ),
        ),
        # the town itself, and another town
        "T1": ("town", "submitted", "other", {"received": t("10-25 09:00")}),
        "X1": (
            "oc",
            "closed",
            "repair",
            closed(
                "10-03 09:00",
                "10-03 09:30",
                "10-03 09:30",
                "10-03 10:00",
                "10-03 13:00",
                "10-04 09:00",
                ("no", "not"),
            ),
        ),
    }
    orders = {}
    for key, (place, status, category, fields) in specs.items():
        received = fields.pop("received")
        orders[key] = await make_order(
            db, u[place], status=status, category=category, received_at=received, **fields
        )
    return orders


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    units = await make_tree(db)
    units["c3"] = await make_unit(db, "community", units["town"], name="南山社区")
    units["c4"] = await make_unit(db, "community", units["town"], name="北岭社区")
    # sibling: a dispatcher of the sibling community; the auditor reads the whole town
    more = {"sibling": ("dispatcher", "c2"), "auditor": ("auditor", "town")}
    world = await build_world(db, settings, callers(**more), kind=World, units=units)
    world.orders = await _dataset(db, units)
    return world
