"""The scope matrix of every /orders endpoint: no token 401, role too weak 403,
out of reach 404 (nothing changes), the right caller allowed."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.orders.conftest import URL, World, order_in, snapshot, step
from tests.support.factory import bearer, make_user
from tests.support.problems import assert_problem


@dataclass(frozen=True)
class Case:
    step: str
    status: str
    allowed: str
    forbidden: str
    hidden: str
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.step


CASES = [
    Case("triage", "submitted", "dispatcher", "member", "sibling_dispatcher", {}),
    Case(
        "reject", "submitted", "dispatcher", "grid_worker", "sibling_dispatcher", {"reason": "重复"}
    ),
    Case("dispatch", "triaged", "dispatcher", "resident", "sibling_dispatcher"),
    Case("pool", "triaged", "dispatcher", "member", "sibling_dispatcher"),
    Case("claim", "pooled", "member", "dispatcher", "far_member"),
    Case("accept", "dispatched", "member", "dispatcher", "member2"),
    Case("decline", "dispatched", "member", "resident", "member2", {"reason": "外出"}),
    Case("contact", "in_progress", "member", "dispatcher", "member2", {}),
    Case("note", "in_progress", "member", "auditor", "far_member", {"text": "进展"}),
    Case("resolve", "in_progress", "member", "grid_worker", "member2", {"result": "已修好"}),
    Case(
        "feedback",
        "resolved",
        "resident",
        "member",
        "neighbour",
        {"resolved": "yes", "satisfied": "basically"},
    ),
    Case("cancel", "submitted", "resident", "dispatcher", "neighbour", {"reason": "已自行解决"}),
    Case("second", "triaged", "neighbour", "dispatcher", "far_resident"),
]


def body_for(case: Case, world: World) -> dict[str, Any] | None:
    if case.step == "dispatch":
        return {"kind": "member", "member_person_id": world.person("member").id}
    return case.body


@pytest.mark.parametrize("case", CASES, ids=str)
class TestStepMatrix:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, case: Case
    ) -> None:
        order = await order_in(client, world, case.status)
        before = await snapshot(db, order["id"])
        response = await step(client, world, "none", order["id"], case.step, body_for(case, world))
        assert_problem(response, 401, "auth.unauthenticated")
        assert await snapshot(db, order["id"]) == before

    async def test_role_too_weak_is_403(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, case: Case
    ) -> None:
        order = await order_in(client, world, case.status)
        before = await snapshot(db, order["id"])
        response = await step(
            client, world, case.forbidden, order["id"], case.step, body_for(case, world)
        )
        assert_problem(response, 403, "auth.forbidden")
        assert await snapshot(db, order["id"]) == before

    async def test_out_of_reach_is_404(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, case: Case
    ) -> None:
        order = await order_in(client, world, case.status)
        before = await snapshot(db, order["id"])
        response = await step(
            client, world, case.hidden, order["id"], case.step, body_for(case, world)
        )
        assert_problem(response, 404, "resource.not_found")
        assert await snapshot(db, order["id"]) == before

    async def test_allowed_caller_takes_the_step(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, case: Case
    ) -> None:
        order = await order_in(client, world, case.status)
        _, version, events, published = await snapshot(db, order["id"])
        response = await step(
            client, world, case.allowed, order["id"], case.step, body_for(case, world)
        )
        assert response.status_code == 200, response.text
        _, *after = await snapshot(db, order["id"])
        assert after == [version + 1, events + 1, published + 1]


class TestReadMatrix:
    @pytest.mark.parametrize("path", ["", "/events"])
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, world: World, path: str
    ) -> None:
        order = await order_in(client, world, "submitted")
        response = await client.get(f"{URL}/{order['id']}{path}")
        assert_problem(response, 401, "auth.unauthenticated")
        assert_problem(await client.get(URL), 401, "auth.unauthenticated")

    @pytest.mark.parametrize("path", ["", "/events"])
    async def test_without_any_order_permission_is_403(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        db: AsyncSession,
        path: str,
    ) -> None:
        order = await order_in(client, world, "submitted")
        nobody = bearer(settings, await make_user(db))
        assert_problem(
            await client.get(f"{URL}/{order['id']}{path}", headers=nobody), 403, "auth.forbidden"
        )
        assert_problem(await client.get(URL, headers=nobody), 403, "auth.forbidden")

    @pytest.mark.parametrize(
        "who", ["far_resident", "neighbour", "sibling_dispatcher", "member", "department"]
    )
    @pytest.mark.parametrize("path", ["", "/events"])
    async def test_out_of_reach_is_404(
        self, client: httpx.AsyncClient, world: World, who: str, path: str
    ) -> None:
        order = await order_in(client, world, "triaged")
        response = await client.get(f"{URL}/{order['id']}{path}", headers=world[who])
        assert_problem(response, 404, "resource.not_found")
        listed = await client.get(URL, headers=world[who])
        assert order["id"] not in [o["id"] for o in listed.json()["items"]]

    @pytest.mark.parametrize(
        "who", ["resident", "dispatcher", "town_dispatcher", "grid_worker", "auditor", "superuser"]
    )
    async def test_allowed_readers(self, client: httpx.AsyncClient, world: World, who: str) -> None:
        order = await order_in(client, world, "triaged")
        response = await client.get(f"{URL}/{order['id']}", headers=world[who])
        assert response.status_code == 200, response.text
        assert response.json()["number"] == order["number"]
        assert response.headers["ETag"] == f'W/"{order["version"]}"'
        events = await client.get(f"{URL}/{order['id']}/events", headers=world[who])
        assert [e["step"] for e in events.json()["items"]] == ["submit", "triage"]
        listed = await client.get(URL, headers=world[who])
        assert order["id"] in [o["id"] for o in listed.json()["items"]]
