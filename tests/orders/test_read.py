"""GET /orders: filters, keyset pages, what each caller sees; masking of the contact phone."""

import httpx
import pytest

from tests.orders.conftest import URL, World, ok, order_in, submit
from tests.support.problems import assert_problem


async def ids(client: httpx.AsyncClient, world: World, who: str, **params: str) -> list[int]:
    response = await client.get(URL, params=params, headers=world[who])
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["items"]]


class TestListOrders:
    async def test_newest_first_in_keyset_pages(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        made = [(await submit(client, world))["id"] for _ in range(5)]
        first = await client.get(URL, params={"limit": 2}, headers=world["resident"])
        page = first.json()
        assert [o["id"] for o in page["items"]] == made[::-1][:2]
        seen = [o["id"] for o in page["items"]]
        while page["next_cursor"]:
            response = await client.get(
                URL, params={"limit": 2, "cursor": page["next_cursor"]}, headers=world["resident"]
            )
            page = response.json()
            seen += [o["id"] for o in page["items"]]
        assert seen == made[::-1]

    async def test_bad_cursor_is_400(self, client: httpx.AsyncClient, world: World) -> None:
        response = await client.get(URL, params={"cursor": "WyJ4Il0"}, headers=world["resident"])
        assert_problem(response, 400, "request.invalid_cursor")

    async def test_residents_see_only_their_own(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        mine = await submit(client, world)
        theirs = await submit(client, world, "neighbour")
        assert await ids(client, world, "resident") == [mine["id"]]
        assert await ids(client, world, "neighbour") == [theirs["id"]]
        assert await ids(client, world, "dispatcher") == [theirs["id"], mine["id"]]
        assert await ids(client, world, "sibling_dispatcher") == []

    async def test_filters(self, client: httpx.AsyncClient, world: World) -> None:
        light = await submit(client, world, title="楼道灯不亮")
        elderly = await submit(
            client, world, "neighbour", title="助老陪诊", category="elderly_help"
        )
        triaged = await ok(client, world, "dispatcher", light["id"], "triage", {})
        d = "dispatcher"
        assert await ids(client, world, d, status="triaged") == [triaged["id"]]
        assert await ids(client, world, d, category="elderly_help") == [elderly["id"]]
        assert await ids(client, world, d, q="陪诊") == [elderly["id"]]
        assert await ids(client, world, d, q=light["number"].lower()) == [light["id"]]
        assert await ids(client, world, d, q="%") == []
        h1 = str(world.unit("h1").id)
        assert await ids(client, world, d, unit_id=h1) == [light["id"]]
        assert await ids(client, world, d, unit_id=str(world.unit("b1").id)) == [
            elderly["id"],
            light["id"],
        ]
        assert await ids(client, world, d, unit_id="999999999") == []

    async def test_member_sees_pool_in_scope_and_own_assignments(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        pooled = await order_in(client, world, "pooled")
        assigned = await order_in(client, world, "dispatched")
        await order_in(client, world, "triaged")
        assert await ids(client, world, "member") == [assigned["id"], pooled["id"]]
        assert await ids(client, world, "member", assignee="me") == [assigned["id"]]
        assert await ids(client, world, "member2") == [pooled["id"]]
        assert await ids(client, world, "far_member") == []

    async def test_assignee_filter_takes_only_me(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(URL, params={"assignee": "you"}, headers=world["member"])
        assert_problem(response, 422, "request.validation_failed")


class TestContactPhone:
    @pytest.mark.parametrize(
        ("who", "phone"),
        [
            ("resident", "13812345678"),
            ("admin", "13812345678"),  # pii over c1
            ("member", "13812345678"),  # holds it
            ("dispatcher", "138****5678"),
            ("auditor", "138****5678"),
        ],
    )
    async def test_masked_unless_resident_holder_or_pii(
        self, client: httpx.AsyncClient, world: World, who: str, phone: str
    ) -> None:
        order = await order_in(client, world, "dispatched")
        response = await client.get(f"{URL}/{order['id']}", headers=world[who])
        assert response.json()["contact_phone"] == phone
