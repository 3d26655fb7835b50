"""The OAuth2 scopes of the document are the permissions the server checks.

For every operation a sample can reach without an object (a GET on a collection, a POST
that creates one), two accounts are made from roles defined for the test: one holding
every permission but the operation's scopes, which must be refused (403), and, for each
scope, one holding only that scope, which must not be (its answer may still be a 422 for
the empty body, never 401/403/404). The scopes that a service checks on its own (one's
own points or another member's) are checked on their own below."""

import itertools
import json
from functools import cache
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.models import Role, RolePermission
from app.authz.permissions import ALL, POINTS_READ
from app.config import Settings
from app.main import render_openapi
from app.openapi_contract import SECURITY_SCHEME
from tests.support.factory import bearer, make_person, make_tree, make_user

_roles = itertools.count(1)


@cache
def _spec() -> dict[str, Any]:
    return json.loads(render_openapi())


def _scopes(operation: dict[str, Any]) -> set[str]:
    return {
        s
        for requirement in operation.get("security", ())
        for s in requirement.get(SECURITY_SCHEME, ())
    }


def _sample() -> list[tuple[str, str, set[str]]]:
    """Operations that need no object and no required parameter but a body's."""
    sample = []
    for path, operations in _spec()["paths"].items():
        if "{" in path:
            continue
        for method, operation in operations.items():
            scopes = _scopes(operation)
            required = [p for p in operation.get("parameters", ()) if p.get("required")]
            if not scopes or operation.get("x-any-account"):
                continue
            reads = method == "get" and not required
            creates = method == "post" and "201" in operation["responses"]
            if reads or creates:
                sample.append((path, method, scopes))
    return sample


async def _holding(
    db: AsyncSession, settings: Settings, unit: Any, permissions: set[str]
) -> dict[str, str]:
    code = f"scope_probe_{next(_roles)}"
    db.add(Role(code=code, name_zh=code, name_en=code))
    await db.flush()
    db.add_all(RolePermission(role=code, permission=p) for p in permissions)
    await db.flush()
    return bearer(settings, await make_user(db, (code, unit)))


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    headers = {**headers, "Idempotency-Key": f"scope-probe-{next(_roles)}"}
    if method == "get":
        return await client.get(path, headers=headers)
    return await client.post(path, headers=headers, json={})


async def test_a_sample_covers_reads_and_creates_of_many_domains() -> None:
    sample = _sample()
    assert len(sample) > 40
    assert {m for _, m, _ in sample} == {"get", "post"}
    assert len({path.split("/")[3] for path, _, _ in sample}) > 15


async def test_lacking_the_documented_scope_is_refused_and_holding_one_is_not(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    wrong: list[str] = []
    for path, method, scopes in _sample():
        without = await _holding(db, settings, tree["town"], set(ALL) - scopes)
        answer = await _call(client, method, path, without)
        if answer.status_code != 403:
            wrong.append(f"{method.upper()} {path} without {sorted(scopes)}: {answer.status_code}")
        for scope in sorted(scopes):
            only = await _holding(db, settings, tree["town"], {scope})
            answer = await _call(client, method, path, only)
            if answer.status_code in (401, 403, 404):
                wrong.append(
                    f"{method.upper()} {path} with only {scope}: {answer.status_code} "
                    f"{answer.text[:200]}"
                )
    assert not wrong, "\n".join(wrong)


async def test_own_points_need_no_scope_and_another_members_need_points_read(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    me = await make_person(db, tree["h1"])
    neighbour = await make_person(db, tree["h1"])
    operation = _spec()["paths"]["/api/v1/points/accounts/{person_id}"]["get"]
    assert _scopes(operation) == {POINTS_READ}
    assert operation["x-any-account"]

    code = f"scope_probe_{next(_roles)}"
    db.add(Role(code=code, name_zh=code, name_en=code))
    await db.flush()
    plain = await make_user(db, (code, tree["town"]), person_id=me.id)
    headers = bearer(settings, plain)
    reader = await _holding(db, settings, tree["town"], {POINTS_READ})

    for path in ("/api/v1/points/accounts/{}", "/api/v1/points/accounts/{}/statement"):
        own = await client.get(path.format(me.id), headers=headers)
        assert own.status_code == 200, own.text
        other = await client.get(path.format(neighbour.id), headers=headers)
        assert other.status_code in (403, 404), other.text
        read = await client.get(path.format(neighbour.id), headers=reader)
        assert read.status_code == 200, read.text


async def test_the_shop_guards_say_who_may_look_as_the_service_does(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    rewards = _scopes(_spec()["paths"]["/api/v1/rewards"]["get"])
    redemptions = _scopes(_spec()["paths"]["/api/v1/rewards/redemptions"]["get"])
    assert rewards == {"rewards.manage", "points.read", "points.redeem"}
    assert redemptions == {"rewards.handover", "points.redeem"}
    for path, scopes in (
        ("/api/v1/rewards", rewards),
        ("/api/v1/rewards/redemptions", redemptions),
    ):
        none = await _holding(db, settings, tree["town"], set(ALL) - scopes)
        assert (await client.get(path, headers=none)).status_code == 403
        for scope in scopes:
            one = await _holding(db, settings, tree["town"], {scope})
            answer = await client.get(path, headers=one)
            assert answer.status_code == 200, (path, scope, answer.text)
