"""The audit log (审计日志) on the wire."""

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.types import DateTime, IdParam, Line


class Outcome(enum.StrEnum):
    """How the audited action ended."""

    success = "success"
    """成功 · it happened."""
    failure = "failure"
    """失败 · it was attempted and failed (e.g. a wrong password)."""
    denied = "denied"
    """拒绝 · it was refused for lack of permission."""


class AuditEventRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1024,
                    "occurred_at": "2026-11-21T09:12:00+08:00",
                    "actor_user_id": 7,
                    "actor_name": "hongxing_admin",
                    "action": "auth.login",
                    "target_type": "user",
                    "target_id": "7",
                    "summary": "密码登录成功",
                    "outcome": "success",
                    "client_ip": "10.0.3.17",
                    "request_id": "5f0c6f7a2b3c4d5e8f9a0b1c2d3e4f50",
                    "town_id": 1,
                    "community_id": 12,
                    "grid_id": None,
                    "building_id": None,
                    "household_id": None,
                }
            ]
        },
    )
    id: int
    occurred_at: datetime
    actor_user_id: int | None = Field(description="The account that acted, if known")
    actor_name: str | None = Field(
        max_length=64,
        description="`user:<id>`, `client:<client_id>`, or the username a sign-in attempted",
    )
    action: str = Field(max_length=64, description="Dotted action, e.g. `auth.login`")
    target_type: str | None = Field(max_length=32)
    target_id: str | None = Field(max_length=64)
    summary: str = Field(max_length=500, description="What happened, without personal data")
    outcome: Outcome
    client_ip: str | None = Field(max_length=45)
    request_id: str | None = Field(max_length=128)
    town_id: int | None
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None

    @field_validator("client_ip", mode="before")
    @classmethod
    def _ip_as_text(cls, value: Any) -> str | None:
        return None if value is None else str(value)


class AuditQuery(BaseModel):
    """Filters of the audit log; all optional, combined with AND."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "auth.", "outcome": "failure", "limit": 50}]},
    )
    action: Line | None = Field(
        default=None, max_length=64, description="Action prefix, e.g. `auth.` or `user.create`"
    )
    actor_user_id: IdParam | None = None
    target_type: Line | None = Field(default=None, max_length=32)
    target_id: Line | None = Field(default=None, max_length=64)
    outcome: Outcome | None = None
    since: DateTime | None = Field(default=None, description="At or after (with offset)")
    until: DateTime | None = Field(default=None, description="Before (with offset)")
    cursor: Cursor | None = None
    limit: Limit = DEFAULT_LIMIT
