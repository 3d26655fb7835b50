"""Bodies of /activities (志愿服务活动), their sign-ups, check-in and close."""

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import DateTime, Id, IdParam, Int, Line, Text
from app.participation.rules import ActivityStatus, Audience, SignupStatus
from app.people.schemas import Placement

Title = Annotated[Line, Field(min_length=1, max_length=100)]
Description = Annotated[Text, Field(min_length=1, max_length=2000)]
Place = Annotated[Line, Field(min_length=1, max_length=200, description="Where (地点)")]
Kind = Annotated[
    Line,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="活动类型: the key of an `activity_type` points rule, e.g. volunteer_service",
    ),
]
Capacity = Annotated[Int, Field(ge=1, le=100_000, description="Places; omit for no limit")]
Reason = Annotated[Text, Field(min_length=1, max_length=500)]


class OrganiserKind(enum.StrEnum):
    """Who organises an activity (组织方)."""

    org_unit = "org_unit"
    """本级党组织 · the node's own party organisation (社区党委, 网格党支部 …)."""
    team = "team"
    """志愿服务队 · a volunteer team."""
    work_unit = "work_unit"
    """结对单位 · a unit (机关、企事业单位党组织)."""
    department = "department"
    """职能部门 · a department of the town."""


class CodeAction(enum.StrEnum):
    """What a scanned code records (扫码动作)."""

    check_in = "check_in"
    """签到."""
    check_out = "check_out"
    """签退."""


_ACTIVITY_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "org_unit_id": 2,
    "title": "周末环境卫生大清扫",
    "description": "清理背街小巷、小广告，摆放非机动车",
    "kind": "volunteer_service",
    "place": "县生资公司居民小区",
    "starts_at": "2026-11-28T09:00:00+08:00",
    "ends_at": "2026-11-28T11:30:00+08:00",
    "capacity": 30,
    "confirmed_count": 28,
    "waiting_count": 3,
    "audience": "residents",
    "audience_team_id": None,
    "organiser_kind": "work_unit",
    "organiser_id": 5,
    "status": "open",
    "cancel_reason": None,
    "closed_at": None,
    "my_signup_status": "confirmed",
    "version": 1,
    "town_id": 1,
    "community_id": 2,
    "grid_id": None,
    "building_id": None,
    "household_id": None,
    "created_at": "2026-11-21T09:00:00+08:00",
    "updated_at": "2026-11-21T09:00:00+08:00",
}


class ActivityCreate(StrictModel):
    """A volunteer activity at a node in the caller's ``activities.manage`` subtree."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 2,
                    "title": "周末环境卫生大清扫",
                    "kind": "volunteer_service",
                    "place": "县生资公司居民小区",
                    "starts_at": "2026-11-28T09:00:00+08:00",
                    "ends_at": "2026-11-28T11:30:00+08:00",
                    "capacity": 30,
                    "audience": "residents",
                    "organiser_kind": "work_unit",
                    "organiser_id": 5,
                }
            ]
        }
    )

    org_unit_id: Id
    title: Title
    description: Description | None = None
    kind: Kind
    place: Place
    starts_at: DateTime
    ends_at: DateTime
    capacity: Capacity | None = None
    audience: Audience = Audience.residents
    audience_team_id: Id | None = Field(default=None, description="With audience `team`")
    organiser_kind: OrganiserKind = OrganiserKind.org_unit
    organiser_id: Id | None = Field(
        default=None, description="The team, unit or department; none for `org_unit`"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ActivityCreate":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at 须晚于 starts_at / ends_at must follow starts_at")
        if (self.audience is Audience.team) != (self.audience_team_id is not None):
            raise ValueError("audience_team_id 仅且必须用于 team / goes with audience team")
        if (self.organiser_kind is OrganiserKind.org_unit) != (self.organiser_id is None):
            raise ValueError("organiser_id 与 organiser_kind 不符 / does not fit organiser_kind")
        return self


class ActivityUpdate(StrictModel):
    """While open: what, where, when and how many. ``capacity`` null lifts the limit;
    a larger capacity promotes the waiting list, a smaller one never drops anyone."""

    not_null = ("title", "place", "starts_at", "ends_at")

    model_config = ConfigDict(json_schema_extra={"examples": [{"capacity": 40}]})

    title: Title | None = None
    description: Description | None = None
    place: Place | None = None
    starts_at: DateTime | None = None
    ends_at: DateTime | None = None
    capacity: Capacity | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "ActivityUpdate":
        for field in ("title", "place", "starts_at", "ends_at"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} 不能为空 / {field} cannot be null")
        return self


class ActivityRead(Placement):
    """An activity; ``my_signup_status`` is the caller's own sign-up, if any."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ACTIVITY_EXAMPLE]})

    id: int
    org_unit_id: int
    title: str
    description: str | None
    kind: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    confirmed_count: int
    waiting_count: int
    audience: Audience
    audience_team_id: int | None
    organiser_kind: OrganiserKind
    organiser_id: int | None
    status: ActivityStatus
    cancel_reason: str | None
    closed_at: datetime | None
    my_signup_status: SignupStatus | None
    version: int
    created_at: datetime
    updated_at: datetime


