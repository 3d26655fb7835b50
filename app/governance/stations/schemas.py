"""Request and response bodies of /stations, /duty-shifts, /duty-assignments, /honours."""

import enum
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.governance.bodies.schemas import OfficeRead
from app.governance.schemas import Clock, Name, PersonRef, Placed, ShortText, Statement
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Date, Id, Int, Line
from app.people.schemas import PatchBody, reject_null


class StationKind(enum.StrEnum):
    """Kind of station (阵地)."""

    red_flag = "red_flag"
    """红旗驿站 · a compound's station (聊城), led by the branch secretary as 站长."""
    party_service = "party_service"
    """党群服务站 · a party-and-people service station (东安)."""
    member_studio = "member_studio"
    """党员工作室 · a members' studio (党代表工作室)."""


class StationFunction(enum.StrEnum):
    """What a station offers (功能区)."""

    party_office = "party_office"
    """支部办公 · the branch's office."""
    activity_room = "activity_room"
    """党员活动室 · activity room."""
    deliberation = "deliberation"
    """议事 · residents' deliberation (议事协商)."""
    mediation = "mediation"
    """调解 · mediation of disputes."""
    study = "study"
    """学习室 · study room."""
    recreation = "recreation"
    """棋牌娱乐 · chess and games."""
    convenience = "convenience"
    """便民服务 · everyday services."""
    elderly = "elderly"
    """老年之家 · for the elderly."""
    youth = "youth"
    """青年之家 · for the young."""
    children = "children"
    """儿童之家 · for children (四点半课堂)."""
    volunteer = "volunteer"
    """志愿服务 · volunteering base."""


Weekday = Annotated[Int, Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")]


class OpeningHours(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"}]}
    )

    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    opens: Clock
    closes: Clock

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.closes <= self.opens:
            raise PydanticCustomError(
                "station.hours",
                "closes must be after opens",
                {"reason_zh": "关门时间须晚于开门时间"},
            )
        if len(set(self.weekdays)) != len(self.weekdays):
            raise PydanticCustomError(
                "station.weekdays", "weekdays repeat", {"reason_zh": "星期重复"}
            )
        return self


Functions = Annotated[list[StationFunction], Field(max_length=len(StationFunction))]
Hours = Annotated[list[OpeningHours], Field(max_length=14)]


class StationCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "red_flag",
                    "name": "馨安公寓红旗驿站",
                    "org_unit_id": 3,
                    "address": "小区公园东侧",
                    "functions": ["party_office", "activity_room", "deliberation", "mediation"],
                    "opening_hours": [{"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"}],
                }
            ]
        }
    )

    kind: StationKind
    name: Name
    org_unit_id: Id = Field(description="The node it serves, usually a compound")
    address: ShortText | None = None
    functions: Functions = Field(default_factory=list)
    opening_hours: Hours = Field(default_factory=list)


class StationUpdate(PatchBody):
    not_null = ("name", "functions", "opening_hours", "is_active")
    _required = field_validator("name", "functions", "opening_hours", "is_active")(reject_null)

    model_config = ConfigDict(json_schema_extra={"examples": [{"functions": ["mediation"]}]})

    name: Name | None = None
    address: ShortText | None = None
    functions: Functions | None = None
    opening_hours: Hours | None = None
    is_active: Bool | None = None


class StationRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "kind": "red_flag",
                    "name": "馨安公寓红旗驿站",
                    "org_unit_id": 3,
                    "address": "小区公园东侧",
                    "functions": ["party_office", "activity_room"],
                    "opening_hours": [{"weekdays": [6, 7], "opens": "09:00", "closes": "12:00"}],
                    "is_active": True,
                    "officers": [],
                    "version": 1,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "updated_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    kind: StationKind
    name: str
    org_unit_id: int
    address: str | None
    functions: list[StationFunction]
    opening_hours: list[OpeningHours]
    is_active: bool
    officers: list[OfficeRead] = Field(description="Current 站长 and 副站长 (offices)")
    version: int
    created_at: datetime
    updated_at: datetime


