"""A step and its history and outbox event commit or roll back together; steps
replay under an Idempotency-Key."""

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.orders.conftest import World, load_order, outbox, snapshot, step, submit

FAIL_AT_THE_END = [
    """
CREATE FUNCTION pg_temp.fail_after_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'simulated failure after the step';
END $$
""",
    """CREATE TRIGGER fail_after_step AFTER INSERT ON idempotency_record
    FOR EACH ROW EXECUTE FUNCTION pg_temp.fail_after_step()""",
]


async def test_rolled_back_step_leaves_no_outbox_event(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    """The idempotency record is written after the step and its event; making that last
    write fail (a trigger inside the test's transaction) rolls the whole request back."""
    order = await submit(client, world)
    before = await snapshot(db, order["id"])
    for statement in FAIL_AT_THE_END:
        await db.execute(text(statement))

    response = await step(
        client, world, "dispatcher", order["id"], "triage", {}, **{"Idempotency-Key": "boom"}
    )

    assert response.status_code == 500
    assert await snapshot(db, order["id"]) == before
    assert [e.event_type for e in await outbox(db, order["id"])] == ["order.submitted"]
    assert (await load_order(db, order["id"])).triaged_at is None


async def test_step_replays_under_the_same_key(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    order = await submit(client, world)
    key = {"Idempotency-Key": "triage-1"}
    first = await step(client, world, "dispatcher", order["id"], "triage", {"priority": 2}, **key)
    again = await step(client, world, "dispatcher", order["id"], "triage", {"priority": 2}, **key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    status, version, events, published = await snapshot(db, order["id"])
    assert (status, version, events, published) == ("triaged", 2, 2, 2)
    other = await step(client, world, "dispatcher", order["id"], "triage", {"priority": 1}, **key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"
