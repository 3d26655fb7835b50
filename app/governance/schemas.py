"""Types and read models every part of governance shares."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Title = Annotated[str, Field(min_length=1, max_length=100, description="标题 · title")]
Name = Annotated[str, Field(min_length=1, max_length=100, description="名称 · name")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Statement = Annotated[str, Field(min_length=1, max_length=1000)]
LongText = Annotated[str, Field(min_length=1, max_length=4000)]


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
