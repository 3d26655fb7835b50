"""Types and read models every part of governance shares."""

import re
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

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
