"""``Idempotency-Key``: one mechanism on every POST that creates or moves value.

The behaviour on order steps, rewards and points is tested with those endpoints;
here: that every such POST declares it (walking the app's own routes), and what the
mechanism itself guarantees on an endpoint that had no key before.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.idempotency import IdempotentRoute, fingerprint
from app.integrations.models import IdempotencyRecord
from app.people.models import Person
from tests.support.problems import assert_problem
from tests.support.world import World, build_world, callers

PEOPLE = "/api/v1/people"
# Sign-in is not a write to replay, and a file import is all-or-nothing by its codes;
# ending every session and changing one's own password do the same when repeated.
# WeChat's codes (linking an identity, binding a phone) work once at WeChat, so a
# retry cannot act twice; a retried upload only makes an unattached file; Open311
# filing follows its own standard (a client ``token`` names the request).
WITHOUT_KEY = {
    "issue_token",
    "sign_in_with_wechat",
    "logout",
    "logout_all",
    "change_password",
    "import_org_units",
    "link_wechat",
    "bind_phone",
    "upload_file",
    "create_request",
}


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def test_every_post_takes_an_idempotency_key(app: FastAPI) -> None:
    posts = [route for route in _api_routes(app.routes) if "POST" in route.methods]
    assert len(posts) > 40
    missing = [
        route.name
        for route in posts
        if route.name not in WITHOUT_KEY
        and not (isinstance(route, IdempotentRoute) and route.takes_idempotency_key)
    ]
    assert missing == []


def test_the_key_header_is_documented_once_per_operation(app: FastAPI) -> None:
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", [])]
            assert names.count("idempotency-key") <= 1, f"{method} {path}"


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    # other: a second admin of c1, to show that keys belong to their caller
    return await build_world(db, settings, callers(other=("community_admin", "c1")))


def _person(home: OrgUnit, **fields: Any) -> dict[str, Any]:
    return {"name": "王小明", "home_unit_id": home.id, "mobile": "13812345678", **fields}


async def _count(db: AsyncSession, model: Any, *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestReplay:
    async def test_a_retry_replays_status_body_and_headers_without_running_again(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "register-1"}
        body = _person(world.unit("h1"))
        first = await client.post(PEOPLE, json=body, headers=headers)
        again = await client.post(PEOPLE, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await _count(db, Person, Person.name == "王小明") == 1

    async def test_key_order_and_white_space_of_the_body_do_not_count(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "register-2"}
        home = world.unit("h1").id
        await client.post(PEOPLE, json=_person(world.unit("h1")), headers=headers)
        raw = f'{{ "home_unit_id": {home}, "mobile": "13812345678",  "name": "王小明" }}'
        again = await client.post(
            PEOPLE, content=raw.encode(), headers={**headers, "content-type": "application/json"}
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert await _count(db, Person, Person.name == "王小明") == 1

    async def test_the_same_key_with_another_body_is_422(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "register-3"}
        home = world.unit("h1")
        await client.post(PEOPLE, json=_person(home), headers=headers)
        other = await client.post(PEOPLE, json=_person(home, name="李小红"), headers=headers)
        assert_problem(other, 422, "idempotency.key_reused")
        assert await _count(db, Person, Person.name == "李小红") == 0

    async def test_keys_are_scoped_to_the_caller(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        body = _person(world.unit("h1"))
        mine = await client.post(
            PEOPLE, json=body, headers={**world["admin"], "Idempotency-Key": "same"}
        )
        theirs = await client.post(
            PEOPLE, json=body, headers={**world["other"], "Idempotency-Key": "same"}
        )
        assert mine.status_code == theirs.status_code == 201
        assert "idempotent-replayed" not in theirs.headers
        assert mine.json()["id"] != theirs.json()["id"]

    async def test_without_a_key_every_request_runs(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        body = _person(world.unit("h1"))
        for _ in range(2):
            response = await client.post(PEOPLE, json=body, headers=world["admin"])
            assert response.status_code == 201
        assert await _count(db, Person, Person.name == "王小明") == 2

    async def test_a_refused_request_stores_nothing(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": "register-4"}
        outside = _person(world.unit("b2"))  # community c2: out of scope
        refused = await client.post(PEOPLE, json=outside, headers=headers)
        assert_problem(refused, 404, "person.home_unit_not_found")
        inside = _person(world.unit("h1"))
        response = await client.post(PEOPLE, json=inside, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers

    @pytest.mark.parametrize("key", ["", "   ", "a\tb"])
    async def test_an_invalid_key_is_400(
        self, client: httpx.AsyncClient, world: World, key: str
    ) -> None:
        headers = {**world["admin"], "Idempotency-Key": key}
        response = await client.post(PEOPLE, json=_person(world.unit("h1")), headers=headers)
        assert_problem(response, 400, "idempotency.invalid_key")


class TestStorage:
    async def test_a_secret_shown_once_is_replayed_but_stored_sealed(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        headers = {**world["town_admin"], "Idempotency-Key": "client-1"}
        body = {"name": "12345 热线", "org_unit_id": world.id("town"), "scopes": ["orders.read"]}
        first = await client.post("/api/v1/api-clients", json=body, headers=headers)
        again = await client.post("/api/v1/api-clients", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        secret = first.json()["client_secret"]
        assert again.json()["client_secret"] == secret
        assert await _count(db, ApiClient, ApiClient.name == "12345 热线") == 1
        subject = f"user:{world.users['town_admin'].id}"
        stored = await db.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.subject == subject)
        )
        assert stored is not None
        assert secret not in str(stored.body)
        assert set(stored.body) == {"sealed"}

    async def test_a_response_stored_before_sealing_is_still_replayed(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        body = _person(world.unit("h1"))
        db.add(
            IdempotencyRecord(
                subject=f"user:{world.users['admin'].id}",
                key="legacy",
                fingerprint=fingerprint("POST", PEOPLE, json.dumps(body).encode()),
                status_code=201,
                body={"id": 1, "name": "王小明"},
                headers={"Location": "/api/v1/people/1"},
            )
        )
        await db.flush()
        headers = {**world["admin"], "Idempotency-Key": "legacy"}
        response = await client.post(PEOPLE, json=body, headers=headers)
        assert response.status_code == 201
        assert response.json() == {"id": 1, "name": "王小明"}
        assert response.headers["location"] == "/api/v1/people/1"
        assert response.headers["content-type"] == "application/json"


class TestRequiredKey:
    async def test_a_manual_award_without_a_key_is_400(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {"person_id": 1, "amount": 5, "reason": "奖励"}
        url = "/api/v1/points/adjustments"
        response = await client.post(url, json=body, headers=world["town_admin"])
        assert_problem(response, 400, "idempotency.key_required")
