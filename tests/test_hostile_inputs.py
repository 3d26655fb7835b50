"""No client input, however hostile, gets a 5xx (DESIGN.md, API conventions).

The walk is read from the app itself: every ``APIRoute`` the app serves (``app.routes``,
included routers resolved), each of its path, query and form parameters and every field
of its body (nested models and list items included), typed by the OpenAPI document the
app generates. A new endpoint, parameter or body field is covered without anyone
listing it here.

Each slot gets the hostile values of its type (ids past 2^63, booleans and floats for
integers, NUL and control characters, overlong text, numbers for dates, tampered
cursors), once as an administrator and once as a resident. Every answer must be below
500, and an error must be ``application/problem+json``. As the administrator, whom no
permission check stops before validation, a value that is invalid for its type must be
refused by validation: 422 naming the field (types are strict and bounded), or 400
``request.invalid_cursor`` for a cursor.
"""

import base64
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, get_args
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.types import LINE_PATTERN, TEXT_PATTERN
from app.main import create_app
from tests.conftest import make_settings
from tests.support.factory import bearer, make_resident_user, make_tree, make_user

PROBLEM = "application/problem+json"
_NO_DATABASE = "postgresql://walker@127.0.0.1:9/none"
_BASE_DAY = "2026-01-05"


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Raw:
    """A JSON token Python's json module cannot produce (``1e400``)."""

    text: str


@dataclass(frozen=True)
class Hostile:
    value: Any
    invalid: bool = True
    """Invalid for its type everywhere: validation must refuse it (as the admin)."""


def _values(*items: Any) -> tuple[Hostile, ...]:
    return tuple(item if isinstance(item, Hostile) else Hostile(item) for item in items)


def _ok(value: Any) -> Hostile:
    return Hostile(value, invalid=False)


# Sampled to keep the walk near a minute on two cores: one value per way of being wrong.
_TEXT = ("a\x00b", "a\x1b[31mb", "x" * 5000)
PARAM_VALUES: dict[str, tuple[Hostile, ...]] = {
    "integer": _values(
        "9223372036854775808",
        _ok("9223372036854775807"),
        _ok("-1"),
        _ok("0"),
        "true",
        "1.5",
        "1e400",
        "１２",
    ),
    "number": _values("1e400", "nan", "true", "\x00"),
    "boolean": _values("1", "0", "yes", "TRUE", "\x00"),
    "string": _values(*_TEXT),
    "date": _values(
        "0", "0.5", "1700000000", "9999-12-31", "0001-01-01", "2026-02-30", "2026-01-05\x00"
    ),
    "date-time": _values(
        "0",
        "1700000000",
        "2026-01-05",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2026-01-05T00:00:00+08:00\x00",
    ),
    "enum": _values("\x00", "x" * 5000, "１"),
    "cursor": _values(
        "W251bGxd",  # [null]
        _cursor(b"[1e400]"),
        _cursor(b"[[[[1]]]]"),
        _cursor(b"[1,2,3,4,5]"),
        _ok(_cursor(b'["x"]')),  # a fine code key
        _cursor(b"[9223372036854775808]"),
        _cursor(b"[true]"),
        _cursor(b'["\\u0000"]'),
        _ok(_cursor(b'["2026-01-05T00:00:00+08:00",1]')),  # a fine audit-log key
        _cursor(b"not json"),
        "!!!",
    ),
}
BODY_VALUES: dict[str, tuple[Hostile, ...]] = {
    "integer": _values(
        2**63,
        _ok(2**63 - 1),
        _ok(-1),
        _ok(0),
        True,
        1.5,
        "1",
        Raw("1e400"),
    ),
    "number": _values(Raw("1e400"), Raw("NaN"), Raw("Infinity"), True, "1", 1e308),
    "boolean": _values(0, 1, "true", "false", 2**63),
    "string": _values(*_TEXT, "\ud800", 1, True),
    "date": _values(0, 0.5, "0", "1700000000", "9999-12-31", "0001-01-01", "2026-02-30"),
    "date-time": _values(
        0,
        0.5,
        "0",
        "1700000000",
        "2026-01-05",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
    ),
    "enum": _values("\x00", "x" * 5000, 1, True),
    "array": _values("a", {"a": 1}, 2**63),
    "object": _values("a", [1], 2**63),
}
CSV_FILES = _values(
    b"code,name,level,parent_code\nT\x00X,a\x00b,town,\n",
    b"code,name,level,parent_code\nTX1,\x01\x02,town,\n",
    b"code,name,level,parent_code\n" + b"X" * 5000 + b",n,town,\n",
    b"code,name,level,parent_code\nTX2,n,town," + b"P" * 5000 + b"\n",
    b"\xff\xfe\x00\x00garbage",
    b"PK\x03\x04not really a zip",
)


