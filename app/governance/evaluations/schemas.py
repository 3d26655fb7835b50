"""Request and response bodies of /questionnaires and /evaluations."""

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.governance.schemas import Placed, Title
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import DateTime, Id, Int, Line, Text


class TargetKind(enum.StrEnum):
    """Who is evaluated (评议对象)."""

    property_company = "property_company"
    """物业服务企业 · the property company."""
    owners_committee = "owners_committee"
    """业主委员会 · the owners' committee."""


class EvaluationStatus(enum.StrEnum):
    """State of an evaluation."""

    open = "open"
    """进行中 · households answer until ``closes_at`` or the close."""
    closed = "closed"
    """已结束 · no more answers; scores final."""


ItemCode = Annotated[Line, Field(max_length=32, pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Period = Annotated[
    Line,
    Field(
        max_length=6, pattern=r"^\d{4}(Q[1-4]|H[12])?$", description="`2026`, `2026H2` or `2026Q3`"
    ),
]


class QuestionItem(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "cleaning", "text": "环境卫生", "weight": 30}]}
    )

    code: ItemCode
    text: Annotated[Line, Field(min_length=1, max_length=100)]
    weight: Int = Field(ge=1, le=100)


class QuestionnaireCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 1,
                    "target_kind": "property_company",
                    "title": "物业服务满意度评议",
                    "items": [
                        {"code": "cleaning", "text": "环境卫生", "weight": 40},
                        {"code": "security", "text": "安全秩序", "weight": 30},
                        {"code": "repair", "text": "维修响应", "weight": 30},
                    ],
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The town or community keeping it")
    target_kind: TargetKind
    title: Title
    items: list[QuestionItem] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError(
                "questionnaire.duplicate_code", "item codes repeat", {"reason_zh": "题目代码重复"}
            )
        return self


class QuestionnaireRead(Placed):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "org_unit_id": 1,
                    "target_kind": "property_company",
                    "title": "物业服务满意度评议",
                    "items": [{"code": "cleaning", "text": "环境卫生", "weight": 40}],
                    "is_active": True,
                    "town_id": 1,
                    "community_id": None,
                    "grid_id": None,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        },
    )

    id: int
    org_unit_id: int
    target_kind: TargetKind
    title: str
    items: list[QuestionItem]
    is_active: bool
    created_at: datetime


