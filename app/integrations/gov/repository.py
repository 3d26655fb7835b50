"""SQL of step reports: the platforms that hear them, the orders they are about, and
the reports themselves (claimed in order per platform and order)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.models import ApiClient
from app.integrations.gov.models import GovReport
from app.orders.models import ServiceOrder

PENDING = "pending"
GOV_CHANNEL = "gov_api"


async def platforms(session: AsyncSession) -> Sequence[ApiClient]:
    """Active clients with a report URL and a signing key."""
    rows = await session.execute(
        select(ApiClient)
        .where(
            ApiClient.is_active.is_(True),
            ApiClient.report_url.is_not(None),
            ApiClient.signing_secret.is_not(None),
        )
        .order_by(ApiClient.id)
    )
    return rows.scalars().all()


async def gov_orders(session: AsyncSession, order_ids: Iterable[int]) -> dict[int, str | None]:
    """Of ``order_ids``, those filed through a government platform, with their case number."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(ServiceOrder.id, ServiceOrder.external_ref).where(
            ServiceOrder.id.in_(ids), ServiceOrder.channel == GOV_CHANNEL
        )
    )
    return {order_id: ref for order_id, ref in rows.all()}


async def add_reports(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts the reports; one already made for the same event and platform (a relay
    batch taken again) is left as it is."""
    if rows:
        await session.execute(
            insert(GovReport)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=["api_client_id", "event_id"])
        )


def _is_head() -> ColumnElement[bool]:
    older = aliased(GovReport)
    return ~exists().where(
        older.status == PENDING,
        older.api_client_id == GovReport.api_client_id,
        older.order_id == GovReport.order_id,
        older.event_id < GovReport.event_id,
    )


async def claim_due(
    session: AsyncSession, limit: int
) -> Sequence[Row[tuple[GovReport, ApiClient]]]:
    """Locks up to ``limit`` due reports, each the oldest waiting one of its order for
    its platform; locked rows are skipped, so concurrent senders never take the same
    report (as ``webhooks.repository.claim_due``)."""
    rows = await session.execute(
        select(GovReport, ApiClient)
        .join(ApiClient, ApiClient.id == GovReport.api_client_id)
        .where(
            GovReport.status == PENDING,
            GovReport.next_attempt_at <= func.now(),
            ApiClient.is_active.is_(True),
            _is_head(),
        )
        .order_by(GovReport.next_attempt_at, GovReport.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=GovReport)
    )
    return rows.all()


async def next_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(GovReport.next_attempt_at))
            .join(ApiClient, ApiClient.id == GovReport.api_client_id)
            .where(
                GovReport.status == PENDING,
                GovReport.next_attempt_at > func.now(),
                ApiClient.is_active.is_(True),
                _is_head(),
            )
        )
    ).scalar()


async def reports_of_order(session: AsyncSession, order_id: int) -> Sequence[GovReport]:
    rows = await session.execute(
        select(GovReport).where(GovReport.order_id == order_id).order_by(GovReport.id)
    )
    return rows.scalars().all()


async def purge_finished(session: AsyncSession, before: datetime, *, limit: int) -> int:
    doomed = (
        select(GovReport.id)
        .where(GovReport.status != PENDING, GovReport.finished_at < before)
        .limit(limit)
    )
    result = await session.execute(delete(GovReport).where(GovReport.id.in_(doomed)))
    return int(result.rowcount)  # type: ignore[attr-defined]
