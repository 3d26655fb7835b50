"""Demo orders (演示工单): about 300 orders of a town in every status over the last 90
days, so the KPIs (``/stats/orders``) show real numbers on first start.

This is history, so it is written directly as rows: each order with its timestamps,
deadlines (from its time-limit class, in working days where the class says so),
回访 answers and escalations; its ``ServiceOrderEvent`` history, each step's
from/to status looked up in :mod:`app.orders.workflow`; 附议 rows for merged
duplicates; and the ``order_number_counter`` of each day. Nothing goes to the
outbox. The same ``rng_seed`` and ``now`` give the same orders.

The story of each order follows the real services: triage sets the deadlines from
``received_at``; an unhappy 回访 answer reopens (返工); a resolved order nobody
answers auto-closes after ``auto_close_after_hours``; the deadline job escalates
(吹哨) an open order past a deadline once per breach.
"""

import random
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.demo.orders import rows, stories, timeline
from app.kit.calendar import BUSINESS_TZ

__all__ = ["seed_demo_orders"]


async def seed_demo_orders(
    session: AsyncSession,
    *,
    town_id: int,
    rng_seed: int = 2026,
    now: datetime | None = None,
    count: int = 300,
) -> int:
    """Writes ``count`` orders located at the homes (or grids) of the town's residents and
    worked by its party members; both must exist. Returns the number of orders."""
    rng = random.Random(rng_seed)
    now = (now or datetime.now(UTC)).astimezone(BUSINESS_TZ)
    town = await rows.load_town(session, town_id)
    plans = [stories.story_of(rng, town, target) for target in stories.targets(rng, count)]
    for plan in plans:
        timeline.place(rng, plan, town, now)
    plans.sort(key=lambda p: p.received_at)
    for plan in plans:
        timeline.escalate(rng, plan, now)
    timeline.link_merges(rng, plans)
    for plan in plans:
        timeline.check(plan)
    await rows.number(session, plans)
    await rows.insert(session, plans, rng)
    return len(plans)
