"""Request and response bodies of ``/api/v1/points`` (红色积分).

Points are integers. A statement entry carries the member's running balance after
it (``balance_after``), so a page of the statement adds up on its own.
"""

import enum
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Date, Id, IdParam, Int, Line, Text
from app.points.rules import RuleKind, TxnKind

MAX_POINTS = 100_000
Reason = Annotated[
    Text, Field(min_length=1, max_length=500, description="事由 · why (no phone or ID numbers)")
]


class Period(enum.StrEnum):
    """Ranking and total period (统计周期)."""

    month = "month"
    """月度 · calendar month (Asia/Shanghai)."""
    quarter = "quarter"
    """季度 · calendar quarter."""
    year = "year"
    """年度 · calendar year."""


# ---------------------------------------------------------------- writes


class AdjustmentCreate(StrictModel):
    """A manual award (amount > 0) or deduction (amount < 0) by authorised staff."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"person_id": 42, "amount": 20, "reason": "疫情防控志愿服务表现突出"},
                {"person_id": 42, "amount": -10, "reason": "重复登记服务时长，予以扣减"},
            ]
        }
    )
    person_id: Id = Field(description="The member who earns or loses the points")
    amount: Int = Field(
        ge=-MAX_POINTS, le=MAX_POINTS, description="积分 · positive awards, negative deducts; not 0"
    )
    reason: Reason

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("积分不能为 0 / the amount must not be 0")
        return value


class AdjustmentStatus(enum.StrEnum):
    """State of an adjustment above the approval threshold (四眼原则)."""

    pending = "pending"
    """待审批 · waiting for a second holder of points.award."""
    approved = "approved"
    """已批准 · approved and posted to the ledger."""
    rejected = "rejected"
    """已驳回 · rejected; nothing was posted."""


class RejectionCreate(StrictModel):
    reason: Reason


class AdjustmentRequestQuery(StrictModel):
    status: AdjustmentStatus | None = Field(
        default=AdjustmentStatus.pending, description="Default: pending only"
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class ActivityAwardCreate(StrictModel):
    """Points for attending an activity, by the activity type's rule, once per
    (activity, person) whatever the retries."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 42,
                    "activity_type": "volunteer_service",
                    "activity_ref": "ACT-20261121-7",
                }
            ]
        }
    )
    person_id: Id
    activity_type: Line = Field(
        min_length=1, max_length=64, description="活动类型 · key of an activity_type rule"
    )
    activity_ref: Annotated[Line, Field(pattern=r"^[A-Za-z0-9_.\-]+$")] = Field(
        min_length=1,
        max_length=64,
        description="The activity's own id (letters, digits, `_`, `.`, `-`)",
    )


class ReversalCreate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "误发积分，冲正"}]})
    reason: Reason


