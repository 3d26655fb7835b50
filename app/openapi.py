"""The committed OpenAPI document (openapi/openapi.json) and its generation."""

import json
from pathlib import Path

from fastapi.routing import APIRoute

from app.config import Settings

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
REGENERATE_COMMAND = "make openapi"
# The engine is created lazily and never connects while rendering the schema.
_NO_DATABASE = "postgresql://openapi@127.0.0.1:9/none"


OPENAPI_TAGS = [
    {"name": "ops", "description": "Health, readiness and metrics for operators · 运维探针"},
]


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: ``{tag}-{function_name}`` (see CONVENTIONS.md)."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def render_openapi() -> str:
    from app.main import create_app

    app = create_app(Settings(), database_url=_NO_DATABASE)
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
