"""openapi/openapi.json is generated from the app, must not drift, and must tell the truth
(app/openapi_contract.py): the rules here hold for every operation, new ones included."""

import json
from functools import cache
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.schemas import StrictModel
from app.main import create_app, render_openapi
from app.openapi import OPENAPI_PATH, REGENERATE_COMMAND
from app.openapi_contract import operation_id
from tests.support.factory import bearer, make_tree, make_user

PROBLEM = "application/problem+json"


@cache
def _spec() -> dict[str, Any]:
    return json.loads(render_openapi())


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in _spec()["paths"].items()
        for method, operation in operations.items()
    ]


def test_committed_openapi_matches_the_app() -> None:
    assert OPENAPI_PATH.exists(), f"openapi/openapi.json is missing; run `{REGENERATE_COMMAND}`"
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render_openapi(), (
        f"openapi/openapi.json is out of date; run `{REGENERATE_COMMAND}` and commit it"
    )


def test_operation_ids_are_unique_and_say_what_the_path_says() -> None:
    seen: set[str] = set()
    for path, method, operation in _operations():
        op_id = operation["operationId"]
        assert op_id not in seen, f"duplicate operationId {op_id}"
        seen.add(op_id)
        assert "_" not in op_id, f"{method.upper()} {path}: {op_id}"
    spec_ids = {o["operationId"] for _, _, o in _operations()}
    for expected in (
        "orders-claim",
        "orders-contact",
        "people-list",
        "people-get",
        "people-create",
        "people-update",
        "stats-orders",
        "stats-orders-xlsx",
    ):
        assert expected in spec_ids


def test_operation_id_rule() -> None:
    class Route:
        operation_id = None
        response_model = None
        status_code = 200

        def __init__(self, path: str, method: str, status: int = 200) -> None:
            self.path_format = path
            self.methods = {method}
            self.status_code = status

    assert operation_id(Route("/api/v1/orders/{order_id}/claim", "POST")) == "orders-claim"
    assert operation_id(Route("/api/v1/people", "POST", 201)) == "people-create"
    assert operation_id(Route("/api/v1/people/{person_id}", "PATCH")) == "people-update"
    assert operation_id(Route("/api/v1/people/{person_id}", "DELETE")) == "people-delete"


def test_schema_names_are_meaningful() -> None:
    for name in _spec()["components"]["schemas"]:
        assert "__" not in name and not name.startswith("Body_"), name


def test_every_error_is_a_problem_and_only_a_problem() -> None:
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], f"{method} {path} {status}"
                assert response["content"][PROBLEM]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
    problem = _spec()["components"]["schemas"]["Problem"]
    for extension in ("current_status", "allowed_steps", "current_etag", "errors"):
        assert extension in problem["properties"]


def test_statuses_follow_the_mechanisms() -> None:
    for path, method, operation in _operations():
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        params = operation.get("parameters", [])
        headers = {p["name"]: p for p in params if p["in"] == "header"}
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), where
        else:
            assert "413" not in responses, where
        if any(p["name"] == "cursor" and p["in"] == "query" for p in params):
            assert "400" in responses, where
        if "428" in responses:
            assert "if-match" in headers, where
        if "if-match" in headers and headers["if-match"].get("required"):
            assert {"412", "428"} <= set(responses), where
        if operation.get("security"):
            assert "401" in responses, where


def test_security_scheme_has_both_flows_and_scopes_are_permissions() -> None:
    scheme = _spec()["components"]["securitySchemes"]["OAuth2"]
    assert set(scheme["flows"]) == {"password", "clientCredentials"}
    scopes = set(scheme["flows"]["clientCredentials"]["scopes"])
    assert "orders.dispatch" in scopes
    claim = _spec()["paths"]["/api/v1/orders/{order_id}/claim"]["post"]
    signed = SIGNED
    assert claim["security"] == [{"OAuth2": ["orders.work"]}, signed]
    for name, header in [
        ("SignedKey", "X-Redgrid-Key"),
        ("SignedTimestamp", "X-Redgrid-Timestamp"),
        ("SignedNonce", "X-Redgrid-Nonce"),
        ("SignedSignature", "X-Redgrid-Signature"),
    ]:
        scheme = _spec()["components"]["securitySchemes"][name]
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", header)
    for _, _, operation in _operations():
        for requirement in operation.get("security", []):
            assert requirement == signed or set(requirement["OAuth2"]) <= scopes


SIGNED = {"SignedKey": [], "SignedTimestamp": [], "SignedNonce": [], "SignedSignature": []}
"""The signed-request alternative every signed-in operation lists beside OAuth2."""

PUBLIC = {
    "auth-token": "signing in (password, refresh_token, client_credentials)",
    "auth-wechat": "signing in with a mini-program code",
    "auth-logout": "the refresh token in the body is the credential",
    "files-content": "the link is signed and expires",
    "ops-healthz": "liveness for the load balancer",
    "ops-readyz": "readiness for the load balancer",
}
"""The operations anyone may call, and why; every other one names its permission."""


