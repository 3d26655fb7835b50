"""Races on real, separate connections with real commits: parallel new KPI settings
versions each get their own number, and parallel requests for one 通报 publish it
once. Everything committed is removed afterwards."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.authz.models import RoleGrant
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord
from app.reporting.bulletins.models import Bulletin
from app.reporting.kpi_settings.models import KpiSettingsVersion
from app.users.models import UserAccount
from tests.support.cleanup import purge_audit
from tests.support.factory import bearer, make_unit, make_user

RACERS = 8
SETTINGS = {
    "excluded_statuses": ["merged"],
    "exclude_flagged_unreasonable": False,
    "resolved_answers": ["yes"],
    "partly_resolved_weight": 0.5,
    "satisfied_answers": ["satisfied"],
    "basically_satisfied_weight": 0.6,
}


@dataclass
class Town:
    town_id: int
    user_id: int
    headers: dict[str, str]


@pytest.fixture
async def town(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Town]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        unit = await make_unit(session, "town", code="RACE-T")
        community = await make_unit(session, "community", unit, code="RACE-C")
        user = await make_user(session, ("town_admin", unit))
        await session.commit()
    try:
        yield Town(unit.id, user.id, bearer(settings, user))
    finally:
        async with AsyncSession(engine) as session, session.begin():
            # Bulletins and settings versions are history by trigger; replica mode,
            # local to this transaction, lets the test remove only what it wrote.
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(delete(Bulletin).where(Bulletin.town_id == unit.id))
            await session.execute(
                delete(KpiSettingsVersion).where(KpiSettingsVersion.town_id == unit.id)
            )
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.subject == f"user:{user.id}")
            )
            await purge_audit(session, users=[user.id], towns=[unit.id])
            await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id))
            await session.execute(delete(UserAccount).where(UserAccount.id == user.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.id.in_([community.id, unit.id])))


def keyed(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


async def test_parallel_versions_take_distinct_numbers(
    live_client: httpx.AsyncClient, engine: AsyncEngine, town: Town
) -> None:
    payload = {"town_id": town.town_id, "settings": SETTINGS}
    responses = await asyncio.gather(
        *(
            live_client.post(
                "/api/v1/stats/kpi-settings/versions", json=payload, headers=keyed(town.headers)
            )
            for _ in range(RACERS)
        )
    )
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(1, RACERS + 1))
    async with AsyncSession(engine) as session:
        stored = await session.scalar(
            select(func.count()).where(KpiSettingsVersion.town_id == town.town_id)
        )
    assert stored == RACERS


async def test_parallel_requests_publish_one_bulletin(
    live_client: httpx.AsyncClient, engine: AsyncEngine, town: Town
) -> None:
    payload = {"town_id": town.town_id, "kind": "monthly", "period_start": "2026-10-01"}
    responses = await asyncio.gather(
        *(
            live_client.post("/api/v1/stats/bulletins", json=payload, headers=keyed(town.headers))
            for _ in range(RACERS)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (RACERS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.text for r in responses}) == 1
    async with AsyncSession(engine) as session:
        stored = await session.scalar(select(func.count()).where(Bulletin.town_id == town.town_id))
    assert stored == 1
