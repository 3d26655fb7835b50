from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent


async def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
    await session.flush()
