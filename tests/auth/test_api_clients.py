"""Integration clients: management under /api-clients (scoped by users.write / users.read)
and grant_type=client_credentials with scopes."""

import base64
import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.config import Settings
from app.kit.hashing import hash_password
from tests.support.factory import bearer
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events, make_user_manager

TOKEN_URL = "/api/v1/auth/token"


SECRET = "client-secret-for-tests"


@functools.cache
def _secret_hash() -> str:
    return hash_password(SECRET)


async def _client_at(db: AsyncSession, world: World, scopes: list[str]) -> tuple[ApiClient, str]:
    secret = SECRET
    client = ApiClient(
        client_id=f"cli_test{len(scopes)}{world.admin.id}",
        name="测试客户端",
        secret_hash=_secret_hash(),
        scopes=scopes,
        org_unit_id=world.tree["c1"].id,
    )
    db.add(client)
    await db.flush()
    return client, secret


def _form(client_id: str, secret: str, scope: str | None = None) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        form["scope"] = scope
    return form


class TestClientCredentials:
    async def test_token_carries_the_held_scopes(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read", "users.read"])
        response = await client.post(TOKEN_URL, data=_form(api_client.client_id, secret))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert body["scope"] == "org.read users.read"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        me = (await client.get("/api/v1/me", headers=headers)).json()
        assert (me["kind"], me["id"], me["username"]) == ("client", None, api_client.client_id)
        assert me["permissions"] == ["org.read", "users.read"]
        assert me["grants"][0]["org_unit_id"] == world.tree["c1"].id
        # users.read at c1: c1's accounts, not c2's.
        users = await client.get("/api/v1/users", params={"limit": 200}, headers=headers)
        ids = {u["id"] for u in users.json()["items"]}
        assert world.target.id in ids and world.sibling.id not in ids
        (event,) = await audit_events(db, action="auth.login", target_type="api_client")
        assert (event.outcome, event.community_id) == ("success", world.tree["c1"].id)

    async def test_requested_scopes_are_intersected(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read", "users.read"])
        narrowed = await client.post(
            TOKEN_URL, data=_form(api_client.client_id, secret, "org.read pii")
        )
        assert narrowed.json()["scope"] == "org.read"
        token = narrowed.json()["access_token"]
        users = await client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert users.status_code == 403
        nothing = await client.post(TOKEN_URL, data=_form(api_client.client_id, secret, "pii"))
        assert_problem(nothing, 400, "auth.invalid_scope")

    async def test_http_basic_authentication(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read"])
        basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
        response = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text

    async def test_bad_credentials(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read"])
        for form in (_form(api_client.client_id, "wrong"), _form("cli_unknown", secret)):
            response = await client.post(TOKEN_URL, data=form)
            assert_problem(response, 401, "auth.invalid_client")
            assert response.headers["www-authenticate"].startswith("Basic")
        failures = await audit_events(db, action="auth.login", outcome="failure")
        assert [e.target_id for e in failures] == [api_client.client_id, "cli_unknown"]


def create_api_client(w: World, client_id: int) -> tuple[str, str, dict[str, Any] | None]:
    body = {"name": "热线对接", "org_unit_id": w.tree["g1"].id, "scopes": ["org.read"]}
    return "POST", "/api/v1/api-clients", body


def read_api_client(w: World, client_id: int) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", f"/api/v1/api-clients/{client_id}", None


def rotate_api_client_secret(w: World, client_id: int) -> tuple[str, str, dict[str, Any] | None]:
    return "POST", f"/api/v1/api-clients/{client_id}/secret", None


def deactivate_api_client(w: World, client_id: int) -> tuple[str, str, dict[str, Any] | None]:
    return "DELETE", f"/api/v1/api-clients/{client_id}", None


@pytest.mark.parametrize(
    ("build", "allowed"),
    [
        (create_api_client, 201),
        (read_api_client, 200),
        (rotate_api_client_secret, 200),
        (deactivate_api_client, 204),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("admin", None), ("sibling", 404), ("weak", 403)],
    ids=["no-token", "in-scope", "sibling", "weak-role"],
)
async def test_matrix(
    client: httpx.AsyncClient,
    db: AsyncSession,
    world: World,
    build: Callable[[World, int], tuple[str, str, dict[str, Any] | None]],
    allowed: int,
    who: str | None,
    expected: int | None,
) -> None:
    api_client, _ = await _client_at(db, world, ["org.read"])
    method, url, body = build(world, api_client.id)
    response = await client.request(method, url, json=body, headers=world.as_(who))
    assert response.status_code == (expected or allowed), response.text


@pytest.mark.parametrize(
    ("who", "expected"), [(None, 401), ("weak", 403)], ids=["no-token", "weak-role"]
)
async def test_list_refused(
    client: httpx.AsyncClient, world: World, who: str | None, expected: int
) -> None:
    assert (await client.get("/api/v1/api-clients", headers=world.as_(who))).status_code == expected


async def test_list_is_scoped(client: httpx.AsyncClient, db: AsyncSession, world: World) -> None:
    api_client, _ = await _client_at(db, world, ["org.read"])
    admin = await client.get("/api/v1/api-clients", headers=world.as_("admin"))
    sibling = await client.get("/api/v1/api-clients", headers=world.as_("sibling"))
    assert api_client.id in {c["id"] for c in admin.json()["items"]}
    assert api_client.id not in {c["id"] for c in sibling.json()["items"]}


async def test_lifecycle_secret_once_rotation_and_deactivation(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    body = {"name": "热线对接", "org_unit_id": world.tree["g1"].id, "scopes": ["org.read"]}
    created = await client.post("/api/v1/api-clients", json=body, headers=world.as_("admin"))
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["client_id"].startswith("cli_") and first["scopes"] == ["org.read"]
    stored = await db.execute(select(ApiClient.secret_hash).where(ApiClient.id == first["id"]))
    assert stored.scalar_one() != first["client_secret"]
    read = await client.get(f"/api/v1/api-clients/{first['id']}", headers=world.as_("admin"))
    assert "client_secret" not in read.json()

    rotated = await client.post(
        f"/api/v1/api-clients/{first['id']}/secret", headers=world.as_("admin")
    )
    new_secret = rotated.json()["client_secret"]
    old = await client.post(TOKEN_URL, data=_form(first["client_id"], first["client_secret"]))
    assert_problem(old, 401, "auth.invalid_client")
    token = await client.post(TOKEN_URL, data=_form(first["client_id"], new_secret))
    access = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/api/v1/me", headers=access)).status_code == 200

    gone = await client.delete(f"/api/v1/api-clients/{first['id']}", headers=world.as_("admin"))
    assert gone.status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=access), 401, "auth.unauthenticated")
    refused = await client.post(TOKEN_URL, data=_form(first["client_id"], new_secret))
    assert_problem(refused, 401, "auth.invalid_client")
    actions = [e.action for e in await audit_events(db, target_type="api_client")]
    assert [a for a in actions if a.startswith("api_client.")] == [
        "api_client.create",
        "api_client.rotate_secret",
        "api_client.deactivate",
    ]


async def test_scopes_never_exceed_the_creators(
    client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
) -> None:
    manager = await make_user_manager(db, world.tree["c1"])
    headers = bearer(settings, manager)
    body = {"name": "越权", "org_unit_id": world.tree["g1"].id, "scopes": ["pii"]}
    response = await client.post("/api/v1/api-clients", json=body, headers=headers)
    assert_problem(response, 403, "api_client.scope_escalation")
    allowed = {**body, "scopes": ["users.read"]}
    assert (
        await client.post("/api/v1/api-clients", json=allowed, headers=headers)
    ).status_code == 201
    unknown = {**body, "scopes": ["everything"]}
    response = await client.post("/api/v1/api-clients", json=unknown, headers=headers)
    assert_problem(response, 422, "request.validation_failed")


class TestClientRateLimit:
    async def test_a_client_over_its_limit_gets_429_with_retry_after(
        self, app: Any, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read"])
        token = await client.post(TOKEN_URL, data=_form(api_client.client_id, secret))
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        original = app.state.settings
        app.state.settings = original.model_copy(update={"client_rate_limit": "3/minute"})
        try:
            url = f"/api/v1/org-units/{world.tree['c1'].id}"
            remaining = []
            for _ in range(3):
                answer = await client.get(url, headers=headers)
                assert answer.status_code == 200, answer.text
                assert answer.headers["RateLimit-Limit"] == "3"
                remaining.append(answer.headers["RateLimit-Remaining"])
            assert remaining == ["2", "1", "0"]
            refused = await client.get(url, headers=headers)
            assert_problem(refused, 429, "request.rate_limited")
            assert 0 < int(refused.headers["Retry-After"]) <= 60
            assert refused.headers["RateLimit-Remaining"] == "0"
            # People are not counted as clients.
            person = await client.get(url, headers=bearer(original, world.admin))
            assert person.status_code == 200 and "RateLimit-Limit" not in person.headers
        finally:
            app.state.settings = original


class TestClientAllowList:
    async def test_a_client_calls_only_from_its_networks(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api_client, secret = await _client_at(db, world, ["org.read"])
        token = await client.post(TOKEN_URL, data=_form(api_client.client_id, secret))
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        url = f"/api/v1/org-units/{world.tree['c1'].id}"
        # httpx's ASGI transport calls from 127.0.0.1.
        api_client.allowed_ips = ["10.20.0.0/16"]
        await db.flush()
        assert_problem(await client.get(url, headers=headers), 403, "auth.forbidden")
        api_client.allowed_ips = ["10.20.0.0/16", "127.0.0.0/8"]
        await db.flush()
        assert (await client.get(url, headers=headers)).status_code == 200

    async def test_the_allow_list_is_networks(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Settings
    ) -> None:
        headers = bearer(settings, world.admin)
        body = {"name": "12345", "org_unit_id": world.tree["c1"].id, "scopes": ["org.read"]}
        created = await client.post(
            "/api/v1/api-clients",
            json=body | {"allowed_ips": ["10.20.3.4/16", "::1"]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["allowed_ips"] == ["10.20.0.0/16", "::1/128"]
        refused = await client.post(
            "/api/v1/api-clients", json=body | {"allowed_ips": ["not-a-net"]}, headers=headers
        )
        assert_problem(refused, 422, "request.validation_failed")
