"""Bodies of the order configuration: categories, time limits, calendar, departments, teams."""

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.hierarchy.rules import CODE_PATTERN
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, Id, Int, Line, Number

ConfigCode = Annotated[
    Line,
    Field(
        min_length=2,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Stable code (lower-case letters, digits, `_`); never changes once created",
    ),
]
NameZh = Annotated[Line, Field(min_length=1, max_length=50, description="中文名称 · Chinese name")]
NameEn = Annotated[Line, Field(min_length=1, max_length=50, description="English name")]
ResponseHours = Annotated[
    Number,
    Field(
        gt=0,
        le=9999.99,
        description=(
            "响应时限 · calendar hours to first contact (two decimals at most; 0.5 = 30 min)"
        ),
    ),
]
ResolveAmount = Annotated[
    Int, Field(gt=0, le=9999, description="办结时限 · hours or working days, per `resolve_unit`")
]
DepartmentCode = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="Unique code (letters, digits, `_`, `.`, `-`), e.g. the government's own",
    ),
]
UnitName = Annotated[Line, Field(min_length=1, max_length=100, description="名称 · name")]


def _refuse_nulls(model: BaseModel, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in model.model_fields_set and getattr(model, field) is None:
            raise ValueError(f"{field} 不能为空 / {field} cannot be null")


class ResolveUnit(enum.StrEnum):
    """How ``resolve_amount`` is counted (办结时限单位)."""

    hours = "hours"
    """自然小时 · calendar hours, around the clock."""
    working_days = "working_days"
    """工作日 · Chinese working days: statutory holidays off, make-up workdays (调休) on."""


# ---------------------------------------------------------------- categories

_CATEGORY_EXAMPLE: dict[str, Any] = {
    "code": "repair",
    "name_zh": "维修",
    "name_en": "Repair",
    "default_time_limit": "utility",
    "is_active": True,
    "created_at": "2026-11-21T18:00:00+08:00",
    "updated_at": "2026-11-21T18:00:00+08:00",
}


class OrderCategoryCreate(StrictModel):
    """A new service category (服务类别)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "pet_care",
                    "name_zh": "宠物照看",
                    "name_en": "Pet care",
                    "default_time_limit": "general",
                }
            ]
        }
    )

    code: ConfigCode
    name_zh: NameZh
    name_en: NameEn
    default_time_limit: ConfigCode = Field(
        description="Time-limit class used when triage does not choose one"
    )
    is_active: Bool = Field(default=True, description="Inactive categories take no new orders")


class OrderCategoryUpdate(StrictModel):
    """Fields to change; omitted fields stay. The code never changes (orders keep it)."""

    not_null = ("name_zh", "name_en", "default_time_limit", "is_active")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"default_time_limit": "complex", "is_active": False}]}
    )

    name_zh: NameZh | None = None
    name_en: NameEn | None = None
    default_time_limit: ConfigCode | None = None
    is_active: Bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "OrderCategoryUpdate":
        _refuse_nulls(self, ("name_zh", "name_en", "default_time_limit", "is_active"))
        return self


class OrderCategoryRead(BaseModel):
    """A service category: what residents choose when they place an order (点单)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_CATEGORY_EXAMPLE]}
    )

    code: str
    name_zh: str
    name_en: str
    default_time_limit: str = Field(description="Code of the default time-limit class")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class OrderCategoryPage(Page[OrderCategoryRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_CATEGORY_EXAMPLE], "next_cursor": None}]}
    )


# ------------------------------------------------------------ time limits

_TIME_LIMIT_EXAMPLE: dict[str, Any] = {
    "code": "general",
    "name_zh": "一般",
    "name_en": "General",
    "response_hours": 24.0,
    "resolve_amount": 7,
    "resolve_unit": "working_days",
    "created_at": "2026-11-21T18:00:00+08:00",
    "updated_at": "2026-11-21T18:00:00+08:00",
}


def _two_decimals(value: float | None) -> float | None:
    if value is not None and abs(value * 100 - round(value * 100)) > 1e-6:
        raise ValueError("最多两位小数 / at most two decimals")
    return value


