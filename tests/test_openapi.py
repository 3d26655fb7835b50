"""openapi/openapi.json is generated from the app and must not drift."""

import json

from app.main import render_openapi
from app.openapi import OPENAPI_PATH, REGENERATE_COMMAND


def test_committed_openapi_matches_the_app() -> None:
    assert OPENAPI_PATH.exists(), f"openapi/openapi.json is missing; run `{REGENERATE_COMMAND}`"
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render_openapi(), (
        f"openapi/openapi.json is out of date; run `{REGENERATE_COMMAND}` and commit it"
    )


def test_operation_ids_are_tag_dash_function() -> None:
    spec = json.loads(render_openapi())
    seen = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            op_id = operation["operationId"]
            assert op_id not in seen, f"duplicate operationId {op_id}"
            seen.add(op_id)
            tag = operation["tags"][0]
            assert op_id.startswith(f"{tag}-"), f"{method.upper()} {path}: {op_id}"


def test_api_errors_are_documented_as_problems() -> None:
    spec = json.loads(render_openapi())
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for operation in operations.values():
            assert "422" in operation["responses"]
            assert "application/problem+json" in operation["responses"]["422"]["content"]
