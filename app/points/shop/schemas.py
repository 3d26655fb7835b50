"""Request and response bodies of the community shop (爱心超市 / 幸福超市), /rewards."""

import enum
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import StrictModel
from app.kit.types import Bool, BoolParam, DateTime, Id, IdParam, Int, Line, Text

MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_RESTOCK = 100_000

RewardName = Annotated[Line, Field(min_length=1, max_length=100, description="商品名称 · name")]
Description = Annotated[Text, Field(max_length=1000, description="商品说明 · description")]
Price = Annotated[
    Int, Field(gt=0, le=MAX_PRICE, description="兑换所需积分 · price in red points (> 0)")
]
ActiveFrom = Annotated[
    DateTime, Field(description="上架时间 · on offer from (inclusive); null: at once")
]
ActiveTo = Annotated[
    DateTime, Field(description="下架时间 · on offer until (exclusive); null: no end")
]


def _window_error() -> PydanticCustomError:
    return PydanticCustomError(
        "reward.invalid_window",
        "active_to must be later than active_from",
        {"reason_zh": "下架时间须晚于上架时间"},
    )


def _reject_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "request.null_not_allowed",
            "This field cannot be cleared",
            {"reason_zh": "该字段不能置空"},
        )
    return value


class RewardCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 2,
                    "name": "大米 5kg",
                    "description": "东北大米一袋",
                    "price_points": 50,
                    "stock": 20,
                    "active_from": "2026-12-01T00:00:00+08:00",
                    "active_to": "2027-01-01T00:00:00+08:00",
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The town (镇) or community (社区) whose shop offers it")
    name: RewardName
    description: Description | None = None
    price_points: Price
    stock: Int = Field(ge=0, le=MAX_STOCK, description="库存 · units in stock (≥ 0)")
    active_from: ActiveFrom | None = None
    active_to: ActiveTo | None = None
    is_active: Bool = Field(default=True, description="上架 · on offer (within its window)")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.active_from and self.active_to and self.active_to <= self.active_from:
            raise _window_error()
        return self


class RewardUpdate(StrictModel):
    """Only the fields sent change; ``null`` clears the description or a window end.
    Stock is not edited here: it moves by restock and by redemptions."""

    not_null = ("name", "price_points", "is_active")

    _required_not_null = field_validator("name", "price_points", "is_active")(_reject_null)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"price_points": 40, "active_to": None}]}
    )

    name: RewardName | None = None
    description: Description | None = None
    price_points: Price | None = None
    active_from: ActiveFrom | None = None
    active_to: ActiveTo | None = None
    is_active: Bool | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class RestockIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": 10}]})

    quantity: Int = Field(gt=0, le=MAX_RESTOCK, description="补货数量 · units added (> 0)")


class RewardRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "org_unit_id": 2,
                    "name": "大米 5kg",
                    "description": "东北大米一袋",
                    "price_points": 50,
                    "stock": 20,
                    "active_from": "2026-12-01T00:00:00+08:00",
                    "active_to": None,
                    "is_active": True,
                    "town_id": 1,
                    "community_id": 2,
                    "version": 1,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "updated_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    org_unit_id: int = Field(description="The town or community whose shop offers it")
    name: str
    description: str | None
    price_points: int
    stock: int
    active_from: datetime | None
    active_to: datetime | None
    is_active: bool
    town_id: int
    community_id: int | None
    version: int = Field(description="Version of the editable fields (the ETag); stock moves")
    created_at: datetime
    updated_at: datetime


class RewardPage(Page[RewardRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class RewardListQuery(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"unit_id": 2, "active_only": True, "limit": 20}]}
    )

    unit_id: IdParam | None = Field(
        default=None, description="Only this town's or community's shop"
    )
    active_only: BoolParam = Field(
        default=False, description="Only rewards on offer now (active and within their window)"
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class RedemptionStatus(enum.StrEnum):
    """兑换状态 · redemption status."""

    pending_pickup = "pending_pickup"
    """待领取 · paid, waiting to be picked up at the shop."""
    handed_over = "handed_over"
    """已领取 · handed over by shop staff (final)."""
    cancelled = "cancelled"
    """已取消 · cancelled before pickup; points refunded by reversal, stock restored."""


class RedemptionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 31,
                    "reward_id": 5,
                    "reward_name": "大米 5kg",
                    "person_id": 7,
                    "person_name": "张三",
                    "points": 50,
                    "status": "pending_pickup",
                    "pickup_code": "K7M2Q9XD",
                    "transaction_id": 1201,
                    "refund_transaction_id": None,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": 4,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                    "handed_over_at": None,
                    "handed_over_by": None,
                    "cancelled_at": None,
                }
            ]
        }
    )

    id: int
    reward_id: int
    reward_name: str
    person_id: int
    person_name: str
    points: int = Field(description="Points paid")
    status: RedemptionStatus
    pickup_code: str | None = Field(
        description="取货码: shown to the member who redeemed, null for everyone else"
    )
    transaction_id: int = Field(description="The ledger transaction that paid for it")
    refund_transaction_id: int | None = Field(
        description="The reversal that refunded it, once cancelled"
    )
    town_id: int = Field(description="Place of the member who redeemed (ancestor ids)")
    community_id: int | None
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    created_at: datetime
    handed_over_at: datetime | None
    handed_over_by: int | None = Field(description="User id of the staff who handed it over")
    cancelled_at: datetime | None


class RedemptionPage(Page[RedemptionRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class RedemptionListQuery(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "pending_pickup", "reward_id": 5, "limit": 20}]}
    )

    status: RedemptionStatus | None = None
    reward_id: IdParam | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class HandoverIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pickup_code": "K7M2Q9XD"}]})

    pickup_code: Line = Field(
        min_length=4, max_length=12, description="取货码 shown by the member (case-insensitive)"
    )

    @field_validator("pickup_code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()
