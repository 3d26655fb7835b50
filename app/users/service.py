"""Use cases on user accounts. Services flush, never commit."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.hashing import hash_password
from app.kit.passwords import check_password_policy
from app.users import repository
from app.users.errors import UsernameTaken, WeakPassword
from app.users.models import UserAccount


async def create_superuser(
    session: AsyncSession, *, username: str, password: str, display_name: str | None = None
) -> UserAccount:
    """The first administrator of a new deployment (``redgrid create-admin``)."""
    if check_password_policy(password):
        raise WeakPassword()
    if await repository.get_by_username(session, username) is not None:
        raise UsernameTaken()
    account = UserAccount(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        is_superuser=True,
    )
    return await repository.add(session, account)
