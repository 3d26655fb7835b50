"""Request and response bodies of /meetings and the joint-meeting report."""

import enum
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.governance.bodies.rules import BodyKind
from app.governance.schemas import LongText, PersonRef, Placed, ShortText, Statement, Title
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import DateTime, Id, Line, Text


class MeetingKind(enum.StrEnum):
    """Kind of meeting (会议类型)."""

    joint_property = "joint_property"
    """红色物业联席会议 · branch, owners' committee and property company, quarterly (石龙)."""
    branch_committee = "branch_committee"
    """支委会 · the branch committee (三会一课)."""
    branch_assembly = "branch_assembly"
    """支部党员大会 · the branch's general meeting (三会一课)."""
    party_group = "party_group"
    """党小组会 · a party group's meeting (三会一课)."""
    party_lecture = "party_lecture"
    """党课 · a party lecture (三会一课; 行走的党课)."""
    theme_day = "theme_day"
    """主题党日 · the monthly theme day."""
    council = "council"
    """议事会 · residents' deliberation council (民主议事协商)."""


class MeetingStatus(enum.StrEnum):
    """State of a meeting."""

    planned = "planned"
    """已安排 · scheduled."""
    held = "held"
    """已召开 · held, minutes recorded."""
    cancelled = "cancelled"
    """已取消 · cancelled."""


Agenda = Annotated[list[Annotated[Line, Field(min_length=1, max_length=200)]], Field(max_length=20)]


class MeetingCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "joint_property",
                    "title": "2026年第四季度红色物业联席会议",
                    "org_unit_id": 3,
                    "scheduled_at": "2026-12-12T19:30:00+08:00",
                    "station_id": 4,
                    "body_ids": [5, 6],
                    "agenda": ["电动自行车充电问题", "冬季供暖管道排查"],
                }
            ]
        }
    )

    kind: MeetingKind
    title: Title
    org_unit_id: Id = Field(description="The compound or branch holding it")
    scheduled_at: DateTime
    station_id: Id | None = Field(default=None, description="Where, when at a station")
    body_ids: list[Id] = Field(
        default_factory=list, max_length=10, description="Partner bodies taking part"
    )
    agenda: Agenda = Field(default_factory=list)


class MinutesIn(StrictModel):
    """The meeting was held: when, and its minutes (会议纪要)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "held_at": "2026-12-12T19:30:00+08:00",
                    "minutes": "到会9人。一、充电问题：物业同意在3号楼北侧选址……",
                }
            ]
        }
    )

    held_at: DateTime
    minutes: LongText


class AttendanceIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 7}]})

    person_id: Id


class DecisionOrder(StrictModel):
    """A service order the decision opens, filed at the meeting's node (来访, by staff)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "repair",
                    "title": "3号楼北侧路灯维修",
                    "description": "联席会议决定维修",
                }
            ]
        }
    )

    category: Annotated[Line, Field(min_length=1, max_length=32)]
    title: Title
    description: Annotated[Text, Field(min_length=1, max_length=2000)]


