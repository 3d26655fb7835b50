"""Bodies of /micro-wishes (微心愿).

The wisher's identity is personal data (PIPL): the name is masked (张*丰) for everyone
but the staff over the wish and the wisher themself, the phone shown only to staff
(masked without ``pii``), and the household never leaves the server.
"""

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Date, Id, IdParam, Line, Text
from app.orders.schemas import HttpsUrl

Title = Annotated[Line, Field(min_length=1, max_length=100)]
Story = Annotated[Text, Field(min_length=1, max_length=1000)]
Short = Annotated[Text, Field(min_length=1, max_length=500)]


class WishStatus(enum.StrEnum):
    """State of a micro wish (微心愿状态)."""

    open = "open"
    """待认领 · on the board."""
    claimed = "claimed"
    """已认领 · a member, team or unit promised it by the pledge date."""
    fulfilled = "fulfilled"
    """已圆梦 · done, with photos and a story (and, later, the wisher's thanks)."""
    cancelled = "cancelled"
    """已取消 · withdrawn by the community."""


class ClaimantKind(enum.StrEnum):
    """Who claims a wish (认领方)."""

    member = "member"
    """党员 · a party member, for themself."""
    team = "team"
    """志愿服务队 · a volunteer team, by its leader or staff, naming who takes part."""
    work_unit = "work_unit"
    """单位 · a unit (结对单位), by staff, naming who of its roster takes part."""


class WishCreate(StrictModel):
    """A wish posted for a resident in need (代为发布)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "wisher_person_id": 301,
                    "title": "想要一台收音机",
                    "description": "独居老人，眼睛不好，想听广播",
                }
            ]
        }
    )

    wisher_person_id: Id
    title: Title
    description: Story


class ClaimIn(StrictModel):
    """认领: a member for themself; a team (its leader, or staff) or a unit (staff), naming
    who takes part (a group claim)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "claimant_kind": "team",
                    "team_id": 9,
                    "participant_ids": [1001, 1002],
                    "pledge_date": "2026-12-01",
                }
            ]
        }
    )

    claimant_kind: ClaimantKind
    team_id: Id | None = None
    work_unit_id: Id | None = None
    participant_ids: list[Id] = Field(
        default_factory=list, max_length=50, description="Group claims: who takes part"
    )
    pledge_date: Date = Field(description="承诺完成日期")

    @model_validator(mode="after")
    def _consistent(self) -> "ClaimIn":
        team = self.claimant_kind is ClaimantKind.team
        unit = self.claimant_kind is ClaimantKind.work_unit
        if team != (self.team_id is not None) or unit != (self.work_unit_id is not None):
            raise ValueError("team_id / work_unit_id 与认领方不符 / does not fit claimant_kind")
        if (team or unit) and not self.participant_ids:
            raise ValueError("团体认领须列出参与人 / a group claim names its participants")
        if self.claimant_kind is ClaimantKind.member and self.participant_ids:
            raise ValueError("个人认领无参与人 / a member claims alone")
        if len(set(self.participant_ids)) != len(self.participant_ids):
            raise ValueError("参与人重复 / participants repeat")
        return self


class FulfilIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "photos": ["https://files.example.cn/wish/12/1.jpg"],
                    "story": "周六上午送到王奶奶家，教她调好了频道",
                }
            ]
        }
    )

    photos: list[HttpsUrl] = Field(min_length=1, max_length=9)
    story: Story = Field(description="圆梦故事 · a short story")


class ThanksIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"message": "谢谢党员同志！"}]})

    message: Short


class ReasonIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "居民已搬离"}]})

    reason: Short


class ParticipantRead(BaseModel):
    person_id: int
    name: str
    awarded_points: int | None


_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "title": "想要一台收音机",
    "description": "独居老人，眼睛不好，想听广播",
    "wisher_name": "王*英",
    "wisher_mobile": None,
    "wisher_masked": True,
    "status": "fulfilled",
    "claimant_kind": "team",
    "claimant_person_id": None,
    "claimant_team_id": 9,
    "claimant_work_unit_id": None,
    "pledge_date": "2026-12-01",
    "claimed_at": "2026-11-22T10:00:00+08:00",
    "participants": [{"person_id": 1001, "name": "张三", "awarded_points": 8}],
    "fulfilled_at": "2026-11-29T11:00:00+08:00",
    "photos": ["https://files.example.cn/wish/7/1.jpg"],
    "story": "周六上午送到王奶奶家，教她调好了频道",
    "thanks": "谢谢党员同志！",
    "thanked_at": "2026-11-29T15:00:00+08:00",
    "cancel_reason": None,
    "version": 4,
    "town_id": 1,
    "community_id": 2,
    "grid_id": 3,
    "created_at": "2026-11-21T09:00:00+08:00",
}


class WishRead(BaseModel):
    """A wish. ``wisher_masked`` says whether the name is masked for this caller; the
    mobile is null except for staff. Placed at the community and grid (小区); the
    household is never shown."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: int
    title: str
    description: str
    wisher_name: str
    wisher_mobile: str | None
    wisher_masked: bool
    status: WishStatus
    claimant_kind: ClaimantKind | None
    claimant_person_id: int | None
    claimant_team_id: int | None
    claimant_work_unit_id: int | None
    pledge_date: date | None
    claimed_at: datetime | None
    participants: list[ParticipantRead]
    fulfilled_at: datetime | None
    photos: list[str]
    story: str | None
    thanks: str | None
    thanked_at: datetime | None
    cancel_reason: str | None
    version: int
    town_id: int
    community_id: int | None
    grid_id: int | None
    created_at: datetime


class WishPage(Page[WishRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None}]}
    )


class WishQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "open"}]})

    status: WishStatus | None = None
    org_unit_id: IdParam | None = Field(default=None, description="Only wishes placed under it")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
