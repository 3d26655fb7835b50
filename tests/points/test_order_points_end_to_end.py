"""Over HTTP alone: a member takes an order to 办结 and sees the points arrive."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.orders.conftest import World, order_in, world

__all__ = ["world"]
POINTS = "/api/v1/points"


async def test_points_arrive_when_the_resident_confirms(
    client: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    order = await order_in(client, world, "closed")  # 回访: resolved yes, satisfied
    statement = await client.get(f"{POINTS}/me/statement", headers=world["member"])
    assert statement.status_code == 200, statement.text
    [entry] = statement.json()["items"]
    assert entry["kind"] == "order_award"
    assert entry["amount"] == 15  # repair 10 + top-rating bonus 5
    assert entry["balance_after"] == 15
    assert order["number"] in entry["reason"]
    me = await client.get(f"{POINTS}/me", headers=world["member"])
    assert me.json()["balance"] == 15
    assert me.json()["month"]["earned"] == 15