class DecisionMatter(StrictModel):
    """A 五议 matter the decision opens in the meeting's compound."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "增设电动自行车充电棚", "description": "联席会议提议，提交五议"}]
        }
    )

    title: Title
    description: LongText


class DecisionIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content": "由物业负责维修3号楼北侧路灯，两周内完成。",
                    "opens": "order",
                    "order": {
                        "category": "repair",
                        "title": "3号楼北侧路灯维修",
                        "description": "联席会议决定维修",
                    },
                }
            ]
        }
    )

    content: Statement
    opens: Literal["none", "order", "matter"] = "none"
    order: DecisionOrder | None = None
    matter: DecisionMatter | None = None

    @model_validator(mode="after")
    def _what_opens(self) -> Self:
        wanted = {"none": (False, False), "order": (True, False), "matter": (False, True)}
        if (self.order is not None, self.matter is not None) != wanted[self.opens]:
            raise PydanticCustomError(
                "decision.opens",
                "Give `order` exactly when opens is order, `matter` exactly when it is matter",
                {"reason_zh": "opens 为 order 时须填写 order，为 matter 时须填写 matter，否则不填"},
            )
        return self


class CancelIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "台风天气，改期"}]})

    reason: ShortText


class MeetingBodyRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 5, "name": "粤华物业", "kind": "property_company"}]}
    )

    id: int
    name: str
    kind: BodyKind


class DecisionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "content": "由物业负责维修3号楼北侧路灯。",
                    "order_id": 42,
                    "matter_id": None,
                    "created_at": "2026-12-12T21:00:00+08:00",
                }
            ]
        },
    )

    id: int
    content: str
    order_id: int | None = Field(description="The service order it opened")
    matter_id: int | None = Field(description="The 五议 matter it opened")
    created_at: datetime


class AttendanceRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person": {"id": 7, "name": "肖鑫磊", "mobile": "138****5678"},
                    "checked_in_at": "2026-12-12T19:25:00+08:00",
                    "method": "staff",
                }
            ]
        }
    )

    person: PersonRef
    checked_in_at: datetime
    method: Literal["staff", "self", "qr"]


class AttendancePage(Page[AttendanceRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class MeetingRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "kind": "joint_property",
                    "title": "2026年第四季度红色物业联席会议",
                    "org_unit_id": 3,
                    "station_id": 4,
                    "scheduled_at": "2026-12-12T19:30:00+08:00",
                    "agenda": ["电动自行车充电问题"],
                    "status": "held",
                    "held_at": "2026-12-12T19:30:00+08:00",
                    "minutes": "到会9人……",
                    "bodies": [],
                    "attendance": 9,
                    "decisions": [],
                    "version": 2,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-12-01T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    kind: MeetingKind
    title: str
    org_unit_id: int
    station_id: int | None
    scheduled_at: datetime
    agenda: list[str]
    status: MeetingStatus
    held_at: datetime | None
    minutes: str | None
    bodies: list[MeetingBodyRead]
    attendance: int = Field(description="People checked in")
    decisions: list[DecisionRead]
    version: int
    created_at: datetime


class MeetingSummary(Placed):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "kind": "joint_property",
                    "title": "2026年第四季度红色物业联席会议",
                    "org_unit_id": 3,
                    "scheduled_at": "2026-12-12T19:30:00+08:00",
                    "status": "held",
                    "held_at": "2026-12-12T19:30:00+08:00",
                    "version": 2,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                }
            ]
        },
    )

    id: int
    kind: MeetingKind
    title: str
    org_unit_id: int
    scheduled_at: datetime
    status: MeetingStatus
    held_at: datetime | None
    version: int


class MeetingPage(Page[MeetingSummary]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class CompoundJointMeetings(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "compound_id": 3,
                    "compound_name": "馨安公寓",
                    "community_id": 2,
                    "held": 1,
                    "last_held_at": "2026-12-12T19:30:00+08:00",
                    "on_time": True,
                }
            ]
        }
    )

    compound_id: int
    compound_name: str
    community_id: int | None
    held: int = Field(description="Joint meetings held in the quarter")
    last_held_at: datetime | None
    on_time: bool = Field(description="At least one joint meeting held in the quarter")


class JointMeetingReport(BaseModel):
    """红色物业联席会议 「每季度召开1次」 (石龙, seed 000): which compounds held theirs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 1,
                    "unit_name": "石龙镇党委",
                    "year": 2026,
                    "quarter": 4,
                    "period_from": "2026-10-01",
                    "period_to": "2026-12-31",
                    "quarter_over": False,
                    "compounds": [],
                    "total": 10,
                    "on_time": 7,
                    "on_time_rate": 0.7,
                }
            ]
        }
    )

    unit_id: int
    unit_name: str
    year: int
    quarter: int
    period_from: date
    period_to: date
    quarter_over: bool = Field(description="False while the quarter is still running")
    compounds: list[CompoundJointMeetings]
    total: int = Field(description="Residential compounds (小区网格) under the unit")
    on_time: int
    on_time_rate: float | None = Field(description="on_time / total; null without compounds")
