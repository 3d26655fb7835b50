"""A pairing's yearly commitments (承诺事项): 民生实事 or 小区党建项目, 1–2 a year,
tracked until done. Managed with ``units.manage`` over the pairing (its community, or
the unit's registry); read with ``participation.read``."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.db.base import ANCESTOR_COLUMNS
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.participation.shared import about
from app.participation.units import repository
from app.participation.units.errors import (
    CommitmentNotFound,
    InvalidProgress,
    PairingEnded,
    TooManyCommitments,
)
from app.participation.units.models import WorkUnitCommitment
from app.participation.units.schemas import (
    CommitmentCreate,
    CommitmentPage,
    CommitmentRead,
    CommitmentStatus,
    CommitmentUpdate,
)
from app.participation.units.service import find_pairing, managers, readers

MAX_COMMITMENTS_A_YEAR = 2


async def create_commitment(
    session: AsyncSession, principal: Principal, pairing_id: int, data: CommitmentCreate
) -> CommitmentRead:
    """At most two live (not dropped) commitments per pairing and year; the pairing row
    is locked so two concurrent third commitments cannot both pass."""
    pairing, unit_name, node_name = await find_pairing(
        session, managers(principal), pairing_id, lock=True
    )
    if pairing.ended_on is not None:
        raise PairingEnded()
    if await repository.commitments_in_year(session, pairing.id, data.year) >= (
        MAX_COMMITMENTS_A_YEAR
    ):
        raise TooManyCommitments()
    commitment = WorkUnitCommitment(
        pairing_id=pairing.id,
        **data.model_dump(mode="json"),
        **{c: getattr(pairing, c) for c in ANCESTOR_COLUMNS},
    )
    await repository.save(session, commitment)
    summary = f"「{unit_name}」向「{node_name}」承诺 {data.year} 年实事「{commitment.title}」"
    await audit_service.record(
        session, principal, "work_unit.commit", summary=summary, **about(commitment)
    )
    return CommitmentRead.model_validate(commitment)


async def update_commitment(
    session: AsyncSession,
    principal: Principal,
    commitment_id: int,
    data: CommitmentUpdate,
    if_match: str | None,
) -> CommitmentRead:
    commitment = await repository.get_commitment(
        session, commitment_id, repository.pairings_seen(managers(principal)), lock=True
    )
    if commitment is None:
        raise CommitmentNotFound()
    check_version(if_match, commitment.version)
    changes = data.model_dump(exclude_unset=True)
    done = changes.get("status", commitment.status) == CommitmentStatus.done
    if not done and changes.get("done_on") is not None:
        raise InvalidProgress()
    if not done:
        changes["done_on"] = None
    elif changes.get("done_on", commitment.done_on) is None:
        raise InvalidProgress()
    for field, value in changes.items():
        setattr(commitment, field, value)
    commitment.version += 1
    await repository.save(session, commitment)
    summary = f"承诺事项「{commitment.title}」：{commitment.status}"
    await audit_service.record(
        session, principal, "work_unit.commitment_update", summary=summary, **about(commitment)
    )
    return CommitmentRead.model_validate(commitment)


async def list_commitments(
    session: AsyncSession,
    principal: Principal,
    pairing_id: int,
    *,
    year: int | None,
    limit: int,
    cursor: str | None,
) -> CommitmentPage:
    pairing, _, _ = await find_pairing(session, readers(principal), pairing_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.commitment_page(
            session, pairing.id, year=year, after=after, limit=n
        ),
        key=lambda row: row.id,
    )
    return CommitmentPage(
        items=[CommitmentRead.model_validate(r) for r in items], next_cursor=next_cursor
    )
