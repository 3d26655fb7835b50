"""HTTP pieces every router shares: the If-Match and Idempotency-Key headers, the
ETag and Location a response carries."""

from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Header, Request, Response

from app.kit.etag import etag_for

MAX_IDEMPOTENCY_KEY = 255
REQUIRED_HEADER = "x-redgrid-required"
"""Marks a header the server requires although the parameter is optional in Python: the
server answers its own problem (428, 400) rather than a 422, and app.openapi_contract
declares the header required in the document."""

IfMatch = Annotated[
    str | None,
    Header(
        max_length=64,
        description='The ETag of the version being changed, e.g. `W/"3"`: stale is 412, '
        "and missing is 428 where the update requires it",
    ),
]
IfMatchRequired = Annotated[
    str | None,
    Header(
        max_length=64,
        description='The ETag of the version being changed, e.g. `W/"3"`: stale is 412, '
        "missing is 428",
        json_schema_extra={REQUIRED_HEADER: True},
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=MAX_IDEMPOTENCY_KEY,
        description="Retry-safe key (draft-ietf-httpapi-idempotency-key-header), scoped to "
        "the caller: a replay returns the first response with `Idempotent-Replayed: true`; "
        "the same key with another body is 422; while the first still runs, 409",
    ),
]
IdempotencyKeyRequired = Annotated[
    str | None,
    Header(
        max_length=MAX_IDEMPOTENCY_KEY,
        description="Retry-safe key (draft-ietf-httpapi-idempotency-key-header), required "
        "here (400 `idempotency.key_required` without it): a replay returns the first "
        "response with `Idempotent-Replayed: true`; the same key with another body is 422; "
        "while the first still runs, 409",
        json_schema_extra={REQUIRED_HEADER: True},
    ),
]
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": 'Version of the resource, e.g. W/"1"', "schema": {"type": "string"}}
}


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def tagged(response: Response, resource: V) -> V:
    """``resource`` with its ``ETag`` set on the response."""
    set_etag(response, resource.version)
    return resource


def set_location(request: Request, response: Response, route_name: str, **params: object) -> None:
    """``Location`` of a created resource: the path of its read route (RFC 9110 §10.2.2)."""
    path_params = {name: str(value) for name, value in params.items()}
    response.headers["Location"] = request.app.url_path_for(route_name, **path_params)
