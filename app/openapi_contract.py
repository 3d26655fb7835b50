"""The OpenAPI document made to tell the truth, by rules every route gets for free.

FastAPI describes what a route declares; the server does more than that. After FastAPI
renders the document, :func:`refine` walks each operation together with its route and
states what the server really does:

- **problems**: every 4xx/5xx response is ``application/problem+json`` with the
  :class:`~app.kit.schemas.Problem` schema (typed extensions included), never
  ``application/json``;
- **statuses from the mechanisms behind the route**: a body read is 400 (not UTF-8 /
  not parseable) and 413 (too large), a body not read is neither; a ``cursor``
  parameter is 400 ``request.invalid_cursor``; a signed-in route is 401, a permission
  guard 403; a required ``If-Match`` is 412 and 428; a required ``Idempotency-Key``
  400; no input at all cannot be 422;
- **required headers**: ``If-Match`` / ``Idempotency-Key`` declared through
  ``app.kit.http.IfMatchRequired`` / ``IdempotencyKeyRequired`` are required in the
  document (the server still answers 428 / 400 itself rather than a 422);
- **security**: one ``OAuth2`` scheme with the password and ``client_credentials``
  flows, every permission a scope, and each operation's permission guard
  (``app.authz.deps.require_any``) as its scopes; and, as the other way in, the four
  headers of a signed request (``X-Redgrid-Key``, ``-Timestamp``, ``-Nonce``,
  ``-Signature``: ``apiKey`` schemes required together) for integration clients;
- **files**: spreadsheet and CSV downloads are ``format: binary`` strings;
- **schema names**: no ``app__points__schemas__Period``; a name two modules share is
  prefixed by its module (``PointsPeriod``, ``ReportingPeriod``), FastAPI's
  ``Body_<operation>`` becomes ``<Operation>Form``.
"""

import ast
import inspect
import itertools
import re
import typing
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.authz import permissions as catalogue
from app.authz.deps import get_principal
from app.kit import signing
from app.kit.http import REQUIRED_HEADER

API_PREFIX = "/api/v1"
SECURITY_SCHEME = "OAuth2"
SIGNATURE_SCHEMES = {
    "SignedKey": (signing.KEY_HEADER, "The integration client's `client_id` (app key)"),
    "SignedTimestamp": (signing.TIMESTAMP_HEADER, "Unix seconds; within ±5 minutes"),
    "SignedNonce": (signing.NONCE_HEADER, "16–64 of `A-Z a-z 0-9 - _`, never reused"),
    "SignedSignature": (
        signing.SIGNATURE_HEADER,
        "Hex HMAC-SHA256 or HMAC-SM3 (the client's algorithm) of the canonical request: "
        "METHOD, path, sorted query, timestamp, nonce and the hex digest of the body, "
        "one per line (README, 'Signed requests')",
    ),
}
"""Signed requests (``app.authz.signed``): all four headers together admit a client
with every scope it holds."""

