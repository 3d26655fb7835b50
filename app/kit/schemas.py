"""Schemas shared by every domain: the strict base model and the problem body."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, model_validator
from pydantic_core import CoreSchema, PydanticCustomError


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, strings are trimmed.

    Fields take their types from ``app.kit.types`` (``Id``, ``Int``, ``Bool``, ``Date``,
    ``DateTime``, ``Line``, ``Text``). Strictness is per type, not ``strict=True`` here:
    FastAPI validates a body in pydantic's python mode on the parsed JSON, where strict
    mode would refuse an ISO date or an enum value given as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    not_null: ClassVar[tuple[str, ...]] = ()
    """PATCH fields that may be left out but not sent as ``null`` (they cannot be
    cleared): refused here with 422 ``request.null_not_allowed`` and described without
    ``null`` in the OpenAPI document."""

    @model_validator(mode="after")
    def _refuse_declared_nulls(self) -> Any:
        for name in self.not_null:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise PydanticCustomError(
                    "request.null_not_allowed",
                    f"{name}: this field cannot be cleared",
                    {"reason_zh": f"{name} 不能置空"},
                )
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema = handler(core_schema)
        if cls.not_null:
            target = handler.resolve_ref_schema(schema)
            for name in cls.not_null:
                prop = target.get("properties", {}).get(name)
                if prop and "anyOf" in prop:
                    options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
                    prop.update(options[0] if len(options) == 1 else {"anyOf": options})
        return schema


class FieldError(BaseModel):
    field: str = Field(max_length=200, description="Dotted path of the failing field")
    location: str | None = Field(default=None, description="body, query, path or header")
    type: str = Field(description="Machine-readable error type")
    message: str = Field(description="Human-readable message in the negotiated language")


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error response.

    Beyond the standard members and ``code``/``request_id``, a problem may carry typed
    extensions (RFC 9457 §3.2), each present only where its code says so; others may
    follow, so clients must ignore members they do not know."""

    model_config = ConfigDict(
        extra="allow",
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
        },
    )
    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable dotted error code, e.g. order.invalid_transition")
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Failing fields (422)")
    current_status: str | None = Field(
        default=None, description="The resource's status when a step is not allowed from it"
    )
    step: str | None = Field(default=None, description="The step that was refused")
    allowed_steps: list[str] | None = Field(
        default=None, description="Steps allowed from ``current_status``"
    )
    current_etag: str | None = Field(
        default=None, description="ETag of the current version (412 on a stale If-Match)"
    )
    violations: list[str] | None = Field(
        default=None, description="Password policy rules not met (``auth.weak_password``)"
    )
    size: int | None = Field(default=None, description="How large the request was")
    max_size: int | None = Field(default=None, description="The largest allowed")
    count: int | None = Field(default=None, description="How many things stand in the way")
    reason: str | None = Field(default=None, description="Machine-readable reason")
    field: str | None = Field(default=None, description="The field the problem is about")
    arrived_at: str | None = Field(default=None, description="When the arrival was recorded")


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
