"""Types and read models every part of governance shares."""

import re
from datetime import datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.kit.schemas import StrictModel
from app.kit.types import Line, Text

Title = Annotated[Line, Field(min_length=1, max_length=100, description="标题 · title")]
Name = Annotated[Line, Field(min_length=1, max_length=100, description="名称 · name")]
ShortText = Annotated[Line, Field(min_length=1, max_length=200)]
Statement = Annotated[Text, Field(min_length=1, max_length=1000)]
LongText = Annotated[Text, Field(min_length=1, max_length=4000)]

_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?")


def _clock(value: Any) -> Any:
    """Only ``HH:MM`` or ``HH:MM:SS``: pydantic would read ``1`` as one second past midnight."""
    if isinstance(value, time) or (isinstance(value, str) and _CLOCK.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "time_type",
        "Input should be a time of day, HH:MM or HH:MM:SS",
        {"reason_zh": "应为时刻，格式 HH:MM 或 HH:MM:SS"},
    )


Clock = Annotated[
    time,
    BeforeValidator(_clock),
    # What the server takes (HH:MM or HH:MM:SS), not RFC 3339's full-time with an offset.
    WithJsonSchema(
        {"type": "string", "pattern": f"^{_CLOCK.pattern}$", "maxLength": 8, "examples": ["09:00"]}
    ),
]
"""A time of day on the business clock (Asia/Shanghai), ``09:00``."""


class PersonRef(BaseModel):
    """A person named in governance data; the mobile is masked (138****5678) unless
    the caller holds ``pii`` over the person (PIPL)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 7, "name": "肖鑫磊", "mobile": "138****5678"}]}
    )

    id: int
    name: str
    mobile: str | None


class Placed(BaseModel):
    """The ancestor ids of a row's place in the hierarchy (its own node included)."""

    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None


class CheckinCodeRead(BaseModel):
    """The code a station's or a meeting's phone shows as a QR code (扫码签到), refreshed
    every step and after every scan: each code checks in one person."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "59353640.0.q3Fh0T4m5pWcWv0aZ2w8Kg",
                    "payload": "redgrid:duty-shift:12:check_in:59353640.0.q3Fh0T4m5pWcWv0aZ2w8Kg",
                    "expires_at": "2026-12-05T09:00:30+08:00",
                    "refresh_after_seconds": 3,
                }
            ]
        }
    )

    token: str = Field(description="Send back as `token` to check in")
    payload: str = Field(description="What the QR code encodes (the app parses it)")
    expires_at: datetime = Field(description="End of the code's step; one more step of grace")
    refresh_after_seconds: int = Field(description="When to fetch the next code")


class CheckinScan(StrictModel):
    """扫码签到: the token of the code scanned on the spot."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "59353640.0.q3Fh0T4m5pWcWv0aZ2w8Kg"}]}
    )

    token: Line = Field(min_length=3, max_length=100)