class TimeLimitClassCreate(StrictModel):
    """A new time-limit class (办理时限)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "heating_season",
                    "name_zh": "供暖季",
                    "name_en": "Heating season",
                    "response_hours": 1,
                    "resolve_amount": 12,
                    "resolve_unit": "hours",
                }
            ]
        }
    )

    code: ConfigCode
    name_zh: NameZh
    name_en: NameEn
    response_hours: ResponseHours
    resolve_amount: ResolveAmount
    resolve_unit: ResolveUnit

    _decimals = field_validator("response_hours")(_two_decimals)


class TimeLimitClassUpdate(StrictModel):
    """Fields to change; omitted fields stay.

    Deadlines are computed and stored on each order at triage (分拣), so a change
    applies to orders triaged afterwards; orders already in work keep their deadlines.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"resolve_amount": 5, "resolve_unit": "working_days"}]}
    )
    not_null = ("name_zh", "name_en", "response_hours", "resolve_amount", "resolve_unit")

    name_zh: NameZh | None = None
    name_en: NameEn | None = None
    response_hours: ResponseHours | None = None
    resolve_amount: ResolveAmount | None = None
    resolve_unit: ResolveUnit | None = None

    _decimals = field_validator("response_hours")(_two_decimals)

    @model_validator(mode="after")
    def _no_nulls(self) -> "TimeLimitClassUpdate":
        _refuse_nulls(self, tuple(TimeLimitClassUpdate.model_fields))
        return self


class TimeLimitClassRead(BaseModel):
    """How long an order may take: to first contact (响应) and to resolution (办结)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_TIME_LIMIT_EXAMPLE]}
    )

    code: str
    name_zh: str
    name_en: str
    response_hours: float = Field(description="响应时限 · calendar hours to first contact")
    resolve_amount: int = Field(description="办结时限, counted in `resolve_unit`")
    resolve_unit: ResolveUnit
    created_at: datetime
    updated_at: datetime


class TimeLimitClassPage(Page[TimeLimitClassRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_TIME_LIMIT_EXAMPLE], "next_cursor": None}]}
    )


# ---------------------------------------------------------------- calendar

_OVERRIDE_EXAMPLE: dict[str, Any] = {
    "day": "2027-10-01",
    "is_workday": False,
    "note": "国庆节",
}


class CalendarOverrideIn(StrictModel):
    """The working status of one day, as the State Council's schedule sets it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"is_workday": False, "note": "国庆节"},
                {"is_workday": True, "note": "国庆节调休上班"},
            ]
        }
    )

    is_workday: Bool = Field(description="true: a working day (e.g. 调休上班); false: a day off")
    note: Line | None = Field(default=None, max_length=100, description="备注, e.g. 国庆节")


class CalendarOverrideRead(BaseModel):
    """A day whose working status is set by hand; it wins over the calendar library."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_OVERRIDE_EXAMPLE]}
    )

    day: date
    is_workday: bool
    note: str | None


class CalendarYear(BaseModel):
    """The hand-set days of one year, and whether the calendar library knows the year."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"year": 2027, "library_covers": False, "items": [_OVERRIDE_EXAMPLE]}]
        }
    )

    year: int
    library_covers: bool = Field(
        description="The `chinesecalendar` library carries the year's holiday schedule; when "
        "false, enter the schedule here or working days count weekends only"
    )
    items: list[CalendarOverrideRead] = Field(
        max_length=366, description="At most one per day, in date order"
    )


class WorkingDays(BaseModel):
    """The working days (工作日) of a date range, both ends included."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2027-09-25",
                    "to": "2027-10-09",
                    "working_days": 6,
                    "workdays": [
                        "2027-09-26",
                        "2027-09-27",
                        "2027-09-28",
                        "2027-09-29",
                        "2027-09-30",
                        "2027-10-08",
                    ],
                    "is_exact": True,
                    "inexact_years": [],
                }
            ]
        },
        populate_by_name=True,
    )

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    working_days: int
    workdays: list[date] = Field(max_length=366, description="The working days, in order")
    is_exact: bool = Field(
        description="false when part of the range lies in a year that neither the calendar "
        "library nor any override covers: weekends are then the only days off"
    )
    inexact_years: list[int] = Field(max_length=2, description="Those years, if any")


# ------------------------------------------------------------ departments

_DEPARTMENT_EXAMPLE: dict[str, Any] = {
    "id": 5,
    "town_id": 1,
    "code": "SL-CG",
    "name": "石龙镇城管执法队",
    "member_count": 3,
    "created_at": "2026-11-21T18:00:00+08:00",
    "updated_at": "2026-11-21T18:00:00+08:00",
}


class DepartmentCreate(StrictModel):
    """A functional department (职能部门) of a town: 城管, 市场监管, 派出所 …"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"town_id": 1, "code": "SL-CG", "name": "石龙镇城管执法队"}]
        }
    )

    town_id: Id = Field(description="A town-level org unit (镇/街道)")
    code: DepartmentCode
    name: UnitName


class DepartmentUpdate(StrictModel):
    """Fields to change; omitted fields stay. The town never changes."""

    not_null = ("code", "name")

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "石龙镇综合执法办"}]})

    code: DepartmentCode | None = None
    name: UnitName | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "DepartmentUpdate":
        _refuse_nulls(self, ("code", "name"))
        return self


