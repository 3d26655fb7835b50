"""The district generator (``python -m bench district``) at a tiny scale: every NOT NULL
column and CHECK constraint satisfied, ancestor ids consistent, and a ledger whose hash
chains, balances and period totals ``verify-ledger`` accepts."""

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import migrate
from app.config import Settings
from app.db.session import create_engine
from app.points import verify
from bench.district import BENCH_SETTINGS, generate
from tests.support.databases import base_name, drop_database, recreate_database, worker_suffix

SCALE = 0.0005


@pytest.fixture(scope="module")
def district(server_url: str) -> Iterator[str]:
    name = f"{base_name(server_url)}_{worker_suffix()}_district"
    url = recreate_database(server_url, name)
    try:
        migrate(url)
        generate(url, SCALE)
        yield url
    finally:
        drop_database(server_url, name)


CONSISTENCY = {
    "org units": """
        SELECT count(*) FROM org_unit u JOIN org_unit p ON p.id = u.parent_id
         WHERE u.town_id <> p.town_id
            OR (p.level <> 'town' AND u.community_id IS DISTINCT FROM p.community_id)
            OR (p.level IN ('grid', 'building') AND u.grid_id IS DISTINCT FROM p.grid_id)""",
    "people": """
        SELECT count(*) FROM person p JOIN org_unit u ON u.id = p.home_unit_id
         WHERE (p.town_id, p.community_id, p.grid_id, p.building_id, p.household_id)
               IS DISTINCT FROM (u.town_id, u.community_id, u.grid_id, u.building_id,
                                 u.household_id)""",
    "orders": """
        SELECT count(*) FROM service_order o JOIN org_unit u ON u.id = o.location_unit_id
         WHERE (o.town_id, o.community_id, o.grid_id, o.building_id, o.household_id)
               IS DISTINCT FROM (u.town_id, u.community_id, u.grid_id, u.building_id,
                                 u.household_id)""",
    "orders without their first event": """
        SELECT count(*) FROM service_order o WHERE NOT EXISTS (
            SELECT 1 FROM service_order_event e WHERE e.order_id = o.id AND e.step = 'submit')""",
    "closed orders without a close time or 回访": """
        SELECT count(*) FROM service_order WHERE status = 'closed'
           AND (closed_at IS NULL OR resolved_at IS NULL OR feedback_satisfaction IS NULL)""",
}


async def test_district_is_consistent_and_the_ledger_verifies(district: str) -> None:
    settings = Settings.model_validate(BENCH_SETTINGS)
    engine = create_engine(settings, district, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as session:
            counts = (
                await session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM party_member),"
                        " (SELECT count(*) FROM service_order),"
                        " (SELECT count(*) FROM points_posting)"
                    )
                )
            ).one()
            assert tuple(counts) == (250, 25, 1000, 5000)
            for label, query in CONSISTENCY.items():
                assert (await session.execute(text(query))).scalar_one() == 0, label
    finally:
        await engine.dispose()
    report = await verify.run(settings, district)
    assert report.differences == [], report.summary()
    assert "clean" in report.summary()
