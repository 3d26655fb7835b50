"""Bodies of ``/notifications``."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.pagination import Page


class NotificationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 88,
                    "event_type": "order.dispatched",
                    "reason": "assignee",
                    "title": "您有新的派单",
                    "body": "工单 GD20261127-000042「楼道灯不亮」已派给您，请及时接单。",
                    "subject_type": "order",
                    "subject_id": "42",
                    "data": {"order_id": 42, "number": "GD20261127-000042"},
                    "created_at": "2026-11-27T10:00:00+08:00",
                    "read_at": None,
                }
            ]
        }
    )

    id: int
    event_type: str
    reason: str = Field(
        description="Why you hear of it: resident, assignee, pool_members, holder, "
        "escalation_unit, department, points_member, redeemer, subscription_owner"
    )
    title: str = Field(description="In the negotiated language (Accept-Language)")
    body: str
    subject_type: str = Field(description="What it is about: order, points_transaction …")
    subject_id: str
    data: dict[str, Any] = Field(description="Ids and numbers to link to")
    created_at: datetime
    read_at: datetime | None


NotificationPage = Page[NotificationRead]


class UnreadCount(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"unread": 3}]})

    unread: int


class MarkedRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"marked": 3}]})

    marked: int = Field(description="Notifications marked read by this request")
