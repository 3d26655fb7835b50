"""SQL of uploaded files."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete as delete_rows
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.files.models import StoredFile


async def add(session: AsyncSession, row: StoredFile) -> StoredFile:
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, file_id: int) -> StoredFile | None:
    return await session.get(StoredFile, file_id)


async def attach(
    session: AsyncSession, file_ids: Sequence[int], owner_user_id: int, order_id: int
) -> Sequence[int]:
    """Attaches the caller's unattached files to the order: one guarded UPDATE, so a
    file is never attached twice; the ids that were attached."""
    statement = (
        update(StoredFile)
        .where(
            StoredFile.id.in_(file_ids),
            StoredFile.owner_user_id == owner_user_id,
            StoredFile.order_id.is_(None),
        )
        .values(order_id=order_id)
        .returning(StoredFile.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalars().all()


async def of_order(session: AsyncSession, order_id: int, file_id: int) -> StoredFile | None:
    query = select(StoredFile).where(StoredFile.id == file_id, StoredFile.order_id == order_id)
    return (await session.execute(query)).scalar_one_or_none()


async def lock_orphans(
    session: AsyncSession, created_before: datetime, limit: int
) -> Sequence[StoredFile]:
    """Unattached files created before the cutoff, oldest first, locked; rows another
    transaction holds (an attach in progress) are skipped, not waited for."""
    query = (
        select(StoredFile)
        .where(StoredFile.order_id.is_(None), StoredFile.created_at < created_before)
        .order_by(StoredFile.created_at, StoredFile.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def delete(session: AsyncSession, file_ids: Sequence[int]) -> None:
    statement = delete_rows(StoredFile).where(
        StoredFile.id.in_(file_ids), StoredFile.order_id.is_(None)
    )
    await session.execute(statement.execution_options(synchronize_session=False))
