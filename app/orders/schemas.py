"""Request and response bodies of ``/orders`` (三单: 居民点单 · 社区派单 · 党员接单).

The contact phone in a response is masked (``138****5678``) unless the caller is the
resident, holds the order, or has ``pii`` over it (PIPL).
"""

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, DateTime, Id, Int, Line, Number, Text
from app.orders.workflow import OrderStatus, OrderStep


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise PydanticCustomError(
            "order.https_url_required",
            "Only https URLs are accepted",
            {"reason_zh": "仅接受 https 链接"},
        )
    return value


HttpsUrl = Annotated[
    Line,
    Field(min_length=9, max_length=500, description="An https URL (uploads live elsewhere)"),
    AfterValidator(_https),
]
Reason = Annotated[Text, Field(min_length=1, max_length=500, description="理由 · reason")]


Latitude = Annotated[Number, Field(ge=-90, le=90)]
Longitude = Annotated[Number, Field(ge=-180, le=180)]


class Channel(enum.StrEnum):
    """点单渠道 · the channel an order came through: ``miniprogram`` 微信小程序,
    ``app`` 移动端, ``phone`` 电话受理, ``walk_in`` 来访, ``patrol`` 网格员巡查发现,
    ``open311`` Open311 GeoReport v2, ``gov_api`` 政务接口 (e.g. 12345)."""

    miniprogram = "miniprogram"
    """微信小程序 · WeChat mini-program."""
    app = "app"
    """移动端 · mobile app."""
    phone = "phone"
    """电话 · phone call taken by staff."""
    walk_in = "walk_in"
    """来访 · walk-in at a station or office."""
    patrol = "patrol"
    """网格员巡查发现 · found by a grid worker on patrol."""
    open311 = "open311"
    """Open311 GeoReport v2."""
    gov_api = "gov_api"
    """政务接口 · a government system (e.g. 12345)."""


class AssigneeKind(enum.StrEnum):
    """派单对象 · whom an order is dispatched to: ``member`` 党员 (a named party
    member), ``team`` 志愿服务队 (any member may accept), ``department`` 职能部门 of
    the town (部门报到)."""

    member = "member"
    """党员 · a named party member."""
    team = "team"
    """志愿服务队 · a volunteer team; any of its members may accept."""
    department = "department"
    """职能部门 · a functional department of the town (部门报到)."""


class ResolvedAnswer(enum.StrEnum):
    """回访 question 1, was the problem solved (是否解决): ``yes`` 已解决,
    ``partly`` 部分解决, ``no`` 未解决."""

    yes = "yes"
    """已解决 · resolved."""
    partly = "partly"
    """部分解决 · partly resolved."""
    no = "no"
    """未解决 · not resolved."""


class SatisfiedAnswer(enum.StrEnum):
    """回访 question 2, how satisfied is the resident (是否满意): ``satisfied`` 满意,
    ``basically`` 基本满意, ``not`` 不满意."""

    satisfied = "satisfied"
    """满意 · satisfied."""
    basically = "basically"
    """基本满意 · basically satisfied."""
    not_ = "not"
    """不满意 · not satisfied."""


# ---------------------------------------------------------------- submit