class StationPage(Page[StationRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


# ---------------------------------------------------------------- rota


class RotaCreate(StrictModel):
    """Shifts on the given weekdays of a period (党员周末轮班: Saturdays and Sundays 9–12),
    in Asia/Shanghai time; days that already have a shift at that time are skipped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_date": "2026-12-01",
                    "to_date": "2026-12-31",
                    "weekdays": [6, 7],
                    "starts": "09:00",
                    "ends": "12:00",
                    "capacity": 2,
                }
            ]
        }
    )

    from_date: Date
    to_date: Date
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    starts: Clock
    ends: Clock
    capacity: Int = Field(default=2, ge=1, le=20)
    note: ShortText | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.ends <= self.starts:
            raise PydanticCustomError(
                "rota.hours", "ends must be after starts", {"reason_zh": "结束时间须晚于开始时间"}
            )
        if not 0 <= (self.to_date - self.from_date).days <= 92:
            raise PydanticCustomError(
                "rota.period",
                "to_date must be 0 to 92 days after from_date",
                {"reason_zh": "排班期间须为 1 至 93 天"},
            )
        return self


class AssignmentStatus(enum.StrEnum):
    """State of a person's duty on a shift (值班状态)."""

    scheduled = "scheduled"
    """已排班 · due to serve."""
    checked_in = "checked_in"
    """已签到 · served (checked in at the station)."""
    missed = "missed"
    """缺岗 · the shift ended without a check-in (computed)."""
    swapped_out = "swapped_out"
    """已换班 · handed over to another member."""
    withdrawn = "withdrawn"
    """已取消 · taken off the shift before it began."""


class AssignmentSource(enum.StrEnum):
    """How a person came onto a shift."""

    assigned = "assigned"
    """排班 · assigned by staff."""
    volunteered = "volunteered"
    """自愿认领 · volunteered."""
    swap = "swap"
    """换班 · took over from another member."""


class CheckInMethod(enum.StrEnum):
    """How a check-in was recorded (签到方式)."""

    staff = "staff"
    """工作人员代签 · recorded by staff."""
    self = "self"
    """本人签到 · by the member in the shift's window."""
    qr = "qr"
    """扫码签到 · by the station's live QR code."""


class AssignmentRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 21,
                    "shift_id": 12,
                    "station_id": 4,
                    "person": {"id": 7, "name": "张秀梅", "mobile": "138****5678"},
                    "source": "volunteered",
                    "status": "checked_in",
                    "swapped_from_id": None,
                    "checked_in_at": "2026-12-05T08:55:00+08:00",
                    "check_in_method": "self",
                    "points_awarded": 5,
                    "shift_starts_at": "2026-12-05T09:00:00+08:00",
                    "shift_ends_at": "2026-12-05T12:00:00+08:00",
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    shift_id: int
    station_id: int
    person: PersonRef
    source: AssignmentSource
    status: AssignmentStatus
    swapped_from_id: int | None
    checked_in_at: datetime | None
    check_in_method: CheckInMethod | None
    points_awarded: int | None = Field(description="Red points for the shift (by rule)")
    shift_starts_at: datetime
    shift_ends_at: datetime
    created_at: datetime


class AssignmentPage(Page[AssignmentRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class ShiftRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "station_id": 4,
                    "starts_at": "2026-12-05T09:00:00+08:00",
                    "ends_at": "2026-12-05T12:00:00+08:00",
                    "capacity": 2,
                    "taken": 1,
                    "note": None,
                    "assignments": [],
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                }
            ]
        }
    )

    id: int
    station_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    note: str | None
    assignments: list[AssignmentRead]


class ShiftPage(Page[ShiftRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class RotaCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"created": 9, "skipped": 0, "shifts": []}]}
    )

    created: int
    skipped: int = Field(description="Days that already had a shift at that time")
    shifts: list[ShiftRead]


class AssignIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 7}]})

    person_id: Id = Field(
        description="A party member living in, or held by a branch of, the station's community"
    )


class SwapIn(StrictModel):
    """换班: hand the duty over to another member, who takes the place."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 8, "reason": "出差"}]})

    person_id: Id
    reason: ShortText | None = None


# ---------------------------------------------------------------- honour roll


class HonourCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 7,
                    "title": "红旗好人",
                    "citation": "带领热心阿姨组建家庭事务调解队，调解邻里纠纷。",
                    "honoured_on": "2026-07-01",
                }
            ]
        }
    )

    person_id: Id = Field(description="A resident or member of the station's community")
    title: Annotated[Line, Field(min_length=1, max_length=50)] = "红旗好人"
    citation: Statement
    honoured_on: Date


class HonourWithdraw(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "信息有误"}]})

    reason: ShortText


class HonourRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "station_id": 4,
                    "person": {"id": 7, "name": "张秀梅", "mobile": "138****5678"},
                    "title": "红旗好人",
                    "citation": "带领热心阿姨组建家庭事务调解队。",
                    "honoured_on": "2026-07-01",
                    "withdrawn_at": None,
                    "withdrawn_reason": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    station_id: int
    person: PersonRef
    title: str
    citation: str
    honoured_on: date
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    created_at: datetime


class HonourPage(Page[HonourRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})
