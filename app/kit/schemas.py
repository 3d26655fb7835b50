"""Schemas shared by every domain: the strict base model and the problem body."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, strings are trimmed.

    Fields take their types from ``app.kit.types`` (``Id``, ``Int``, ``Bool``, ``Date``,
    ``DateTime``, ``Line``, ``Text``). Strictness is per type, not ``strict=True`` here:
    FastAPI validates a body in pydantic's python mode on the parsed JSON, where strict
    mode would refuse an ISO date or an enum value given as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(BaseModel):
    field: str = Field(max_length=200, description="Dotted path of the failing field")
    location: str | None = Field(default=None, description="body, query, path or header")
    type: str = Field(description="Machine-readable error type")
    message: str = Field(description="Human-readable message in the negotiated language")


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:redgrid:problem:resource.not_found",
                    "title": "资源不存在",
                    "status": 404,
                    "detail": "资源不存在",
                    "code": "resource.not_found",
                    "instance": "/api/v1/org-units/42",
                    "request_id": "5f0c6f7a2b3c4d5e8f9a0b1c2d3e4f50",
                }
            ]
        }
    )
    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable dotted error code, e.g. order.invalid_transition")
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Failing fields (422)")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Bad request",
        401: "Not signed in",
        403: "Not allowed",
        404: "Not found (or outside the caller's scope)",
        409: "Conflicts with the current state",
        412: "Stale If-Match version",
        413: "Body too large",
        422: "Validation failed",
        428: "If-Match required",
        503: "Database unavailable; retry",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Error"),
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
