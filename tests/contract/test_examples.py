"""Every request example of the document is a body the server accepts: sent as it is
written (by a superuser, with the headers the operation asks for), it never comes back as
a validation problem. Whatever follows validation (an id of no row, a state that does
not allow the step) may still refuse it; the example itself was read as valid."""

import json
from functools import cache
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import render_openapi
from tests.support.factory import bearer, make_tree, make_user

VALIDATION = {"request.validation_failed", "request.invalid_json", "request.invalid_value"}


@cache
def _spec() -> dict[str, Any]:
    return json.loads(render_openapi())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return _spec()["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _examples() -> list[tuple[str, str, Any]]:
    found = []
    for path, operations in _spec()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            media = content.get("application/json")
            if media is None:
                continue
            examples = [e["value"] for e in media.get("examples", {}).values() if "value" in e]
            examples += _resolve(media["schema"]).get("examples", [])
            found += [(method, path, example) for example in examples]
    return found


def test_most_json_bodies_have_an_example() -> None:
    with_body = sum(
        "application/json" in operation.get("requestBody", {}).get("content", {})
        for operations in _spec()["paths"].values()
        for operation in operations.values()
    )
    documented = {(m, p) for m, p, _ in _examples()}
    assert len(documented) > 0.9 * with_body


async def test_every_example_passes_the_servers_validation(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    tree = await make_tree(db)
    root = await make_user(db, ("town_admin", tree["town"]), superuser=True)
    refused = []
    for number, (method, path, example) in enumerate(_examples()):
        url = path
        while "{" in url:
            start = url.index("{")
            # An id of no row, or a date/code where the path names one: a 404 at most.
            name = url[start + 1 : url.index("}")]
            value = "2026-10-01" if name == "day" else ("none" if name == "code" else "1")
            url = url[:start] + value + url[url.index("}") + 1 :]
        headers = {
            **bearer(settings, root),
            "Idempotency-Key": f"example-{number}",
            "If-Match": 'W/"1"',
        }
        answer = await client.request(method, url, headers=headers, json=example)
        if answer.status_code == 422 and answer.json().get("code") in VALIDATION:
            refused.append(f"{method.upper()} {path}: {answer.text[:300]}")
        assert answer.status_code < 500, (method, path, answer.text)
    assert not refused, "\n".join(refused)


def _nullable(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "null" for option in options)


async def test_patch_fields_take_null_exactly_where_the_document_says(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    """A PATCH field the document makes nullable takes ``null`` past validation (clearing
    it); one it does not is refused as invalid. The id names no row: validation answers
    before the handler looks."""
    tree = await make_tree(db)
    root = await make_user(db, ("town_admin", tree["town"]), superuser=True)
    headers = {**bearer(settings, root), "If-Match": 'W/"1"'}
    wrong, checked = [], 0
    for path, operations in _spec()["paths"].items():
        operation = operations.get("patch")
        media = (operation or {}).get("requestBody", {}).get("content", {}).get("application/json")
        if media is None:
            continue
        url = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
        for name, schema in _resolve(media["schema"]).get("properties", {}).items():
            answer = await client.patch(url, headers=headers, json={name: None})
            invalid = answer.status_code == 422 and answer.json().get("code") in VALIDATION
            if invalid == _nullable(schema):
                wrong.append(f"PATCH {path} {name}=null: {answer.status_code} {answer.text[:160]}")
            checked += 1
    assert checked > 30
    assert not wrong, "\n".join(wrong)