# ---------------------------------------------------------------- reading the app


@dataclass(frozen=True)
class Slot:
    where: str
    """path, query, form, body (JSON) or file."""
    name: str
    """The parameter, or the dotted path of a body field (``grants.0.org_unit_id``)."""
    kind: str
    schema: dict[str, Any] = field(hash=False, compare=False)
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    slots: tuple[Slot, ...]
    required: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    """Required path and query parameters with a harmless value each."""
    body: Any = field(hash=False, compare=False, default=None)
    media_type: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class Schemas:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.components: dict[str, Any] = spec.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            concrete = [o for o in options if self.resolve(o).get("type") != "null"]
            if concrete:
                return self.resolve(concrete[0])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.resolve(schema["allOf"][0])
        return schema

    def kind(self, schema: dict[str, Any]) -> str:
        schema = self.resolve(schema)
        if "enum" in schema or "const" in schema:
            return "enum"
        kind = schema.get("type", "object")
        if kind == "string" and "contentMediaType" in schema:
            return "binary"
        if kind == "string" and schema.get("format") in ("date", "date-time", "binary"):
            return str(schema["format"])
        return str(kind)

    def sample(self, schema: dict[str, Any]) -> Any:
        """A harmless valid value."""
        schema = self.resolve(schema)
        if "examples" in schema:
            return schema["examples"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = self.kind(schema)
        if kind == "enum":
            return schema["enum"][0] if "enum" in schema else schema["const"]
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
            return max(low, 1) if schema.get("maximum", 2) >= 1 else low
        if kind == "boolean":
            return False
        if kind == "date":
            return _BASE_DAY
        if kind == "date-time":
            return f"{_BASE_DAY}T09:00:00+08:00"
        if kind == "string":
            return "x" * max(schema.get("minLength", 1), 1)
        if kind == "array":
            return []
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {name: self.sample(props[name]) for name in required}

    def body_slots(
        self, schema: dict[str, Any], where: str, prefix: tuple[str | int, ...] = ()
    ) -> Iterator[Slot]:
        schema = self.resolve(schema)
        for name, prop in schema.get("properties", {}).items():
            path = (*prefix, name)
            yield from self._leaf(prop, where, path)

    def _leaf(
        self, prop: dict[str, Any], where: str, path: tuple[str | int, ...]
    ) -> Iterator[Slot]:
        kind = self.kind(prop)
        resolved = self.resolve(prop)
        dotted = ".".join(str(p) for p in path)
        if kind == "binary":
            yield Slot("file", dotted, "binary", resolved, path)
            return
        yield Slot(where, dotted, kind, resolved, path)
        if kind == "object":
            yield from self.body_slots(resolved, where, path)
        elif kind == "array" and "items" in resolved:
            yield from self._leaf(resolved["items"], where, (*path, 0))


def api_routes(app: FastAPI) -> list[Any]:
    """Every API route as the app serves it: included routers' routes with their prefix."""
    return [r for r in iter_route_contexts(app.routes) if isinstance(r.original_route, APIRoute)]


def read_operations(app: FastAPI) -> list[Operation]:
    spec = app.openapi()
    schemas = Schemas(spec)
    operations = []
    for route in api_routes(app):
        for method in sorted(route.methods):
            if route.path_format.startswith("/open311/"):
                # Its own standard, parsed by hand: walked in tests/orders/test_open311.py.
                continue
            if not route.include_in_schema:
                # The docs pages: nothing to walk, but they must not grow parameters unseen.
                assert not get_flat_params(route.dependant), route
                assert route.body_field is None, route
                operations.append(Operation(method, route.path_format, (), {}))
                continue
            operation = spec["paths"][route.path_format][method.lower()]
            slots: list[Slot] = []
            required: dict[str, dict[str, Any]] = {}
            for param in operation.get("parameters", []):
                if param["in"] not in ("path", "query"):
                    continue
                kind = "cursor" if param["name"] == "cursor" else schemas.kind(param["schema"])
                slots.append(
                    Slot(param["in"], param["name"], kind, schemas.resolve(param["schema"]))
                )
                if param.get("required"):
                    required[param["name"]] = {
                        "in": param["in"],
                        "value": schemas.sample(param["schema"]),
                    }
            body, media_type = None, None
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, media in content.items():
                where = "body" if media_type == "application/json" else "form"
                slots.extend(schemas.body_slots(media["schema"], where))
                body = schemas.sample(media["schema"])
                break
            operations.append(
                Operation(method, route.path_format, tuple(slots), required, body, media_type)
            )
    return operations


OPERATIONS = read_operations(create_app(make_settings(), database_url=_NO_DATABASE))


def test_the_walk_covers_every_route() -> None:
    app = create_app(make_settings(), database_url=_NO_DATABASE)
    routes = {
        (m, r.path_format)
        for r in api_routes(app)
        for m in r.methods
        if not r.path_format.startswith("/open311/")  # walked in tests/orders/test_open311.py
    }
    assert {(o.method, o.path) for o in OPERATIONS} == routes
    assert len(routes) > 100
    assert sum(len(o.slots) for o in OPERATIONS) > 300
    unwalked = [
        f"{o} {s.where}:{s.name} ({s.kind})"
        for o in OPERATIONS
        for s in o.slots
        if not _hostile_values(s)
    ]
    assert not unwalked, "no hostile values for " + ", ".join(unwalked)


def test_every_input_is_bounded() -> None:
    """Every integer has both bounds, every string and list a maximum length: nothing a
    client sends can overflow a column or fill the server (DESIGN.md, API conventions)."""
    unbounded = []
    for operation in OPERATIONS:
        for slot in operation.slots:
            schema = slot.schema
            if slot.kind in ("integer", "number"):
                bounded = "maximum" in schema and (
                    "minimum" in schema or "exclusiveMinimum" in schema
                )
            elif slot.kind in ("string", "cursor"):
                bounded = "maxLength" in schema
            elif slot.kind == "array":
                bounded = "maxItems" in schema
            else:
                bounded = True
            if not bounded:
                unbounded.append(f"{operation} {slot.where}:{slot.name} {schema}")
    assert not unbounded, "\n".join(unbounded)


def _declared(label: str, info: FieldInfo) -> Iterator[tuple[str, FieldInfo]]:
    """A parameter or body field and, through the models its type names, every field
    below it."""
    yield label, info
    pending, models = [info.annotation], []
    while pending:
        kind = pending.pop()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            models.append(kind)
        pending.extend(get_args(kind))
    for model in models:
        for name, sub in model.model_fields.items():
            yield from _declared(f"{label}.{name}", sub)


def test_no_field_pattern_is_shadowed_by_the_text_rule() -> None:
    """``Line``/``Text`` carry their rule as a pattern; a field's own ``pattern`` must be
    declared on its type (``Annotated[Line, Field(pattern=...)]``) to replace it, or the
    field's pattern is silently dropped (pydantic applies the type's metadata last)."""
    app = create_app(make_settings(), database_url=_NO_DATABASE)
    kit = {LINE_PATTERN, TEXT_PATTERN}
    shadowed = []
    for route in api_routes(app):
        fields = [*get_flat_params(route.dependant), *filter(None, [route.body_field])]
        for param in fields:
            for label, info in _declared(f"{route.path_format} {param.name}", param.field_info):
                patterns = [m.pattern for m in info.metadata if getattr(m, "pattern", None)]
                if patterns and patterns[-1] in kit and set(patterns) - kit:
                    shadowed.append(label)
    assert not shadowed, "field patterns lost to the text rule: " + ", ".join(shadowed)


# ---------------------------------------------------------------- sending


def _set(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``path``; missing parents are created (the
    first item of a list, the object of an optional nested field)."""
    copy = json.loads(json.dumps(body)) if body is not None else {}
    target = copy
    for step, following in itertools.pairwise(path):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            if len(target) <= step:
                target.append(empty)
        elif not isinstance(target.get(step), dict | list):
            target[step] = empty
        target = target[step]
    if isinstance(path[-1], int) and not target:
        target.append(None)
    target[path[-1]] = value
    return copy


def _json(body: Any) -> str:
    raws: dict[str, str] = {}

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            marker = f"__raw_{len(raws)}__"
            raws[marker] = value.text
            return marker
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(body))
    for marker, raw in raws.items():
        text = text.replace(f'"{marker}"', raw)
    return text


def _request(operation: Operation, slot: Slot | None, value: Any) -> dict[str, Any]:
    path_values = {k: v["value"] for k, v in operation.required.items() if v["in"] == "path"}
    query = {k: v["value"] for k, v in operation.required.items() if v["in"] == "query"}
    body = operation.body
    files = None
    if slot is not None:
        if slot.where == "path":
            path_values[slot.name] = value
        elif slot.where == "query":
            query[slot.name] = value
        elif slot.where == "file":
            files = {slot.name: ("units.csv", value, "text/csv")}
        else:
            body = _set(body, slot.path, value)
    url = operation.path
    for name, raw in path_values.items():
        url = url.replace("{" + name + "}", quote(str(raw), safe=""))
    request: dict[str, Any] = {"method": operation.method, "url": url, "params": query}
    if operation.media_type == "application/json":
        request["content"] = _json(body)
        request["headers"] = {"Content-Type": "application/json"}
    elif operation.media_type == "application/x-www-form-urlencoded":
        request["data"] = {k: str(v) for k, v in (body or {}).items()}
    elif operation.media_type == "multipart/form-data":
        request["files"] = files or {"file": ("units.csv", b"code,name\n", "text/csv")}
    return request


def _hostile_values(slot: Slot) -> tuple[Hostile, ...]:
    if slot.where == "file":
        return CSV_FILES
    # Path, query and form values arrive as text; JSON bodies carry typed values.
    return (BODY_VALUES if slot.where == "body" else PARAM_VALUES).get(slot.kind, ())


def _field_refused(response: httpx.Response, slot: Slot) -> bool:
    if slot.kind == "cursor":
        # 404 when the listed resource itself is missing (the walk's ids point at nothing).
        code = response.json().get("code") if response.status_code < 500 else None
        return code == "request.invalid_cursor" or response.status_code == 404
    if slot.kind == "binary":
        return response.status_code in (400, 413, 415, 422)
    if response.status_code != 422:
        return False
    fields = [str(e.get("field", "")) for e in response.json().get("errors") or []]
    return any(f == slot.name or f.startswith(slot.name + ".") for f in fields)


@dataclass
class Findings:
    server_errors: list[str] = field(default_factory=list)
    not_problems: list[str] = field(default_factory=list)
    not_refused: list[str] = field(default_factory=list)
    sent: int = 0


async def walk(
    client: httpx.AsyncClient,
    operation: Operation,
    callers: dict[str, dict[str, str]],
) -> Findings:
    findings = Findings()
    cases: list[tuple[Slot | None, Hostile]] = [(None, _ok(None))]
    for slot in operation.slots:
        cases.extend((slot, value) for value in _hostile_values(slot))
    for who, headers in callers.items():
        for slot, hostile in cases:
            request = _request(operation, slot, hostile.value)
            request["headers"] = {**request.get("headers", {}), **headers}
            if operation.method == "POST":
                # As a real client retries: a fresh key, so a key the operation requires
                # is there and the body itself is what gets judged.
                request["headers"]["Idempotency-Key"] = uuid.uuid4().hex
            response = await client.request(**request)
            findings.sent += 1
            label = f"{who} {operation} {slot.where + ':' + slot.name if slot else '-'}"
            label += f" = {hostile.value!r:.60} → {response.status_code}"
            if response.status_code >= 500:
                findings.server_errors.append(label)
                continue
            content_type = response.headers.get("content-type", "")
            if response.status_code >= 400 and not content_type.startswith(PROBLEM):
                findings.not_problems.append(label)
            due = who == "admin" and slot is not None and hostile.invalid
            if due and slot is not None and not _field_refused(response, slot):
                findings.not_refused.append(label + " " + response.text[:200])
    return findings


@pytest.fixture
async def callers(db: AsyncSession, settings: Settings) -> dict[str, dict[str, str]]:
    tree = await make_tree(db)
    admin = await make_user(db, superuser=True)
    resident, _ = await make_resident_user(db, tree["h1"])
    return {"admin": bearer(settings, admin), "resident": bearer(settings, resident)}


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
async def test_no_hostile_input_gets_a_server_error(
    app: FastAPI,
    client: httpx.AsyncClient,
    callers: dict[str, dict[str, str]],
    operation: Operation,
) -> None:
    findings = await walk(client, operation, callers)
    assert not findings.server_errors, "\n".join(findings.server_errors)
    assert not findings.not_problems, "\n".join(findings.not_problems)
    assert not findings.not_refused, "\n".join(findings.not_refused)
