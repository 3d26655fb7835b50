"""Request and response bodies of /matters (五议)."""

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.governance.deliberation.rules import VoteResult
from app.governance.deliberation.workflow import MatterStatus, MatterStep
from app.governance.schemas import LongText, Placed, ShortText, Statement, Title
from app.kit.pagination import Page
from app.kit.schemas import StrictModel
from app.kit.types import DateTime, Id, Int, Line, Text


class ProposerKind(enum.StrEnum):
    """Who proposed a matter (提议人)."""

    resident = "resident"
    """居民 · a resident of the compound."""
    member = "member"
    """党员 · a party member living in the compound."""
    body = "body"
    """合作主体 · a body (业委会, 物业) through staff."""
    staff = "staff"
    """工作人员 · the branch or community staff (also from a meeting or an evaluation)."""


class Party(enum.StrEnum):
    """A party to 商议."""

    branch = "branch"
    """小区党支部 · the compound's party branch."""
    owners_committee = "owners_committee"
    """业委会 · the owners' committee."""
    property_company = "property_company"
    """物业 · the property company."""
    social_organisation = "social_organisation"
    """社会组织 · a social organisation."""
    unit = "unit"
    """单位党组织 · a linked unit's party organisation."""
    residents = "residents"
    """居民代表 · residents' representatives."""


class Stance(enum.StrEnum):
    """A party's position (意见)."""

    support = "support"
    """同意 · supports."""
    oppose = "oppose"
    """反对 · opposes."""
    conditional = "conditional"
    """有条件同意 · supports with conditions."""
    abstain = "abstain"
    """弃权 · takes no position."""


class Choice(enum.StrEnum):
    """A household's vote (表决意见)."""

    yes = "yes"
    """同意 · yes."""
    no = "no"
    """不同意 · no."""
    abstain = "abstain"
    """弃权 · abstains (counted as cast)."""


class MatterCreate(StrictModel):
    """提议. A resident or member proposes for themselves in their compound; staff
    propose for the branch or on behalf of a body (``proposer_body_id``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 3,
                    "title": "增设电动自行车充电桩",
                    "description": "楼道充电有火灾隐患，建议在3号楼北侧增设集中充电棚。",
                }
            ]
        }
    )

    org_unit_id: Id = Field(description="The compound (grid-level node)")
    title: Title
    description: LongText
    proposer_body_id: Id | None = Field(
        default=None, description="Staff only: the body (业委会, 物业 …) proposing"
    )


class ReasonIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "不属于小区公共事务"}]})

    reason: ShortText


class PositionIn(StrictModel):
    """商议: a party's position, recorded by staff."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "party": "property_company",
                    "body_id": 5,
                    "stance": "conditional",
                    "statement": "同意建设，电费按表计收。",
                }
            ]
        }
    )

    party: Party
    body_id: Id | None = Field(default=None, description="The body speaking, if a body")
    stance: Stance
    statement: Statement


class OpenVoteIn(StrictModel):
    """公议: one vote per household of the compound until ``closes_at``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "quorum_percent": 67,
                    "threshold_percent": 50,
                    "closes_at": "2026-12-20T20:00:00+08:00",
                }
            ]
        }
    )

    quorum_percent: Int = Field(
        ge=1, le=100, description="At least this share of households must vote"
    )
    threshold_percent: Int = Field(
        ge=1, le=99, description="More than this share of the votes cast must be yes"
    )
    closes_at: DateTime


class VoteIn(StrictModel):
    """The household's vote. ``ballot_secret`` is random (at least 128 bits, as 32–64 hex
    characters) made by the voter's device: the receipt is its SHA-256 with the matter,
    so a retry with the same secret answers the same receipt, and nothing stored links
    the receipt to the household."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"choice": "yes", "ballot_secret": "9f86d081884c7d659a2feaa0c55ad015"}]
        }
    )

    choice: Choice
    ballot_secret: Annotated[Line, Field(max_length=64, pattern=r"^[0-9a-f]{32,64}$")]


class RatingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"score": 5, "comment": "充电棚建得好，方便安全"}]}
    )

    score: Int = Field(ge=1, le=5, description="1 very unsatisfied … 5 very satisfied")
    comment: Annotated[Text, Field(min_length=1, max_length=500)] | None = None


class ImplementIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"report": "充电棚已于12月28日建成投用，共20个车位。"}]}
    )

    report: LongText


# ---------------------------------------------------------------- reads


class ProposerRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "resident", "person_id": 7, "body_id": None}]}
    )

    kind: ProposerKind
    person_id: int | None
    body_id: int | None


