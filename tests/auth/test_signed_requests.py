"""Signed requests of integration clients (签名请求): the signing key issued once and
kept encrypted, both algorithms, and every refusal (a 401 with its own code, nothing
changed): missing or malformed headers, unknown or inactive client, old or future
timestamp, tampered body or query, replayed nonce — also two at once on real parallel
connections. A signed caller is the client's principal: same scopes, IP allow-list and
rate limit as its tokens.

Requests are signed by ``tests.support.signing``, written from the README's definition
without the server's code."""

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Form, Request
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.auth.models import ApiClient
from app.authz import signed as signed_module
from app.db.nonces import RequestNonce
from app.db.ratelimit import RateLimitCounter
from app.hierarchy.models import OrgUnit
from app.kit import signing as kit_signing
from tests.support import signing
from tests.support.factory import bearer, make_unit
from tests.support.problems import assert_problem
from tests.users.helpers import World, audit_events

BASE = "http://testserver"
ME = "/api/v1/me"
CLIENTS = "/api/v1/api-clients"
SECRET_SHA = "a" * 64
SECRET_SM3 = "b" * 64


async def _client(
    db: AsyncSession,
    unit: OrgUnit,
    scopes: list[str],
    *,
    algorithm: str | None = "hmac-sha256",
    secret: str | None = SECRET_SHA,
    **fields: Any,
) -> ApiClient:
    client = ApiClient(
        client_id=f"cli_sig_{uuid.uuid4().hex[:12]}",
        name="12345 热线平台",
        secret_hash="x",
        scopes=scopes,
        org_unit_id=unit.id,
        signing_algorithm=algorithm,
        signing_secret=secret,
        **fields,
    )
    db.add(client)
    await db.flush()
    return client


def _headers(
    client: ApiClient, method: str, url: str, body: bytes = b"", **kw: Any
) -> dict[str, str]:
    assert client.signing_algorithm and client.signing_secret
    return signing.signed(
        client.signing_algorithm, client.client_id, client.signing_secret, method, url, body, **kw
    )


async def _count(db: AsyncSession, model: Any) -> int:
    return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


