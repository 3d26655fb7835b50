"""The audit log: scoped reads, filters, newest-first keyset pages, append-only storage
and the retention purge."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.hierarchy.models import OrgUnit
from app.worker import open_queue
from tests.support.problems import assert_problem
from tests.users.helpers import World

URL = "/api/v1/audit-log"


async def _event(
    db: AsyncSession,
    place: OrgUnit | None,
    *,
    action: str = "user.update",
    outcome: str = "success",
    actor_user_id: int | None = None,
    occurred_at: datetime | None = None,
    summary: str = "测试事件",
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        summary=summary,
        outcome=outcome,
        actor_user_id=actor_user_id,
        target_type="user",
        target_id="1",
        town_id=place.town_id if place else None,
        community_id=place.community_id if place else None,
        grid_id=place.grid_id if place else None,
        building_id=place.building_id if place else None,
        household_id=place.household_id if place else None,
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    db.add(event)
    await db.flush()
    return event


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("admin", 200), ("auditor", 200), ("sibling", 404), ("weak", 403)],
)
async def test_read_one_matrix(
    client: httpx.AsyncClient, db: AsyncSession, world: World, who: str | None, expected: int
) -> None:
    event = await _event(db, world.tree["b1"])
    response = await client.get(f"{URL}/{event.id}", headers=world.as_(who))
    assert response.status_code == expected, response.text
    if expected == 200:
        body = response.json()
        assert (body["id"], body["action"], body["building_id"]) == (
            event.id,
            "user.update",
            world.tree["b1"].id,
        )
    if expected == 404:
        assert_problem(response, 404, "audit_event.not_found")


@pytest.mark.parametrize(("who", "expected"), [(None, 401), ("weak", 403)])
async def test_list_refused(
    client: httpx.AsyncClient, world: World, who: str | None, expected: int
) -> None:
    assert (await client.get(URL, headers=world.as_(who))).status_code == expected


async def test_list_is_scoped(client: httpx.AsyncClient, db: AsyncSession, world: World) -> None:
    in_c1 = await _event(db, world.tree["h1"])
    in_c2 = await _event(db, world.tree["g2"])
    nowhere = await _event(db, None)
    seen = {
        who: set(_ids(await client.get(URL, params={"limit": 200}, headers=world.as_(who))))
        for who in ("admin", "auditor", "sibling", "root")
    }
    assert in_c1.id in seen["admin"] and in_c1.id in seen["auditor"]
    assert in_c2.id not in seen["admin"] | seen["auditor"]
    assert in_c2.id in seen["sibling"] and in_c1.id not in seen["sibling"]
    # Events filed at no place (e.g. unknown usernames) are for superusers only.
    assert nowhere.id not in seen["admin"] | seen["sibling"]
    assert {in_c1.id, in_c2.id, nowhere.id} <= seen["root"]


async def test_sign_in_is_visible_to_the_admins_of_the_accounts_place(
    client: httpx.AsyncClient, world: World
) -> None:
    await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": world.target.username, "password": "x"},
    )
    params = {"action": "auth.login", "actor_user_id": world.target.id}
    admin = (await client.get(URL, params=params, headers=world.as_("admin"))).json()["items"]
    assert [(e["outcome"], e["actor_name"]) for e in admin] == [("failure", world.target.username)]
    assert admin[0]["request_id"]
    sibling = await client.get(URL, params=params, headers=world.as_("sibling"))
    assert _ids(sibling) == []


async def test_filters(client: httpx.AsyncClient, db: AsyncSession, world: World) -> None:
    c1 = world.tree["c1"]
    old = datetime.now(UTC) - timedelta(days=3)
    login = await _event(db, c1, action="auth.login", outcome="failure", actor_user_id=7)
    update = await _event(db, c1, action="user.update", actor_user_id=8)
    ancient = await _event(db, c1, action="user_x.create", occurred_at=old)
    headers = world.as_("admin")

    async def ids(**params: object) -> set[int]:
        return set(_ids(await client.get(URL, params={**params, "limit": 200}, headers=headers)))

    assert await ids(action="auth.") >= {login.id} and update.id not in await ids(action="auth.")
    # The prefix is literal: "user_" does not match "user." (no LIKE wildcards).
    assert ancient.id in await ids(action="user_") and update.id not in await ids(action="user_")
    assert await ids(outcome="failure") & {login.id, update.id} == {login.id}
    assert await ids(actor_user_id=8) == {update.id}
    assert ancient.id not in await ids(since=(old + timedelta(hours=1)).isoformat())
    assert await ids(until=(old + timedelta(hours=1)).isoformat()) >= {ancient.id}
    assert update.id not in await ids(until=(old + timedelta(hours=1)).isoformat())
    naive = await client.get(URL, params={"since": "2026-01-01T00:00:00"}, headers=headers)
    assert_problem(naive, 422, "request.validation_failed")
    unknown = await client.get(URL, params={"colour": "red"}, headers=headers)
    assert_problem(unknown, 422, "request.validation_failed")


async def test_pages_are_newest_first_and_complete(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    now = datetime.now(UTC)
    ours = [
        await _event(
            db, world.tree["g1"], action="probe.page", occurred_at=now - timedelta(minutes=m)
        )
        for m in (5, 1, 1, 1, 3, 9)
    ]
    expected = [e.id for e in sorted(ours, key=lambda e: (e.occurred_at, e.id), reverse=True)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"action": "probe.", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(URL, params=params, headers=world.as_("admin"))).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    bad = await client.get(URL, params={"cursor": "WyJ4IiwxXQ"}, headers=world.as_("admin"))
    assert_problem(bad, 400, "request.invalid_cursor")


async def test_append_only(db: AsyncSession, world: World) -> None:
    event = await _event(db, world.tree["c1"])
    for statement in (
        "UPDATE audit_event SET summary = 'tampered' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.begin_nested():
                await db.execute(text(statement), {"id": event.id})
    # Even with the purge flag, a recent event cannot be deleted.
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin_nested():
            await db.execute(text("SET LOCAL redgrid.audit_purge = 'on'"))
            await db.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": event.id})
    summary = await db.scalar(select(AuditEvent.summary).where(AuditEvent.id == event.id))
    assert summary == "测试事件"


async def test_purge_removes_only_events_past_retention(db: AsyncSession, world: World) -> None:
    now = await db.scalar(select(func.now()))
    assert now is not None
    old = await _event(db, world.tree["c1"], occurred_at=now - timedelta(days=200))
    kept = await _event(db, world.tree["c1"], occurred_at=now - timedelta(days=179))
    deleted = await audit_service.purge_expired(db, 180)
    assert deleted >= 1
    remaining = set((await db.execute(select(AuditEvent.id))).scalars())
    assert old.id not in remaining and kept.id in remaining


async def test_retention_task_runs_in_the_worker(database_url: str, engine: AsyncEngine) -> None:
    """The periodic job, run by a real worker, in its own committed transaction."""
    marker = f"retention-probe-{datetime.now(UTC).timestamp()}"
    insert = text(
        "INSERT INTO audit_event (occurred_at, action, summary, outcome) "
        "VALUES (now() - make_interval(days => :days), 'probe.retention', :summary, 'success') "
        "RETURNING id"
    )
    async with engine.begin() as conn:
        old_id = (await conn.execute(insert, {"days": 400, "summary": marker})).scalar_one()
        recent_id = (await conn.execute(insert, {"days": 10, "summary": marker})).scalar_one()
    async with open_queue(database_url) as queue:
        job_id = await queue.configure_task("audit.purge_expired_events").defer_async(timestamp=0)
        await queue.run_worker_async(
            queues=["maintenance"], wait=False, install_signal_handlers=False
        )
    async with engine.begin() as conn:
        status = (
            await conn.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )
        ).scalar_one()
        await conn.execute(text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})
        left = set(
            (
                await conn.execute(
                    text("SELECT id FROM audit_event WHERE summary = :s"), {"s": marker}
                )
            ).scalars()
        )
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text("DELETE FROM audit_event WHERE summary = :s"), {"s": marker})
    assert status == "succeeded"
    assert left == {recent_id} and old_id not in left


def test_retention_task_is_registered_daily() -> None:
    from app.queue import queue

    assert "audit.purge_expired_events" in queue.tasks
    periodic = {p.periodic_id: p for p in queue.periodic_registry.periodic_tasks.values()}
    assert periodic["purge-expired-audit-events"].cron == "41 2 * * *"
