"""Request and response bodies of ``/webhooks``."""

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.integrations.webhooks.rules import valid_pattern
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Id, Line, Text


def _event_type(value: str) -> str:
    if not valid_pattern(value):
        raise PydanticCustomError(
            "webhook.invalid_event_type",
            "An event type is a name such as points.awarded, a pattern such as order.*, or *",
            {"reason_zh": "事件类型须为 points.awarded 这样的名称、order.* 这样的模式或 *"},
        )
    return value


EventTypePattern = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=64,
        description="事件类型 · event type: `order.dispatched`, `order.*`, `points.*` or `*`",
    ),
    AfterValidator(_event_type),
]
EventTypes = Annotated[
    list[EventTypePattern],
    Field(min_length=1, max_length=20, description="事件类型 · event types heard"),
]
Url = Annotated[
    Line,
    Field(
        min_length=8,
        max_length=2000,
        # Replaces Line's pattern, so it refuses control characters itself.
        pattern=r"^[hH][tT][tT][pP][sS]?://[^\s\x00-\x1f\x7f-\x9f]+$",
        description="接收地址 · receiver URL: https; public addresses only (checked after DNS)",
    ),
]
Description = Annotated[Text, Field(max_length=200, description="说明 · what the endpoint is for")]


class WebhookCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://gov.example.cn/redgrid/events",
                    "event_types": ["order.*", "points.awarded"],
                    "org_unit_id": 2,
                    "description": "街道网格化管理平台",
                }
            ]
        }
    )

    url: Url
    event_types: EventTypes
    org_unit_id: Id = Field(description="The node whose subtree the endpoint hears")
    description: Description | None = None


class WebhookUpdate(StrictModel):
    """Only the fields sent change. ``is_active: true`` re-enables a disabled endpoint
    (its waiting deliveries resume); ``false`` pauses it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": ["order.*"], "is_active": True}]}
    )

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    is_active: Bool | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "org_unit_id": 2,
                    "url": "https://gov.example.cn/redgrid/events",
                    "event_types": ["order.*", "points.awarded"],
                    "description": "街道网格化管理平台",
                    "owner": "client:cli_5f0c6f7a2b3c4d5e",
                    "is_active": True,
                    "disabled_reason": None,
                    "disabled_at": None,
                    "failing_since": None,
                    "version": 1,
                    "created_at": "2026-11-27T10:00:00+08:00",
                    "updated_at": "2026-11-27T10:00:00+08:00",
                }
            ]
        },
    )

    id: int
    org_unit_id: int
    url: str
    event_types: list[str]
    description: str | None
    owner: str = Field(
        validation_alias="owner_subject",
        description="Who subscribed (`user:<id>` / `client:<client_id>`): events are "
        "delivered within the owner's permissions",
    )
    is_active: bool
    disabled_reason: str | None = Field(description="`manual` or `failing`")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="First failed attempt since the last success; null while healthy"
    )
    version: int
    created_at: datetime
    updated_at: datetime


WebhookPage = Page[WebhookRead]


class WebhookSecret(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    "previous_secret_expires_at": None,
                }
            ]
        }
    )

    secret: str = Field(description="Standard Webhooks signing secret (`whsec_…`)")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries also carry a signature made with the old secret"
    )


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    """待投递 · waiting for its next attempt"""
    succeeded = "succeeded"
    """已送达 · the receiver answered 2xx"""
    failed = "failed"
    """失败 · every attempt of the schedule failed"""


class AttemptRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "attempted_at": "2026-11-27T10:00:01+08:00",
                    "outcome": "http_error",
                    "status_code": 503,
                    "latency_ms": 120,
                    "response_excerpt": "Service Unavailable",
                    "error": None,
                }
            ]
        },
    )

    attempted_at: datetime
    outcome: str = Field(
        description="`success`, `http_error`, `timeout`, `connection_error`, `refused_address`"
    )
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 301,
                    "subscription_id": 7,
                    "event_id": 1204,
                    "event_type": "order.dispatched",
                    "message_id": "msg_1204",
                    "status": "pending",
                    "attempts": 2,
                    "next_attempt_at": "2026-11-27T10:05:06+08:00",
                    "last_attempt_at": "2026-11-27T10:00:06+08:00",
                    "last_status_code": 503,
                    "created_at": "2026-11-27T10:00:00+08:00",
                    "finished_at": None,
                }
            ]
        },
    )

    id: int
    subscription_id: int
    event_id: int
    event_type: str
    message_id: str = Field(description="`webhook-id`: the same on every attempt and redelivery")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="Null once the delivery is finished")
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    finished_at: datetime | None


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The body sent (type, timestamp, data)")
    attempt_log: list[AttemptRead] = Field(description="Every attempt, oldest first")


DeliveryPage = Page[DeliveryRead]
