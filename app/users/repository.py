from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.models import UserAccount


async def get_by_username(session: AsyncSession, username: str) -> UserAccount | None:
    result = await session.execute(select(UserAccount).where(UserAccount.username == username))
    return result.scalar_one_or_none()


async def add(session: AsyncSession, account: UserAccount) -> UserAccount:
    session.add(account)
    await session.flush()
    return account