class ActivityPage(Page[ActivityRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ACTIVITY_EXAMPLE], "next_cursor": None}]}
    )


class ActivityQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "open", "limit": 20}]})

    status: ActivityStatus | None = None
    org_unit_id: IdParam | None = None
    kind: Line | None = Field(default=None, max_length=64)
    starts_from: DateTime | None = Field(default=None, description="Starting at or after")
    starts_before: DateTime | None = Field(default=None, description="Starting before")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class CancelIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "暴雨预警，活动取消"}]})

    reason: Reason


# ---------------------------------------------------------------- sign-ups and attendance

_SIGNUP_EXAMPLE: dict[str, Any] = {
    "id": 88,
    "activity_id": 12,
    "person_id": 1001,
    "person_name": "张三",
    "status": "confirmed",
    "waiting_position": None,
    "promoted_at": None,
    "cancelled_at": None,
    "checked_in_at": "2026-11-28T08:52:10+08:00",
    "check_in_method": "qr",
    "checked_out_at": "2026-11-28T11:41:03+08:00",
    "check_out_method": "qr",
    "service_minutes": 150,
    "awarded_points": 10,
    "award_transaction_id": 5012,
    "voided_at": None,
    "void_reason": None,
    "created_at": "2026-11-21T10:00:00+08:00",
}


class SignupRead(BaseModel):
    """A sign-up and its attendance. ``service_minutes`` is from check-in to check-out,
    never longer than the activity; ``awarded_points`` what closing paid."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SIGNUP_EXAMPLE]})

    id: int
    activity_id: int
    person_id: int
    person_name: str
    status: SignupStatus
    waiting_position: int | None = Field(description="1 = next to be promoted")
    promoted_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    check_in_method: str | None = Field(description="qr 扫码 · organiser 组织者代签")
    checked_out_at: datetime | None
    check_out_method: str | None
    service_minutes: int | None
    awarded_points: int | None
    award_transaction_id: int | None
    voided_at: datetime | None
    void_reason: str | None
    created_at: datetime


class SignupPage(Page[SignupRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SIGNUP_EXAMPLE], "next_cursor": None}]}
    )


class SignupQuery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "waiting"}]})

    status: SignupStatus | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class CheckinCode(BaseModel):
    """The code the organiser's phone shows as a QR code, refreshed every step."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "activity_id": 12,
                    "action": "check_in",
                    "token": "59353640.q3Fh0T4m5pWcWv0aZ2w8Kg",
                    "payload": "redgrid:activity:12:check_in:59353640.q3Fh0T4m5pWcWv0aZ2w8Kg",
                    "expires_at": "2026-11-28T09:00:30+08:00",
                    "refresh_after_seconds": 23,
                }
            ]
        }
    )

    activity_id: int
    action: CodeAction
    token: str = Field(description="Send back as `token` to check in or out")
    payload: str = Field(description="What the QR code encodes (the app parses it)")
    expires_at: datetime = Field(description="End of the code's step; one more step of grace")
    refresh_after_seconds: int


class ScanIn(StrictModel):
    """The token of a scanned code."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "59353640.q3Fh0T4m5pWcWv0aZ2w8Kg"}]}
    )

    token: Line = Field(min_length=3, max_length=100)


class AttendanceIn(StrictModel):
    """The organiser records someone without a phone (代签到 / 代签退)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"person_id": 1001, "action": "check_in"}]}
    )

    person_id: Id
    action: CodeAction
    at: DateTime | None = Field(default=None, description="When; default now")


class VoidIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "误签到，实际未参加"}]})

    reason: Reason


class ActivityClosed(BaseModel):
    """The closed activity and what closing counted and paid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "activity": _ACTIVITY_EXAMPLE | {"status": "closed"},
                    "attendants": 25,
                    "service_minutes": 3600,
                    "points_awarded": 250,
                }
            ]
        }
    )

    activity: ActivityRead
    attendants: int = Field(description="People checked in (not voided)")
    service_minutes: int
    points_awarded: int
