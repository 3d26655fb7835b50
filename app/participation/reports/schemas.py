"""Bodies of /participation-reports: service hours (服务时长) and 双考评."""

import enum
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.reporting.schemas import Rate, UnitRef


class GroupBy(enum.StrEnum):
    """How service hours are totalled (汇总方式)."""

    person = "person"
    """按人 · per volunteer."""
    team = "team"
    """按志愿服务队 · per team: the hours of its members."""
    node = "node"
    """按下级组织 · per child node of the unit (the unit's own activities apart)."""


class Period(BaseModel):
    """Business dates in Asia/Shanghai, both inclusive: activities by their start,
    orders by their close, wishes by their fulfilment."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"from_date": "2026-11-01", "to_date": "2026-11-30"}]}
    )

    from_date: date
    to_date: date
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"


class HoursFigures(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"attendances": 12, "people": 9, "minutes": 1530, "hours": 25.5, "points": 120}
            ]
        }
    )

    attendances: int = Field(description="Check-ins (not voided) at activities of the period")
    people: int
    minutes: int = Field(description="服务时长 in minutes (check-in to check-out, capped)")
    hours: float = Field(description="minutes / 60, two decimals")
    points: int = Field(description="Points closing the activities paid (voided excluded)")


class HoursRow(BaseModel):
    key: int | None = Field(description="Person, team or child node id; null: the unit itself")
    name: str
    figures: HoursFigures


_HOURS_EXAMPLE: dict[str, Any] = {
    "unit": {"id": 2, "name": "红星社区", "code": "SL-C1", "level": "community"},
    "period": {"from_date": "2026-11-01", "to_date": "2026-11-30", "timezone": "Asia/Shanghai"},
    "group_by": "person",
    "as_of": "2026-11-30T18:00:00+08:00",
    "total": {"attendances": 12, "people": 9, "minutes": 1530, "hours": 25.5, "points": 120},
    "rows": [
        {
            "key": 1001,
            "name": "张三",
            "figures": {"attendances": 2, "people": 1, "minutes": 300, "hours": 5.0, "points": 20},
        }
    ],
}


class ServiceHours(BaseModel):
    """Hours and points of the activities placed under the unit, in the period."""

    model_config = ConfigDict(json_schema_extra={"examples": [_HOURS_EXAMPLE]})

    unit: UnitRef
    period: Period
    group_by: GroupBy
    as_of: datetime
    total: HoursFigures
    rows: list[HoursRow]


class RecordEntry(BaseModel):
    """One line of a volunteer's record: an activity attended or a wish fulfilled."""

    kind: Literal["activity", "micro_wish"]
    id: int
    title: str
    on: datetime = Field(description="The activity's start, or the wish's fulfilment")
    minutes: int | None
    points: int | None
    voided: bool


class VolunteerRecord(BaseModel):
    """服务时长记录: a person's activities and wishes in the period, with totals."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 1001,
                    "name": "张三",
                    "period": _HOURS_EXAMPLE["period"],
                    "minutes": 300,
                    "hours": 5.0,
                    "points": 28,
                    "entries": [
                        {
                            "kind": "activity",
                            "id": 12,
                            "title": "周末环境卫生大清扫",
                            "on": "2026-11-28T09:00:00+08:00",
                            "minutes": 150,
                            "points": 10,
                            "voided": False,
                        }
                    ],
                }
            ]
        }
    )

    person_id: int
    name: str
    period: Period
    minutes: int
    hours: float
    points: int
    entries: list[RecordEntry]


class Service(BaseModel):
    """What a set of members did in the period (服务成效)."""

    attendances: int
    minutes: int
    hours: float
    points: int = Field(description="Points earned by activities and 微心愿 of the period")
    orders_closed: int = Field(description="Orders closed with one of them as assignee")
    wishes_fulfilled: int = Field(description="微心愿 fulfilled with one of them taking part")
    matters_solved: int = Field(description="orders_closed + wishes_fulfilled (解决事项)")


class WorkUnitRef(BaseModel):
    id: int
    name: str
    kind: str


class UnitEvaluation(BaseModel):
    """单位考评: the unit's in-service members (its roster)."""

    unit: WorkUnitRef
    roster: int = Field(description="在职党员 on the roster")
    home_registered: int
    linked_registered: int
    dual_registered: int = Field(description="Both registrations live at the period's end")
    registration_rate: Rate = Field(description="报到率 = dual_registered / roster")
    active: int = Field(description="Roster members who served at least once in the period")
    active_rate: Rate = Field(description="活跃率 = active / roster")
    service: Service


class CommunityEvaluation(BaseModel):
    """社区考评: the members registered with the community and their service there."""

    community: UnitRef
    expected: int = Field(
        description="In-service members living there, and rosters of units paired there"
    )
    registered: int = Field(description="Members with a live confirmed registration there")
    registered_expected: int
    registration_rate: Rate = Field(description="报到率 = registered_expected / expected")
    active: int = Field(description="Registered members who served there in the period")
    active_rate: Rate = Field(description="活跃率 = active / registered")
    service: Service = Field(description="Their service in the community's subtree")


class Formula(BaseModel):
    name_zh: str
    formula_zh: str
    formula_en: str


class DualEvaluation(BaseModel):
    """双考评 of the units and communities under a node, over a period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit": _HOURS_EXAMPLE["unit"],
                    "period": _HOURS_EXAMPLE["period"],
                    "as_of": "2026-11-30T18:00:00+08:00",
                    "units": [],
                    "communities": [],
                    "formulas": [
                        {
                            "name_zh": "报到率",
                            "formula_zh": "双报到均有效的在职党员 ÷ 单位在职党员",
                            "formula_en": "roster members with both registrations ÷ roster",
                        }
                    ],
                }
            ]
        }
    )

    unit: UnitRef
    period: Period
    as_of: datetime
    units: list[UnitEvaluation]
    communities: list[CommunityEvaluation]
    formulas: list[Formula]