class OrderCreate(StrictModel):
    """点单. A resident files for themselves; staff with ``orders.submit_for`` name the
    resident (or none, for a problem found on patrol, giving the location)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "repair",
                    "title": "楼道灯不亮",
                    "description": "3单元2楼楼道灯坏了一周",
                    "channel": "miniprogram",
                    "preferred_from": "2026-11-22T09:00:00+08:00",
                    "preferred_to": "2026-11-22T12:00:00+08:00",
                    "attachments": ["https://files.example.cn/a/1.jpg"],
                    "contact_name": "张阿姨",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )
    category: Line = Field(min_length=1, max_length=32, description="A category code")
    title: Line = Field(min_length=1, max_length=100)
    description: Text = Field(min_length=1, max_length=2000)
    channel: Channel
    location_unit_id: Id | None = Field(
        default=None, description="Where the problem is; defaults to the resident's home node"
    )
    address_detail: Line | None = Field(default=None, max_length=200)
    latitude: Latitude | None = Field(default=None, description="WGS-84; with longitude")
    longitude: Longitude | None = Field(default=None, description="WGS-84; with latitude")
    external_ref: Line | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The filing system's own reference (12345 case number, Open311 token)",
    )
    preferred_from: DateTime | None = None
    preferred_to: DateTime | None = None
    attachments: list[HttpsUrl] = Field(default_factory=list, max_length=9)
    file_ids: list[Id] = Field(
        default_factory=list, max_length=9, description="Photos or voice notes from /files"
    )
    contact_name: Line | None = Field(default=None, max_length=50)
    contact_phone: Line | None = Field(
        default=None, max_length=20, pattern=r"^\+?[0-9][0-9 \-]{4,19}$"
    )
    resident_person_id: Id | None = Field(
        default=None, description="The resident filed for (``orders.submit_for`` only)"
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise PydanticCustomError(
                "order.point_half",
                "latitude and longitude go together",
                {"reason_zh": "经纬度须同时提供"},
            )
        if self.preferred_from and self.preferred_to and self.preferred_to < self.preferred_from:
            raise PydanticCustomError(
                "order.preferred_window",
                "preferred_to must not be before preferred_from",
                {"reason_zh": "期望结束时间不能早于开始时间"},
            )
        return self


# ---------------------------------------------------------------- step bodies


class TriageIn(StrictModel):
    """分拣受理: priority, time-limit class (default: the category's) and KPI exclusion."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"priority": 2, "time_limit": "general"}]}
    )
    priority: Int = Field(default=3, ge=1, le=4, description="1 urgent … 4 low")
    time_limit: Line | None = Field(default=None, min_length=1, max_length=32)
    is_excluded: Bool = Field(
        default=False, description="不合理诉求: excluded from the KPIs (三率)"
    )


class ReasonIn(StrictModel):
    """驳回 / 撤销 / 退单 with a reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "不属于社区受理范围"}]})
    reason: Reason


class MergeIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"into_order_id": 123}]})
    into_order_id: Id = Field(description="The open order this one duplicates")


class DispatchIn(StrictModel):
    """派单 to a member (by person id), a volunteer team or a department of the town."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "member", "member_person_id": 42},
                {"kind": "department", "department_id": 3},
            ]
        }
    )
    kind: AssigneeKind
    member_person_id: Id | None = None
    team_id: Id | None = None
    department_id: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        given = {
            "member": self.member_person_id,
            "team": self.team_id,
            "department": self.department_id,
        }
        if given[self.kind] is None or sum(v is not None for v in given.values()) != 1:
            raise PydanticCustomError(
                "order.dispatch_target",
                "Give exactly the id that matches kind",
                {"reason_zh": "请只填写与派单类型对应的编号"},
            )
        return self

    @property
    def target_id(self) -> int:
        target = self.member_person_id or self.team_id or self.department_id
        assert target is not None
        return target


class ContactIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "已电话联系，约明早上门"}]})
    note: Text | None = Field(default=None, max_length=1000)


class NoteIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "已购买配件"}]})
    text: Text = Field(min_length=1, max_length=1000)
    file_ids: list[Id] = Field(
        default_factory=list, max_length=9, description="Photos or voice notes from /files"
    )


class ResolveIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"result": "更换灯泡，已恢复照明", "photos": ["https://files.example.cn/r/1.jpg"]}
            ]
        }
    )
    result: Text = Field(min_length=1, max_length=2000)
    photos: list[HttpsUrl] = Field(default_factory=list, max_length=9)
    photo_file_ids: list[Id] = Field(
        default_factory=list, max_length=9, description="办结 photos uploaded to /files"
    )


class FeedbackIn(StrictModel):
    """回访 (as 12345 asks): resolved? satisfied? Happy answers close the order;
    anything else reopens it (返工)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"resolved": "yes", "satisfied": "satisfied", "comment": "很及时"}]
        }
    )
    resolved: ResolvedAnswer
    satisfied: SatisfiedAnswer
    comment: Text | None = Field(default=None, max_length=500)

    @property
    def is_happy(self) -> bool:
        return self.resolved is ResolvedAnswer.yes and self.satisfied is not SatisfiedAnswer.not_


@dataclass(frozen=True)
class OrderFilters:
    """Filters of the order list (query parameters)."""

    status: tuple[OrderStatus, ...] = ()
    category: str | None = None
    unit_id: int | None = None
    """The location's subtree."""
    assignee_me: bool = False
    pool: bool = False
    q: str | None = None
    overdue: bool | None = None
    escalated: bool | None = None
    assignee_person_id: int | None = None
    channel: Channel | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    updated_since: datetime | None = None
    updated_before: datetime | None = None