def test_every_operation_names_the_permission_it_needs() -> None:
    """A signed-in operation carries its permissions as OAuth2 scopes, or declares with
    ``app.authz.deps.any_account`` that every account may call it on its own data; an
    operation without sign-in is one of :data:`PUBLIC`."""
    unnamed, public = [], []
    for path, method, operation in _operations():
        where = f"{method.upper()} {path}"
        if "security" not in operation:
            if operation["operationId"] not in PUBLIC:
                public.append(where)
            continue
        scopes = {s for req in operation["security"] for s in req.get("OAuth2", ())}
        if not scopes and not operation.get("x-any-account"):
            unnamed.append(where)
        if scopes:
            assert "403" in operation["responses"], where
    assert not unnamed, f"operations with no permission: {unnamed}"
    assert not public, f"operations anyone may call, not in PUBLIC: {public}"
    reads_points = _spec()["paths"]["/api/v1/points/accounts/{person_id}"]["get"]
    assert reads_points["security"] == [{"OAuth2": ["points.read"]}, SIGNED]
    assert "own" in reads_points["x-any-account"]


def test_the_guard_sees_a_route_that_names_no_permission() -> None:
    """The mechanism under the guard: a route with only ``CurrentPrincipal`` has empty
    scopes and no declaration; ``require`` and ``any_account`` each give it one."""
    from fastapi import APIRouter

    from app.authz.deps import CurrentPrincipal, any_account, require
    from app.openapi_contract import refine

    router = APIRouter()

    @router.get("/api/v1/bare")
    async def bare(principal: CurrentPrincipal) -> None: ...

    @router.get("/api/v1/guarded", dependencies=[require("org.read")])
    async def guarded() -> None: ...

    @router.get("/api/v1/mine", dependencies=[any_account("one's own things")])
    async def mine() -> None: ...

    app = FastAPI()
    app.include_router(router)
    spec = refine(app, app.openapi())
    bare_op = spec["paths"]["/api/v1/bare"]["get"]
    assert bare_op["security"] == [{"OAuth2": []}, SIGNED] and "x-any-account" not in bare_op
    assert spec["paths"]["/api/v1/guarded"]["get"]["security"] == [{"OAuth2": ["org.read"]}, SIGNED]
    assert spec["paths"]["/api/v1/mine"]["get"]["x-any-account"] == "one's own things"


def test_files_are_binary() -> None:
    report = _spec()["paths"]["/api/v1/stats/orders.xlsx"]["get"]["responses"]["200"]
    (content,) = report["content"].values()
    assert content["schema"] == {"type": "string", "format": "binary"}


def test_not_null_patch_fields_are_not_nullable() -> None:
    person = _spec()["components"]["schemas"]["PersonUpdate"]["properties"]
    assert "anyOf" not in person["name"] and person["name"].get("type") == "string"
    assert any(o.get("type") == "null" for o in person["mobile"]["anyOf"])


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_request_example_is_valid() -> None:
    create_app(Settings(), database_url="postgresql://openapi@127.0.0.1:9/none")
    checked = 0
    for model in _subclasses(StrictModel):
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict):
            for example in extra.get("examples", []):
                model.model_validate(example)
                checked += 1
        for name in model.not_null:
            assert name in model.model_fields, f"{model.__name__}.{name}"
    assert checked > 20


async def test_405_lists_every_method_and_wins_over_a_parameter(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    admin = await make_user(db, ("town_admin", tree["town"]))
    headers = bearer(settings, admin)
    answer = await client.delete("/api/v1/people", headers=headers)
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == "GET, POST"
    answer = await client.patch("/api/v1/org-units/export", headers=headers, json={})
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "GET"
    answer = await client.put(f"/api/v1/people/{tree['town'].id}", headers=headers, json={})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, PATCH"


async def test_every_undeclared_method_is_405_with_every_method_of_the_path(
    client: httpx.AsyncClient,
) -> None:
    """Unauthenticated, so that no sign-in (401), guard (403) or validation (422) of a
    parameter route the path also matches (``PATCH /org-units/{unit_id}`` for
    ``PATCH /org-units/export``) answers before the 405."""
    wrong = []
    for path, operations in _spec()["paths"].items():
        url = path.replace("{", "").replace("}", "")
        url = "/".join(
            "1" if "_id" in s or s in ("day", "code", "receipt") else s for s in url.split("/")
        )
        declared = {method.upper() for method in operations}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - declared:
            answer = await client.request(method, url, json={})
            allowed = {m.strip() for m in answer.headers.get("allow", "").split(",") if m.strip()}
            if answer.status_code != 405 or allowed - {"HEAD"} != declared:
                wrong.append(f"{method} {url}: {answer.status_code} Allow {sorted(allowed)}")
    assert not wrong, "\n".join(wrong)
