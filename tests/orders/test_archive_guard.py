"""An org unit with open orders under it is not archived (DESIGN: archive refused while
it still has live children, people or open orders)."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.orders.models import ServiceOrder
from app.orders.workflow import TERMINAL
from tests.orders.conftest import World, ok, submit
from tests.support.factory import make_unit
from tests.support.problems import assert_problem


def test_terminal_statuses_are_the_workflows() -> None:
    assert ServiceOrder.terminal_statuses == {status.value for status in TERMINAL}


async def test_archive_waits_until_the_orders_are_done(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    empty = await make_unit(db, "household", world.unit("b1"), name="1-102")
    order = await submit(client, world, "grid_worker", channel="patrol", location_unit_id=empty.id)
    url = f"/api/v1/org-units/{empty.id}/archive"
    for unit_id in (empty.id, world.id("b1")):
        refused = await client.post(
            f"/api/v1/org-units/{unit_id}/archive",
            headers=world["admin"] | {"If-Match": 'W/"1"'},
        )
        if unit_id == empty.id:
            body = assert_problem(refused, 409, "org_unit.has_open_orders")
            assert body["count"] == 1
        else:
            assert refused.status_code == 409  # live children and people come first
    await ok(client, world, "dispatcher", order["id"], "reject", {"reason": "重复上报"})
    archived = await client.post(url, headers=world["admin"] | {"If-Match": 'W/"1"'})
    assert archived.status_code == 200, archived.text
    assert archived.json()["is_archived"] is True