class OrderSort(enum.StrEnum):
    """Order of the list; every one pages by keyset: ``-id`` newest first (default),
    ``received_at`` / ``-received_at`` by 受理时间, ``deadline`` by 办结时限 (earliest first;
    only orders that have one), ``updated_at`` oldest change first (for apps that sync
    with ``updated_since``)."""

    newest = "-id"
    received = "received_at"
    received_desc = "-received_at"
    deadline = "deadline"
    updated = "updated_at"


# ---------------------------------------------------------------- responses


class AssigneeRead(BaseModel):
    kind: str = Field(description="member, team, department, or pool (抢单池)")
    person_id: int | None
    team_id: int | None
    department_id: int | None


class FeedbackChannel(enum.StrEnum):
    """How a 回访 answer was taken: ``self`` 居民自评 (in the app), or by staff: ``phone``
    电话回访, ``visit`` 上门回访, ``sms`` 短信回访."""

    self_ = "self"
    phone = "phone"
    visit = "visit"
    sms = "sms"


class StaffFeedbackIn(FeedbackIn):
    """回访 taken by staff (most residents are called back by phone): the resident's
    answers as given, how they were taken; the caller is recorded as who called."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resolved": "yes",
                    "satisfied": "basically",
                    "comment": "电话回访",
                    "channel": "phone",
                }
            ]
        }
    )
    channel: Literal["phone", "visit", "sms"]


class FeedbackRead(BaseModel):
    resolved: ResolvedAnswer
    satisfied: SatisfiedAnswer
    comment: str | None
    answered_at: datetime
    channel: FeedbackChannel = Field(description="`self`: the resident; otherwise staff")
    taken_by_user_id: int | None = Field(description="The staff member who took it")


_ORDER_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "number": "GD20261121-000123",
    "status": "dispatched",
    "allowed_steps": ["cancel", "dispatch", "pool", "accept", "decline", "escalate", "second"],
    "category": "repair",
    "channel": "miniprogram",
    "title": "楼道灯不亮",
    "description": "3单元2楼楼道灯坏了一周",
    "location_unit_id": 42,
    "address_detail": None,
    "preferred_from": None,
    "preferred_to": None,
    "attachments": [],
    "contact_name": "张阿姨",
    "contact_phone": "138****5678",
    "resident_person_id": 7,
    "submitted_by_user_id": 9,
    "priority": 3,
    "time_limit": "utility",
    "assignee": {"kind": "member", "person_id": 12, "team_id": None, "department_id": None},
    "merged_into_id": None,
    "seconds_count": 0,
    "escalation_level": 0,
    "is_excluded": False,
    "reject_reason": None,
    "result": None,
    "result_photos": [],
    "attachment_file_ids": [],
    "result_file_ids": [],
    "feedback": None,
    "rework_count": 0,
    "received_at": "2026-11-21T09:00:00+08:00",
    "triaged_at": "2026-11-21T09:10:00+08:00",
    "dispatched_at": "2026-11-21T09:12:00+08:00",
    "accepted_at": None,
    "first_contact_at": None,
    "resolved_at": None,
    "closed_at": None,
    "response_due_at": "2026-11-21T11:00:00+08:00",
    "resolve_due_at": "2026-11-22T09:00:00+08:00",
    "town_id": 1,
    "community_id": 2,
    "grid_id": 3,
    "building_id": 4,
    "household_id": None,
    "version": 3,
}


class OrderRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ORDER_EXAMPLE]})

    id: int
    number: str = Field(description="Readable number, e.g. GD20261121-000123")
    status: OrderStatus
    allowed_steps: list[OrderStep] = Field(description="Steps the workflow allows next")
    category: str
    channel: Channel
    title: str
    description: str
    location_unit_id: int
    address_detail: str | None
    latitude: float | None = None
    longitude: float | None = None
    external_ref: str | None = None
    preferred_from: datetime | None
    preferred_to: datetime | None
    attachments: list[str]
    attachment_file_ids: list[int] = Field(
        description="Files attached on submit: GET /orders/{id}/files/{file_id}"
    )
    contact_name: str | None
    contact_phone: str | None = Field(description="Masked unless resident, holder or pii")
    resident_person_id: int | None
    submitted_by_user_id: int | None
    priority: int
    time_limit: str | None
    assignee: AssigneeRead | None
    merged_into_id: int | None
    seconds_count: int = Field(description="附议: residents who seconded it")
    escalation_level: int = Field(description="吹哨: levels escalated past a deadline")
    is_excluded: bool
    reject_reason: str | None
    result: str | None
    result_photos: list[str]
    result_file_ids: list[int] = Field(description="办结 photos attached on resolve")
    feedback: FeedbackRead | None = Field(description="The latest 回访 answer")
    rework_count: int = Field(description="返工: reopened by unhappy answers")
    received_at: datetime
    triaged_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    first_contact_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None = Field(description="响应时限: first contact due")
    resolve_due_at: datetime | None = Field(description="办结时限: resolution due")
    town_id: int
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    version: int = Field(description="Send back as If-Match (ETag)")


class OrderSummary(BaseModel):
    """A row of the order list (no personal data)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    k: _ORDER_EXAMPLE[k]
                    for k in (
                        "id",
                        "number",
                        "status",
                        "category",
                        "channel",
                        "title",
                        "location_unit_id",
                        "priority",
                        "seconds_count",
                        "escalation_level",
                        "received_at",
                        "response_due_at",
                        "resolve_due_at",
                        "town_id",
                        "community_id",
                        "grid_id",
                        "version",
                    )
                }
                | {"assignee_kind": "member"}
            ]
        },
    )

    id: int
    number: str
    status: OrderStatus
    category: str
    channel: Channel
    title: str
    location_unit_id: int
    priority: int
    assignee_kind: str | None
    seconds_count: int
    escalation_level: int
    received_at: datetime
    response_due_at: datetime | None
    resolve_due_at: datetime | None
    town_id: int
    community_id: int | None
    grid_id: int | None
    version: int


