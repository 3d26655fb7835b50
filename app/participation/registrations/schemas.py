"""Bodies of /dual-registrations (双报到 and the 三个一)."""

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Id, IdParam, Line
from app.people.schemas import Placement


class RegistrationKind(enum.StrEnum):
    """Where a member reports (报到类型)."""

    home = "home"
    """居住地报到 · to the community (or compound) where the member lives."""
    linked = "linked"
    """单位联系社区报到 · to a community the member's unit is paired with (挂钩联系)."""


class RegistrationStatus(enum.StrEnum):
    """State of a registration (报到状态)."""

    pending = "pending"
    """待确认 · reported by the member, awaiting the community."""
    confirmed = "confirmed"
    """已确认 · confirmed by the community (or registered by its staff)."""
    withdrawn = "withdrawn"
    """已撤回 · ended (moved away, changed unit)."""


_EXAMPLE: dict[str, Any] = {
    "id": 31,
    "person_id": 1001,
    "person_name": "张三",
    "kind": "home",
    "org_unit_id": 2,
    "work_unit_id": 5,
    "status": "confirmed",
    "registered_at": "2026-11-22T09:00:00+08:00",
    "registered_by_user_id": 17,
    "confirmed_at": "2026-11-22T10:00:00+08:00",
    "confirmed_by_user_id": 3,
    "withdrawn_at": None,
    "volunteer_team_id": 9,
    "linked_building_id": 44,
    "linked_entrance": "2单元",
    "responsibility_area": "3栋南侧绿化带",
    "three_ones_complete": True,
    "version": 3,
    "town_id": 1,
    "community_id": 2,
    "grid_id": None,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-22T09:00:00+08:00",
    "updated_at": "2026-11-22T10:00:00+08:00",
}


class RegistrationCreate(StrictModel):
    """报到: a member reports to a community or compound. Without ``person_id`` the
    caller reports themself (pending until the community confirms); staff with
    ``units.manage`` over the place register a member directly (confirmed)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "linked", "org_unit_id": 2, "work_unit_id": 5}]}
    )

    kind: RegistrationKind
    org_unit_id: Id = Field(description="The community, or a compound (小区) in it")
    person_id: Id | None = Field(default=None, description="Staff only: the member registered")
    work_unit_id: Id | None = Field(
        default=None,
        description="The member's unit; default: the unit whose roster holds the member",
    )


class ThreeOnesUpdate(StrictModel):
    """三个一 in the home compound; ``null`` clears one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "volunteer_team_id": 9,
                    "linked_building_id": 44,
                    "linked_entrance": "2单元",
                    "responsibility_area": "3栋南侧绿化带",
                }
            ]
        }
    )

    volunteer_team_id: Id | None = Field(default=None, description="① 加入一支志愿服务队")
    linked_building_id: Id | None = Field(default=None, description="② 挂钩联系一个楼栋…")
    linked_entrance: Annotated[Line, Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="…单元"
    )
    responsibility_area: Annotated[Line, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="③ 认领一个责任区"
    )

    @model_validator(mode="after")
    def _entrance_needs_building(self) -> "ThreeOnesUpdate":
        cleared = "linked_building_id" in self.model_fields_set and not self.linked_building_id
        if self.linked_entrance is not None and cleared:
            raise ValueError("单元需要楼栋 / an entrance needs its building")
        return self


class RegistrationRead(Placement):
    """A registration; ``town_id`` … are the ancestors of the place reported to."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: int
    person_id: int
    person_name: str
    kind: RegistrationKind
    org_unit_id: int
    work_unit_id: int | None
    status: RegistrationStatus
    registered_at: datetime
    registered_by_user_id: int | None
    confirmed_at: datetime | None
    confirmed_by_user_id: int | None = Field(description="Who confirmed it (确认人)")
    withdrawn_at: datetime | None
    volunteer_team_id: int | None
    linked_building_id: int | None
    linked_entrance: str | None
    responsibility_area: str | None
    three_ones_complete: bool = Field(description="All three of the 三个一 taken up")
    version: int
    created_at: datetime
    updated_at: datetime


class RegistrationPage(Page[RegistrationRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None}]}
    )


class RegistrationQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "pending"}]})

    kind: RegistrationKind | None = None
    status: RegistrationStatus | None = None
    org_unit_id: IdParam | None = None
    work_unit_id: IdParam | None = None
    person_id: IdParam | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
