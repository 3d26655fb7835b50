"""Bodies of ``/me/wechat-subscriptions``."""

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.schemas import StrictModel
from app.kit.types import Line


class SubscribeResult(enum.StrEnum):
    """What ``wx.requestSubscribeMessage`` reported for a template."""

    accept = "accept"
    """同意: one message of this template may be sent"""
    reject = "reject"
    """拒绝"""
    ban = "ban"
    """已被后台封禁"""
    filter = "filter"
    """标题同名被过滤"""


TemplateId = Annotated[Line, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class SubscriptionsIn(StrictModel):
    """The result of ``wx.requestSubscribeMessage`` as the mini-program got it: each
    ``accept`` is a one-time subscription (一次性订阅), good for one message."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "app_id": "wx8a7b6c5d4e3f2a1b",
                    "results": {"tmpl-order-resolved": "accept", "tmpl-order-accepted": "reject"},
                }
            ]
        }
    )

    app_id: Line = Field(min_length=1, max_length=64, description="The mini-program's appid")
    results: dict[TemplateId, SubscribeResult] = Field(
        min_length=1, max_length=20, description="Template id → the user's answer"
    )


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    app_id: str
    template_id: str
    credits: int = Field(description="Messages this template may still bring (one per accept)")
    updated_at: datetime


class SubscriptionList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "app_id": "wx8a7b6c5d4e3f2a1b",
                            "template_id": "tmpl-order-resolved",
                            "credits": 1,
                            "updated_at": "2026-11-27T10:00:00+08:00",
                        }
                    ]
                }
            ]
        }
    )

    items: list[SubscriptionRead]