class DepartmentRead(BaseModel):
    """A department that receives escalated orders (街乡吹哨、部门报到)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DEPARTMENT_EXAMPLE]})

    id: int
    town_id: int
    code: str
    name: str
    member_count: int = Field(description="Accounts acting for the department")
    created_at: datetime
    updated_at: datetime


class DepartmentPage(Page[DepartmentRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DEPARTMENT_EXAMPLE], "next_cursor": "WzVd"}]}
    )


class DepartmentMemberIn(StrictModel):
    """An account to act for the department; it needs a ``department_staff`` grant to
    receive orders (``orders.department``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"user_id": 42}]})

    user_id: Id


_DEPARTMENT_MEMBER_EXAMPLE: dict[str, Any] = {
    "user_id": 42,
    "username": "cg_wang",
    "display_name": "王五",
    "is_active": True,
}


class DepartmentMemberRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_DEPARTMENT_MEMBER_EXAMPLE]}
    )

    user_id: Id
    username: str
    display_name: str
    is_active: bool


class DepartmentMemberPage(Page[DepartmentMemberRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_DEPARTMENT_MEMBER_EXAMPLE], "next_cursor": None}]
        }
    )


# ---------------------------------------------------------- volunteer teams


class TeamKind(enum.StrEnum):
    """What a volunteer team does (志愿服务队类型)."""

    service = "service"
    """志愿服务 · general volunteer service (邻里志愿服务队, 党员志愿服务队)."""
    mediation = "mediation"
    """矛盾调解 · mediation (家庭事务调解队)."""
    culture = "culture"
    """文体 · culture and recreation (文艺队, 健身队)."""
    emergency = "emergency"
    """应急 · emergency and safety (应急安全服务队)."""
    patrol = "patrol"
    """巡逻 · patrols (平安巡逻队, 夜间巡逻队)."""
    other = "other"
    """其他 · anything else."""


_TEAM_EXAMPLE: dict[str, Any] = {
    "id": 9,
    "org_unit_id": 3,
    "name": "红星社区邻里志愿服务队",
    "kind": "service",
    "leader_person_id": 1001,
    "members_only": False,
    "is_open": True,
    "member_count": 12,
    "version": 2,
    "town_id": 1,
    "community_id": 3,
    "grid_id": None,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-21T18:00:00+08:00",
    "updated_at": "2026-11-21T18:00:00+08:00",
}


class VolunteerTeamCreate(StrictModel):
    """A volunteer team (志愿服务队) at a node: of party members (the default, so its
    members may accept its orders), or of residents too (``members_only`` false)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 3,
                    "name": "红星社区邻里志愿服务队",
                    "kind": "service",
                    "members_only": False,
                    "is_open": True,
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The node the team serves (any level)")
    name: UnitName
    kind: TeamKind = TeamKind.service
    members_only: Bool = Field(
        default=True, description="Party members only (党员志愿服务队); false admits residents"
    )
    is_open: Bool = Field(
        default=False, description="People of the team's community may join by themselves"
    )


class VolunteerTeamUpdate(StrictModel):
    """Fields to change; the node never changes. A new leader joins the team if needed."""

    not_null = ("name", "kind", "members_only", "is_open")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "红星先锋志愿服务队", "leader_person_id": 1001}]}
    )

    name: UnitName | None = None
    kind: TeamKind | None = None
    members_only: Bool | None = None
    is_open: Bool | None = None
    leader_person_id: Id | None = Field(
        default=None, description="队长/楼长/组长; null removes the leader"
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> "VolunteerTeamUpdate":
        _refuse_nulls(self, ("name", "kind", "members_only", "is_open"))
        return self


class VolunteerTeamRead(BaseModel):
    """A team; ``town_id`` … ``household_id`` are the ancestors of its node, itself included."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TEAM_EXAMPLE]})

    id: int
    org_unit_id: int
    name: str
    kind: TeamKind
    leader_person_id: int | None
    members_only: bool
    is_open: bool
    member_count: int
    version: int
    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    created_at: datetime
    updated_at: datetime


class VolunteerTeamPage(Page[VolunteerTeamRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_TEAM_EXAMPLE], "next_cursor": "WzldXQ"}]}
    )


class TeamMemberIn(StrictModel):
    """A person to join the team: a party member, or anyone if the team admits residents."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 1001}]})

    person_id: Id


_TEAM_MEMBER_EXAMPLE: dict[str, Any] = {
    "person_id": 1001,
    "name": "张三",
    "branch_id": 12,
    "joined_at": "2026-11-21T18:00:00+08:00",
}


class TeamMemberRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_TEAM_MEMBER_EXAMPLE]}
    )

    person_id: int
    name: str
    branch_id: int | None = Field(
        description="The 党支部 holding the member's relationship; null for a resident"
    )
    joined_at: datetime


class TeamMemberPage(Page[TeamMemberRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_TEAM_MEMBER_EXAMPLE], "next_cursor": None}]}
    )