class TestAccepted:
    async def test_hmac_sha256_get_with_query(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read", "users.read"])
        url = "/api/v1/users?limit=200&is_active=true"
        response = await client.get(url, headers=_headers(api, "GET", url))
        assert response.status_code == 200, response.text
        ids = {u["id"] for u in response.json()["items"]}
        # The client's scope: users.read at c1 — c1's accounts, not c2's.
        assert world.target.id in ids and world.sibling.id not in ids
        # Its rate limit counted the call (the same limiter as its tokens).
        assert int(response.headers["RateLimit-Limit"]) > 0
        me = await client.get(ME, headers=_headers(api, "GET", ME))
        assert me.status_code == 200, me.text
        assert (me.json()["kind"], me.json()["username"]) == ("client", api.client_id)
        assert me.json()["permissions"] == ["org.read", "users.read"]

    async def test_hmac_sm3_post_with_body(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(
            db,
            world.tree["c1"],
            ["users.read", "users.write", "org.read"],
            algorithm="hmac-sm3",
            secret=SECRET_SM3,
        )
        body = json.dumps(
            {"name": "网格巡查脚本", "org_unit_id": world.tree["g1"].id, "scopes": ["org.read"]},
            ensure_ascii=False,
        ).encode()
        headers = _headers(api, "POST", CLIENTS, body) | {"content-type": "application/json"}
        response = await client.post(CLIENTS, content=body, headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["name"] == "网格巡查脚本"
        (event,) = await audit_events(db, action="api_client.create")
        assert (event.actor_user_id, event.outcome) == (None, "success")
        assert event.target_id == str(response.json()["id"])

    async def test_bearer_token_still_wins_when_both_are_sent(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Any
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        headers = _headers(api, "GET", ME) | bearer(settings, world.admin)
        headers["X-Redgrid-Signature"] = "0" * 64  # ignored: the token decides
        response = await client.get(ME, headers=headers)
        assert response.status_code == 200
        assert response.json()["kind"] == "user"


class TestRefused:
    async def test_missing_and_malformed_headers(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        good = _headers(api, "GET", ME)
        without_nonce = {k: v for k, v in good.items() if k != "X-Redgrid-Nonce"}
        body = assert_problem(await client.get(ME, headers=without_nonce), 401, "signature.missing")
        assert "X-Redgrid-Nonce" in body["detail"]
        for name, value in [
            ("X-Redgrid-Timestamp", "yesterday"),
            ("X-Redgrid-Nonce", "short"),
            ("X-Redgrid-Signature", "ZZ" * 32),
            ("X-Redgrid-Key", "k" * 65),
        ]:
            response = await client.get(ME, headers=good | {name: value})
            assert_problem(response, 401, "signature.malformed")
        english = await client.get(ME, headers=without_nonce | {"Accept-Language": "en"})
        assert "Missing headers" in english.json()["detail"]

    async def test_unknown_inactive_and_keyless_clients(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        unknown = signing.signed("hmac-sha256", "cli_nobody", SECRET_SHA, "GET", ME)
        assert_problem(await client.get(ME, headers=unknown), 401, "signature.unknown_client")
        inactive = await _client(db, world.tree["c1"], ["org.read"], is_active=False)
        response = await client.get(ME, headers=_headers(inactive, "GET", ME))
        assert_problem(response, 401, "signature.unknown_client")
        keyless = await _client(db, world.tree["c1"], ["org.read"], algorithm=None, secret=None)
        headers = signing.signed("hmac-sha256", keyless.client_id, SECRET_SHA, "GET", ME)
        assert_problem(await client.get(ME, headers=headers), 401, "signature.unknown_client")

    async def test_old_and_future_timestamps(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        now = int(time.time())
        for stamp in (now - 301 - 5, now + 301 + 5):
            response = await client.get(ME, headers=_headers(api, "GET", ME, timestamp=stamp))
            body = assert_problem(response, 401, "signature.expired")
            assert abs(body["server_time"] - now) < 60
        # Within the window either way (a clock a little off) is fine.
        for stamp in (now - 200, now + 200):
            response = await client.get(ME, headers=_headers(api, "GET", ME, timestamp=stamp))
            assert response.status_code == 200, response.text
        assert await _count(db, RequestNonce) == 2  # refused requests spent nothing

    async def test_tampered_body_query_path_and_wrong_key(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["users.read", "users.write", "org.read"])
        body = json.dumps(
            {"name": "脚本", "org_unit_id": world.tree["g1"].id, "scopes": ["org.read"]}
        ).encode()
        before = await _count(db, ApiClient)
        headers = _headers(api, "POST", CLIENTS, body) | {"content-type": "application/json"}
        tampered = body.replace(b"org.read", b"users.write")
        response = await client.post(CLIENTS, content=tampered, headers=headers)
        assert_problem(response, 401, "signature.bad")
        assert await _count(db, ApiClient) == before  # nothing changed

        url = "/api/v1/users?limit=5"
        signed_for = _headers(api, "GET", url)
        response = await client.get("/api/v1/users?limit=50", headers=signed_for)
        assert_problem(response, 401, "signature.bad")
        response = await client.get("/api/v1/org-units?limit=5", headers=signed_for)
        assert_problem(response, 401, "signature.bad")
        response = await client.post(url, headers=signed_for)  # another method
        assert response.status_code in (401, 405)
        wrong = signing.signed("hmac-sha256", api.client_id, "c" * 64, "GET", ME)
        assert_problem(await client.get(ME, headers=wrong), 401, "signature.bad")
        # An SM3 signature for a SHA-256 client is simply wrong.
        sm3 = signing.signed("hmac-sm3", api.client_id, SECRET_SHA, "GET", ME)
        assert_problem(await client.get(ME, headers=sm3), 401, "signature.bad")
        assert await _count(db, RequestNonce) == 0

    async def test_query_order_and_encoding_do_not_matter(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        """The canonical query is sorted and re-encoded: a caller's library may order
        and escape parameters its own way."""
        api = await _client(db, world.tree["c1"], ["users.read"])
        headers = _headers(api, "GET", "/api/v1/users?limit=5&is_active=true")
        response = await client.get("/api/v1/users?is_active=%74rue&limit=5", headers=headers)
        assert response.status_code == 200, response.text

    async def test_replayed_nonce(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        headers = _headers(api, "GET", ME)
        assert (await client.get(ME, headers=headers)).status_code == 200
        assert_problem(await client.get(ME, headers=headers), 401, "signature.replayed")
        # The same nonce is another client's own business.
        other = await _client(db, world.tree["c1"], ["org.read"])
        reused = _headers(other, "GET", ME, nonce=headers["X-Redgrid-Nonce"])
        assert (await client.get(ME, headers=reused)).status_code == 200

    async def test_ip_allow_list(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        elsewhere = await _client(db, world.tree["c1"], ["org.read"], allowed_ips=["10.0.0.0/8"])
        response = await client.get(ME, headers=_headers(elsewhere, "GET", ME))
        assert_problem(response, 403, "auth.forbidden")
        here = await _client(db, world.tree["c1"], ["org.read"], allowed_ips=["127.0.0.0/8"])
        assert (await client.get(ME, headers=_headers(here, "GET", ME))).status_code == 200

    async def test_permissions_are_the_clients(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        url = "/api/v1/users"
        assert_problem(
            await client.get(url, headers=_headers(api, "GET", url)), 403, "auth.forbidden"
        )


class TestSigningKey:
    async def test_issued_once_stored_encrypted_and_replaced(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Any
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"], algorithm=None, secret=None)
        url = f"{CLIENTS}/{api.id}/signing-key"
        admin = bearer(settings, world.admin)
        issued = await client.post(url, json={"algorithm": "hmac-sm3"}, headers=admin)
        assert issued.status_code == 200, issued.text
        key = issued.json()
        assert key["client_id"] == api.client_id and key["algorithm"] == "hmac-sm3"
        assert len(key["signing_secret"]) == 64 and key["report_url"] is None
        read = (await client.get(f"{CLIENTS}/{api.id}", headers=admin)).json()
        assert read["signing_algorithm"] == "hmac-sm3" and "signing_secret" not in read
        raw = (
            await db.execute(
                text("SELECT signing_secret FROM api_client WHERE id = :id"), {"id": api.id}
            )
        ).scalar_one()
        assert key["signing_secret"].encode() not in bytes(raw)  # sealed, not plain

        first = signing.signed("hmac-sm3", api.client_id, key["signing_secret"], "GET", ME)
        assert (await client.get(ME, headers=first)).status_code == 200
        again = await client.post(url, json={}, headers=admin)  # default: hmac-sha256
        assert again.json()["algorithm"] == "hmac-sha256"
        old = signing.signed("hmac-sm3", api.client_id, key["signing_secret"], "GET", ME)
        assert_problem(await client.get(ME, headers=old), 401, "signature.bad")
        new = signing.signed(
            "hmac-sha256", api.client_id, again.json()["signing_secret"], "GET", ME
        )
        assert (await client.get(ME, headers=new)).status_code == 200
        events = await audit_events(db, action="api_client.issue_signing_key")
        assert len(events) == 2

    async def test_refusals(
        self, client: httpx.AsyncClient, db: AsyncSession, world: World, settings: Any
    ) -> None:
        api = await _client(db, world.tree["c1"], ["org.read"])
        url = f"{CLIENTS}/{api.id}/signing-key"
        admin = bearer(settings, world.admin)
        private = await client.post(url, json={"report_url": "https://127.0.0.1/r"}, headers=admin)
        assert_problem(private, 422, "api_client.unsafe_report_url")
        unknown = await client.post(url, json={"algorithm": "md5"}, headers=admin)
        assert unknown.status_code == 422
        sibling = await client.post(url, json={}, headers=bearer(settings, world.sibling))
        assert_problem(sibling, 404, "api_client.not_found")
        weak = await client.post(url, json={}, headers=bearer(settings, world.weak))
        assert_problem(weak, 403, "auth.forbidden")


async def test_form_bodies_are_verified_as_sent() -> None:
    """A form route's parsing consumes the stream before the signature is checked:
    ``CaptureSignedBody`` keeps the exact bytes for the verifier."""
    seen: list[bytes] = []

    async def body_of(request: Request) -> None:
        seen.append(await signed_module._body(request))

    mini = FastAPI()

    @mini.post("/form", dependencies=[Depends(body_of)])
    async def form(name: str = Form()) -> dict[str, str]:
        return {"name": name}

    wrapped = kit_signing.CaptureSignedBody(mini)
    sent = b"name=%E7%BD%91%E6%A0%BC&x=1"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url=BASE) as http:
        response = await http.post(
            "/form",
            content=sent,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "X-Redgrid-Signature": "0" * 64,
            },
        )
    assert response.json() == {"name": "网格"}
    assert seen == [sent]


async def test_one_nonce_on_parallel_connections(
    live_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Eight requests with one nonce at once, each on its own connection: one passes."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        town = await make_unit(session, "town")
        api = await _client(session, town, ["org.read"])
        await session.commit()
    limits_before = {k for (k,) in (await _rows(engine, select(RateLimitCounter.key)))}
    try:
        headers = _headers(api, "GET", ME)
        responses = await asyncio.gather(*(live_client.get(ME, headers=headers) for _ in range(8)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [401] * 7, [r.text for r in responses]
        for refused in (r for r in responses if r.status_code == 401):
            assert_problem(refused, 401, "signature.replayed")
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                delete(RequestNonce).where(RequestNonce.client_id == api.client_id)
            )
            await session.execute(
                delete(RateLimitCounter).where(RateLimitCounter.key.not_in(limits_before))
            )
            await session.execute(delete(ApiClient).where(ApiClient.id == api.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.id == town.id))


async def test_a_racing_nonce_waits_for_the_first_and_loses(
    live_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """While one connection holds the nonce uncommitted, a request with it waits on
    the unique key; when the holder commits, the request is a replay."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        town = await make_unit(session, "town")
        api = await _client(session, town, ["org.read"])
        await session.commit()
    headers = _headers(api, "GET", ME)
    try:
        async with engine.connect() as holder:
            await holder.begin()
            await holder.execute(
                text("INSERT INTO request_nonce VALUES (:c, :n, now() + interval '10 minutes')"),
                {"c": api.client_id, "n": headers["X-Redgrid-Nonce"]},
            )
            racing = asyncio.create_task(live_client.get(ME, headers=headers))
            await _wait_for_lock_wait(engine)
            assert not racing.done()
            await holder.commit()
        assert_problem(await racing, 401, "signature.replayed")
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                delete(RequestNonce).where(RequestNonce.client_id == api.client_id)
            )
            await session.execute(delete(ApiClient).where(ApiClient.id == api.id))
            await session.execute(delete(OrgUnit).where(OrgUnit.id == town.id))


async def _rows(engine: AsyncEngine, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def _wait_for_lock_wait(engine: AsyncEngine) -> None:
    """Until some backend waits on a lock (the racing insert), polled, never timed."""
    for _ in range(2000):
        waiting = await _rows(
            engine,
            text(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%request_nonce%'"
            ),
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    pytest.fail("the racing request never waited on the nonce")