class QuestionnairePage(Page[QuestionnaireRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class EvaluationCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 3,
                    "questionnaire_id": 1,
                    "body_id": 5,
                    "period": "2026Q4",
                    "opens_at": "2026-12-01T00:00:00+08:00",
                    "closes_at": "2026-12-31T23:59:59+08:00",
                    "retender_below": 60,
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The compound whose households answer")
    questionnaire_id: Id
    body_id: Id = Field(description="The property company or owners' committee evaluated")
    period: Period
    opens_at: DateTime
    closes_at: DateTime
    retender_below: Int = Field(
        default=60, ge=0, le=100, description="Below this overall score a re-tender may open"
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise PydanticCustomError(
                "evaluation.window",
                "closes_at must be after opens_at",
                {"reason_zh": "截止时间须晚于开始时间"},
            )
        return self


Answer = Annotated[Int, Field(ge=1, le=5)]


class ResponseIn(StrictModel):
    """One household's answer: every item scored 1 (非常不满意) … 5 (非常满意)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"answers": {"cleaning": 5, "security": 4, "repair": 3}, "comment": "维修有点慢"}
            ]
        }
    )

    answers: Annotated[dict[ItemCode, Answer], Field(min_length=1, max_length=20)]
    comment: Annotated[Text, Field(min_length=1, max_length=500)] | None = None


class ResponseRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evaluation_id": 2,
                    "answers": {"cleaning": 5, "security": 4, "repair": 3},
                    "comment": None,
                    "submitted_at": "2026-12-03T20:00:00+08:00",
                }
            ]
        }
    )

    evaluation_id: int
    answers: dict[str, int]
    comment: str | None
    submitted_at: datetime


class ItemScoreRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "cleaning",
                    "text": "环境卫生",
                    "weight": 40,
                    "answers": 4,
                    "total": 17,
                    "mean": "4.25",
                    "score": "85.00",
                }
            ]
        }
    )

    code: str
    text: str
    weight: int
    answers: int
    total: int = Field(description="Sum of the answers (1–5 each)")
    mean: Decimal | None
    score: Decimal | None = Field(description="Mean × 20, 0–100")


class ScoresRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"responses": 4, "items": [], "overall": "78.50"}]}
    )

    responses: int
    items: list[ItemScoreRead]
    overall: Decimal | None = Field(description="Weighted mean of the item scores, 0–100")


class EvaluationRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "org_unit_id": 3,
                    "questionnaire_id": 1,
                    "body_id": 5,
                    "body_name": "粤华物业",
                    "target_kind": "property_company",
                    "contract_id": 2,
                    "period": "2026Q4",
                    "opens_at": "2026-12-01T00:00:00+08:00",
                    "closes_at": "2026-12-31T23:59:59+08:00",
                    "status": "open",
                    "eligible_households": 12,
                    "retender_below": 60,
                    "retender_matter_id": None,
                    "scores": {"responses": 0, "items": [], "overall": None},
                    "version": 1,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-11-21T09:30:00+08:00",
                }
            ]
        }
    )

    id: int
    org_unit_id: int
    questionnaire_id: int
    body_id: int
    body_name: str
    target_kind: TargetKind
    contract_id: int | None = Field(description="The property contract in force, if any")
    period: str
    opens_at: datetime
    closes_at: datetime
    status: EvaluationStatus
    eligible_households: int
    retender_below: int
    retender_matter_id: int | None = Field(description="The 五议 matter a low score opened")
    scores: ScoresRead
    version: int
    created_at: datetime


class EvaluationSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "org_unit_id": 3,
                    "body_id": 5,
                    "period": "2026Q4",
                    "status": "closed",
                    "responses": 4,
                    "overall": "78.50",
                }
            ]
        }
    )

    id: int
    org_unit_id: int
    body_id: int
    period: str
    status: EvaluationStatus
    responses: int
    overall: Decimal | None


class EvaluationPage(Page[EvaluationSummary]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class TrendPoint(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evaluation_id": 2,
                    "period": "2026Q4",
                    "body_id": 5,
                    "body_name": "粤华物业",
                    "responses": 4,
                    "overall": "78.50",
                    "items": {"cleaning": "85.00"},
                }
            ]
        }
    )

    evaluation_id: int
    period: str
    body_id: int
    body_name: str
    responses: int
    overall: Decimal | None
    items: dict[str, Decimal | None] = Field(description="Item code → score")


class EvaluationTrend(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"compound_id": 3, "target_kind": "property_company", "points": []}]
        }
    )

    compound_id: int
    target_kind: TargetKind
    points: list[TrendPoint] = Field(description="Oldest period first")


class RankingRow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "compound_id": 3,
                    "compound_name": "馨安公寓",
                    "evaluation_id": 2,
                    "body_id": 5,
                    "body_name": "粤华物业",
                    "responses": 4,
                    "eligible_households": 12,
                    "overall": "78.50",
                }
            ]
        }
    )

    rank: int | None = Field(description="1 = best; equal scores share a rank; none unanswered")
    compound_id: int
    compound_name: str
    evaluation_id: int
    body_id: int
    body_name: str
    responses: int
    eligible_households: int
    overall: Decimal | None


class EvaluationRanking(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 1,
                    "unit_name": "石龙镇党委",
                    "period": "2026Q4",
                    "target_kind": "property_company",
                    "rows": [],
                }
            ]
        }
    )

    unit_id: int
    unit_name: str
    period: str
    target_kind: TargetKind
    rows: list[RankingRow]