_FILE_MEDIA = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
)
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found (or outside the caller's scope)",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    412: "Stale If-Match version",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    423: "Locked",
    428: "If-Match required",
    429: "Too many requests; retry after `Retry-After` seconds",
    502: "An upstream service failed",
    503: "Database unavailable; retry",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_SECONDS = {"type": "string", "pattern": "^[0-9]+$"}
_HEADER_COMPONENTS = {
    "Retry-After": {"description": "Seconds until a retry can succeed", "schema": _SECONDS},
    "RateLimit-Limit": {"description": "The limit of the window", "schema": _SECONDS},
    "RateLimit-Remaining": {"description": "Left in the window", "schema": _SECONDS},
    "RateLimit-Reset": {"description": "Seconds until the window ends", "schema": _SECONDS},
}
_RATE_LIMIT_HEADERS = {
    name: {"$ref": f"#/components/headers/{name}"} for name in _HEADER_COMPONENTS
}


# -- operation ids -------------------------------------------------------------------


def unique_id(route: APIRoute) -> str:
    """FastAPI's internal id of a route (it names ``Body_<id>`` schemas); the document's
    ``operationId`` is :func:`operation_id`, set by :func:`refine` once the route is
    complete."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def operation_id(route: Any) -> str:
    """What the path says: ``orders-claim``, ``people-list``, ``people-get``,
    ``org-units-update``, ``stats-orders-xlsx`` (see CONVENTIONS.md)."""
    if route.operation_id:
        return str(route.operation_id)
    segments = [s for s in route.path_format.removeprefix(API_PREFIX).split("/") if s]
    words = [s.replace(".", "-") for s in segments if not s.startswith("{")]
    ends_in_param = bool(segments) and segments[-1].startswith("{")
    method = sorted(route.methods)[0]
    verb: str | None
    if method == "GET":
        verb = "get" if ends_in_param else ("list" if _is_list(route) else None)
    elif method == "POST":
        collection = not ends_in_param and (len(segments) == 1 or words[-1].endswith("s"))
        verb = "create" if route.status_code == 201 and collection else None
    else:
        verb = {"PATCH": "update", "PUT": "set", "DELETE": "delete"}[method]
    return "-".join([*words, *([verb] if verb else [])]) or method.lower()


def _is_list(route: Any) -> bool:
    model = route.response_model
    if typing.get_origin(model) is list:
        return True
    fields = getattr(model, "model_fields", None) or {}
    return "items" in fields and "next_cursor" in fields


# -- the walk ------------------------------------------------------------------------


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _route_facts(route: Any) -> tuple[bool, tuple[str, ...], str | None]:
    """(signed in, permissions of which any admits, why any account may call it)."""
    signed_in = False
    scopes: list[str] = []
    any_account = None
    for dependant in _dependants(route.dependant):
        if dependant.call is get_principal:
            signed_in = True
        for permission in getattr(dependant.call, "permissions", ()):
            if permission not in scopes:
                scopes.append(permission)
        any_account = getattr(dependant.call, "any_account", None) or any_account
    return signed_in, tuple(scopes), any_account


def refine(app: FastAPI, spec: dict[str, Any]) -> dict[str, Any]:
    routes = {
        (route.path_format, method.lower()): route
        for route in routing.iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }
    bodies: dict[str, str] = {}
    components = spec.setdefault("components", {})
    components["securitySchemes"] = {
        SECURITY_SCHEME: _security_scheme(),
        **{
            name: {"type": "apiKey", "in": "header", "name": header, "description": text}
            for name, (header, text) in SIGNATURE_SCHEMES.items()
        },
    }
    components["headers"] = {**components.get("headers", {}), **_HEADER_COMPONENTS}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is not None:
                operation["operationId"] = operation_id(route)
                bodies[f"Body_{route.unique_id}"] = _camel(operation["operationId"]) + "Form"
                _refine_operation(operation, route)
    _link(spec)
    _rename_schemas(spec, bodies)
    return spec


def _refine_operation(operation: dict[str, Any], route: Any) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    parameters: list[dict[str, Any]] = operation.get("parameters", [])
    has_body = "requestBody" in operation
    signed_in, scopes, any_account = _route_facts(route)
    statuses = {int(code) for code in responses if code.isdigit()}

    required_headers = set()
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if schema.pop(REQUIRED_HEADER, False):
            parameter["required"] = True
            required_headers.add(parameter["name"].lower())
            for option in schema.get("anyOf", ()):
                option.pop(REQUIRED_HEADER, None)
        if parameter.get("required") and "anyOf" in schema:
            # Required and present: null is not a value the header can have.
            options = [o for o in schema.pop("anyOf") if o.get("type") != "null"]
            schema.update(options[0] if len(options) == 1 else {"anyOf": options})

    if has_body:
        statuses |= {400, 413}
    else:
        statuses -= {413, 415}
    if any(p["in"] == "query" and p["name"] == "cursor" for p in parameters):
        statuses.add(400)
    if signed_in:
        # 429: an integration client over ``client_rate_limit``.
        statuses |= {401, 429}
        operation["security"] = [
            *([{SECURITY_SCHEME: [scope]} for scope in scopes] or [{SECURITY_SCHEME: []}]),
            {name: [] for name in SIGNATURE_SCHEMES},
        ]
        if scopes:
            statuses.add(403)
        if any_account:
            # Every signed-in account may call it on its own data; scopes, if any, are
            # what other people's data needs.
            operation["x-any-account"] = any_account
    else:
        operation.pop("security", None)
    if "if-match" in required_headers or any(p["name"] == "if-match" for p in parameters):
        # A blank If-Match is a missing one (428) even where the header is optional.
        statuses |= {412, 428}
    if "idempotency-key" in required_headers:
        statuses.add(400)
    if not parameters and not has_body:
        statuses.discard(422)

    for status in sorted(statuses):
        if status < 400:
            continue
        existing = responses.get(str(status), {})
        responses[str(status)] = {
            **{k: v for k, v in existing.items() if k not in ("content", "description")},
            "description": existing.get("description") or _DESCRIPTIONS.get(status, "Error"),
            "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
        }
    for code in [c for c in responses if c.isdigit() and int(c) >= 400]:
        if int(code) not in statuses:
            del responses[code]
    if "429" in responses:
        responses["429"]["headers"] = dict(_RATE_LIMIT_HEADERS)
    operation["responses"] = dict(sorted(responses.items()))

    for code, response in responses.items():
        if code.startswith("2"):
            for media, content in response.get("content", {}).items():
                if media.startswith(_FILE_MEDIA):
                    content["schema"] = {"type": "string", "format": "binary"}


def _security_scheme() -> dict[str, Any]:
    scopes = {
        permission: _permission_description(permission) for permission in sorted(catalogue.ALL)
    }
    token_url = f"{API_PREFIX}/auth/token"
    return {
        "type": "oauth2",
        "description": "Bearer access tokens from `POST /api/v1/auth/token`: people sign "
        "in with the password grant, integration clients with `client_credentials`. "
        "Scopes are permissions; an operation lists those of which any one admits.",
        "flows": {
            "password": {"tokenUrl": token_url, "refreshUrl": token_url, "scopes": scopes},
            "clientCredentials": {"tokenUrl": token_url, "scopes": scopes},
        },
    }


def _permission_description(permission: str) -> str:
    for name, value in vars(catalogue).items():
        if value == permission and name.isupper():
            doc = _CONSTANT_DOCS.get(name)
            return doc or permission
    return permission


def _constant_docs() -> dict[str, str]:
    """The docstrings under the permission constants of ``app.authz.permissions``."""
    tree = ast.parse(inspect.getsource(catalogue))
    docs: dict[str, str] = {}
    body = tree.body
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


_CONSTANT_DOCS = _constant_docs()


# -- links ---------------------------------------------------------------------------


def _link(spec: dict[str, Any]) -> None:
    """OpenAPI links, so that a client (or a stateful fuzzer) can follow a resource's
    life. A 201 on a collection links to every operation on the created item, and every
    step on the item that answers the item again (``POST /orders/{order_id}/triage`` →
    ``OrderRead``) links onwards to every operation on it, so ``POST /orders`` →
    ``orders-triage`` → ``orders-pool`` → ``orders-claim`` … is a walk. The item's id comes
    from the body; an ``If-Match`` the target takes from the ``ETag`` the answer carries."""
    paths: dict[str, dict[str, Any]] = spec.get("paths", {})

    def item_ops(collection: str) -> Iterator[tuple[str, dict[str, Any], str]]:
        for path, operations in paths.items():
            rest = path.removeprefix(collection + "/")
            if path == rest or not rest.startswith("{") or path.count("{") != 1:
                continue
            param = rest[1 : rest.index("}")]
            for method, operation in operations.items():
                yield method, operation, param

    def links_to(collection: str) -> dict[str, Any]:
        links = {}
        for _, target, param in item_ops(collection):
            parameters = {param: "$response.body#/id"}
            if any(p["name"] == "if-match" for p in target.get("parameters", ())):
                parameters["header.if-match"] = "$response.header.ETag"
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": parameters,
            }
        return dict(sorted(links.items()))

    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "{" in collection:
            continue
        links = links_to(collection)
        if not links:
            continue
        created["links"] = links
        item = _body_ref(created)
        for method, operation, _ in item_ops(collection):
            answer = operation["responses"].get("200")
            if method == "post" and answer is not None and _body_ref(answer) == item:
                answer["links"] = links


def _body_ref(response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref")
    return ref if isinstance(ref, str) else None


# -- schema names --------------------------------------------------------------------

_QUALIFIED = re.compile(r"^app__(?P<module>.+)__(?P<name>[A-Za-z0-9]+)$")


def _camel(words: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_ ]+", words) if part)


def _new_name(name: str, taken: set[str], bodies: dict[str, str]) -> str:
    if match := _QUALIFIED.match(name):
        modules = [m for m in match["module"].split("__") if m not in ("schemas", "app")]
        for size in range(1, len(modules) + 1):
            candidate = _camel("_".join(modules[-size:])) + match["name"]
            if candidate not in taken:
                return candidate
    if name in bodies and bodies[name] not in taken:
        return bodies[name]
    return name


def _rename_schemas(spec: dict[str, Any], bodies: dict[str, str]) -> None:
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    taken = set(schemas)
    renames: dict[str, str] = {}
    for name in sorted(schemas):
        new = _new_name(name, taken, bodies)
        if new != name:
            renames[name] = new
            taken.add(new)
    if not renames:
        return
    for old, new in renames.items():
        schema = schemas.pop(old)
        # Generators name their classes by the title.
        schema["title"] = new
        schemas[new] = schema
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()
    }

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(spec)
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