class RuleChange(StrictModel):
    """A new version of a rule; the version in force until now is closed, so only
    what is earned afterwards follows the new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "order_category", "key": "repair", "points": 12, "town_id": 1},
                {"kind": "cap_daily", "key": "", "points": 80, "town_id": 1},
            ]
        }
    )
    kind: RuleKind
    key: Line = Field(
        default="",
        max_length=64,
        description="Order category or activity type; empty for the bonus and the caps",
    )
    points: Int = Field(ge=0, le=MAX_POINTS)
    town_id: Id | None = Field(
        default=None, description="The town whose own rule changes; null: the default (superuser)"
    )


# ---------------------------------------------------------------- reads


class RuleRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "kind": "order_category",
                    "key": "repair",
                    "points": 12,
                    "town_id": 1,
                    "valid_from": "2026-11-21T10:00:00+08:00",
                    "valid_to": None,
                }
            ]
        },
    )
    id: int
    kind: RuleKind
    key: str
    points: int
    town_id: int | None
    valid_from: datetime
    valid_to: datetime | None


class RuleChanged(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current": RuleRead.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                    "previous": None,
                }
            ]
        }
    )
    current: RuleRead
    previous: RuleRead | None = Field(description="The version closed by this change, if any")


class LegRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": 7,
                    "account_kind": "member",
                    "person_id": 42,
                    "amount": 20,
                    "balance_after": 135,
                }
            ]
        }
    )
    account_id: int
    account_kind: str = Field(description="member 党员 · issuance 镇发放 · redemption 镇兑换")
    person_id: int | None
    amount: int
    balance_after: int | None = Field(description="Member accounts only")


class TransactionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 901,
                    "kind": "manual_award",
                    "town_id": 1,
                    "reason": "疫情防控志愿服务表现突出",
                    "reversal_of_id": None,
                    "created_at": "2026-11-21T10:00:00+08:00",
                    "data": {"person_id": 42, "amount": 20},
                    "legs": [
                        {
                            "account_id": 2,
                            "account_kind": "issuance",
                            "person_id": None,
                            "amount": -20,
                            "balance_after": None,
                        },
                        LegRead.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                    ],
                }
            ]
        }
    )
    id: int
    kind: TxnKind
    town_id: int
    reason: str | None
    reversal_of_id: int | None
    created_at: datetime
    data: dict[str, Any]
    legs: list[LegRead]


class PeriodTotals(BaseModel):
    period_start: date
    earned: int = Field(description="获得 · earned (net of deductions and reversed awards)")
    spent: int = Field(description="消费 · spent at the shop (net of refunds)")


class AllTimeTotals(BaseModel):
    earned: int
    spent: int


class AccountSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 42,
                    "account_id": 7,
                    "town_id": 1,
                    "balance": 135,
                    "month": {"period_start": "2026-11-01", "earned": 40, "spent": 0},
                    "quarter": {"period_start": "2026-10-01", "earned": 90, "spent": 30},
                    "year": {"period_start": "2026-01-01", "earned": 165, "spent": 30},
                    "all_time": {"earned": 165, "spent": 30},
                }
            ]
        }
    )
    person_id: int
    account_id: int | None = Field(description="Null until the person first earns")
    town_id: int
    balance: int
    month: PeriodTotals
    quarter: PeriodTotals
    year: PeriodTotals
    all_time: AllTimeTotals


class StatementEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posting_id": 5531,
                    "transaction_id": 901,
                    "kind": "order_award",
                    "amount": 15,
                    "balance_after": 135,
                    "reason": "工单 GD20261121-000123 办结",
                    "reversal_of_id": None,
                    "created_at": "2026-11-21T10:00:00+08:00",
                }
            ]
        }
    )
    posting_id: int
    transaction_id: int
    kind: TxnKind
    amount: int
    balance_after: int = Field(description="余额 · running balance after this entry")
    reason: str | None
    reversal_of_id: int | None
    created_at: datetime


class StatementQuery(StrictModel):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class StatementPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": 42,
                    "account_id": 7,
                    "balance": 135,
                    "items": [StatementEntry.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "next_cursor": "WzU1MzBd",
                }
            ]
        }
    )
    person_id: int
    account_id: int | None
    balance: int
    items: list[StatementEntry]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


class RankingQuery(StrictModel):
    unit_id: IdParam = Field(description="The subtree ranked (town, community, grid …)")
    period: Period = Period.month
    date: Date | None = Field(
        default=None, description="Any day of the period (Asia/Shanghai); default today"
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class LeaderboardEntry(BaseModel):
    position: int = Field(description="名次 · 1-based; ties ordered by account id, descending")
    person_id: int
    account_id: int
    name: str
    earned: int
    spent: int


class Leaderboard(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 3,
                    "period": "month",
                    "period_start": "2026-11-01",
                    "items": [
                        {
                            "position": 1,
                            "person_id": 42,
                            "account_id": 7,
                            "name": "张三丰",
                            "earned": 120,
                            "spent": 30,
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
    unit_id: int
    period: Period
    period_start: date
    items: list[LeaderboardEntry]
    next_cursor: str | None = None


class PublicListEntry(BaseModel):
    position: int
    name: str = Field(description="姓名（部分隐去）· masked name, e.g. 张*丰")
    earned: int
    spent: int
    balance: int = Field(description="Balance when the list was generated")


class PublicList(BaseModel):
    """积分公示: what a community posts on its notice board."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 3,
                    "unit_name": "红星社区",
                    "period": "month",
                    "period_start": "2026-11-01",
                    "period_end": "2026-11-30",
                    "generated_at": "2026-11-21T10:00:00+08:00",
                    "items": [
                        {"position": 1, "name": "张*丰", "earned": 120, "spent": 30, "balance": 305}
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )
    unit_id: int
    unit_name: str
    period: Period
    period_start: date
    period_end: date
    generated_at: datetime
    items: list[PublicListEntry]
    next_cursor: str | None = None


class AdjustmentRequestRead(BaseModel):
    """A manual adjustment above the threshold, pending or decided (四眼原则)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "person_id": 42,
                    "amount": 800,
                    "reason": "抗洪抢险突出贡献",
                    "status": "pending",
                    "requested_by": 5,
                    "requested_at": "2026-11-28T09:00:00+08:00",
                    "decided_by": None,
                    "decided_at": None,
                    "decision_note": None,
                    "transaction_id": None,
                }
            ]
        },
    )
    id: int
    person_id: int
    amount: int
    reason: str
    status: AdjustmentStatus
    requested_by: int | None
    """User id of the requester."""
    requested_at: datetime
    decided_by: int | None
    """User id of the approver or rejecter: never the requester."""
    decided_at: datetime | None
    decision_note: str | None
    transaction_id: int | None
    """The ledger transaction an approval posted."""


class AdjustmentRequestPage(Page[AdjustmentRequestRead]):
    """Adjustment requests in the caller's ``points.award`` scope, newest first."""