class VoteRead(BaseModel):
    """The vote's rules and, once it closed, its published result; while it runs only
    the turnout (the choices stay sealed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "quorum_percent": 67,
                    "threshold_percent": 50,
                    "opens_at": "2026-12-10T09:00:00+08:00",
                    "closes_at": "2026-12-20T20:00:00+08:00",
                    "eligible_households": 12,
                    "ballots": 9,
                    "yes": 7,
                    "no": 1,
                    "abstain": 1,
                    "result": "passed",
                    "decided_at": "2026-12-20T20:05:00+08:00",
                }
            ]
        }
    )

    quorum_percent: int
    threshold_percent: int
    opens_at: datetime
    closes_at: datetime
    eligible_households: int
    ballots: int = Field(description="Households that voted so far")
    yes: int | None
    no: int | None
    abstain: int | None
    result: VoteResult | None
    decided_at: datetime | None


class ReviewRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ratings": 8, "average": "4.63"}]})

    ratings: int
    average: Decimal | None = Field(description="Mean score 1–5, two places")


class PositionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "party": "owners_committee",
                    "body_id": 6,
                    "stance": "support",
                    "statement": "业委会同意，费用从公共收益列支。",
                    "recorded_at": "2026-12-05T10:00:00+08:00",
                }
            ]
        },
    )

    id: int
    party: Party
    body_id: int | None
    stance: Stance
    statement: str
    recorded_at: datetime


class MatterRead(Placed):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "org_unit_id": 3,
                    "title": "增设电动自行车充电桩",
                    "description": "建议在3号楼北侧增设集中充电棚。",
                    "status": "voting",
                    "stage": "公议",
                    "allowed_steps": ["vote", "pass_vote", "reject_vote"],
                    "proposer": {"kind": "resident", "person_id": 7, "body_id": None},
                    "source_evaluation_id": None,
                    "positions": [],
                    "vote": None,
                    "implementation": None,
                    "implemented_at": None,
                    "review": None,
                    "closed_at": None,
                    "version": 4,
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
    org_unit_id: int
    title: str
    description: str
    status: MatterStatus
    stage: str = Field(description="Which of 提议 动议 商议 公议 评议 the matter is at")
    allowed_steps: list[MatterStep]
    proposer: ProposerRead
    source_evaluation_id: int | None
    positions: list[PositionRead]
    vote: VoteRead | None
    implementation: str | None
    implemented_at: datetime | None
    review: ReviewRead | None
    closed_at: datetime | None
    version: int
    created_at: datetime


class MatterSummary(Placed):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "org_unit_id": 3,
                    "title": "增设电动自行车充电桩",
                    "status": "voting",
                    "result": None,
                    "version": 4,
                    "town_id": 1,
                    "community_id": 2,
                    "grid_id": 3,
                    "building_id": None,
                    "household_id": None,
                    "created_at": "2026-12-01T09:30:00+08:00",
                }
            ]
        },
    )

    id: int
    org_unit_id: int
    title: str
    status: MatterStatus
    result: VoteResult | None
    version: int
    created_at: datetime


class MatterPage(Page[MatterSummary]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class MatterEventRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "step": "take_up",
                    "from_status": "proposed",
                    "to_status": "consulting",
                    "actor_name": "红星社区书记",
                    "note": None,
                    "data": {},
                    "occurred_at": "2026-12-02T09:30:00+08:00",
                }
            ]
        },
    )

    id: int
    step: MatterStep
    from_status: MatterStatus | None
    to_status: MatterStatus
    actor_name: str | None
    note: str | None
    data: dict[str, Any]
    occurred_at: datetime


class MatterEventPage(Page[MatterEventRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class VoteReceipt(BaseModel):
    """Keep the receipt: after the close it appears in the published list with the
    choice counted under it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "matter_id": 1,
                    "receipt": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                    "choice": "yes",
                }
            ]
        }
    )

    matter_id: int
    receipt: str
    choice: Choice


class CountedVote(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"receipt": "5e88…42d8", "choice": "yes"}]},
    )

    receipt: str
    choice: Choice


class CountedVotePage(Page[CountedVote]):
    """Every vote counted, by receipt: a voter finds theirs; the counts per choice add up
    to the published totals and to the households that voted."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class RatingRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "matter_id": 1,
                    "score": 5,
                    "comment": None,
                    "rated_at": "2027-01-05T10:00:00+08:00",
                }
            ]
        }
    )

    matter_id: int
    score: int
    comment: str | None
    rated_at: datetime