class OrderPage(Page[OrderSummary]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": OrderSummary.model_config["json_schema_extra"]["examples"],  # type: ignore[index]
                    "next_cursor": "WzEyM10",
                }
            ]
        }
    )


class OrderEventRead(BaseModel):
    """One entry of an order's history (append-only)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 10,
                    "step": "dispatch",
                    "from_status": "triaged",
                    "to_status": "dispatched",
                    "actor_user_id": 9,
                    "actor_name": "王调度",
                    "note": None,
                    "data": {"kind": "member", "member_person_id": 12},
                    "occurred_at": "2026-11-21T09:12:00+08:00",
                }
            ]
        },
    )
    id: int
    step: OrderStep | Literal["submit"] = Field(description="A workflow step, or submit (点单)")
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor_user_id: int | None = Field(description="null for the system (deadlines, auto-close)")
    actor_name: str | None
    note: str | None
    data: dict[str, Any]
    occurred_at: datetime


class OrderEventPage(Page[OrderEventRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": OrderEventRead.model_config["json_schema_extra"]["examples"],  # type: ignore[index]
                    "next_cursor": None,
                }
            ]
        }
    )


class SecondRead(BaseModel):
    """附议 recorded; the order itself stays private to its resident and handlers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"order_id": 1, "number": "GD20261121-000123", "seconds_count": 3}]
        }
    )
    order_id: int
    number: str
    seconds_count: int


class ArrivalRead(BaseModel):
    """部门报到: when the department was whistled, when it was due and when it arrived."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "order_id": 1,
                    "department_id": 3,
                    "whistled_at": "2026-11-21T10:00:00+08:00",
                    "due_at": "2026-11-21T10:30:00+08:00",
                    "arrived_at": "2026-11-21T10:20:00+08:00",
                    "is_late": False,
                }
            ]
        },
    )
    order_id: int
    department_id: int
    whistled_at: datetime
    due_at: datetime
    arrived_at: datetime | None
    is_late: bool = Field(description="Arrived after due_at (the 30-minute 报到 limit)")
