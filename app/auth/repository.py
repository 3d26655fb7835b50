"""SQL for sign-in: refresh token families, WeChat identities, integration clients.

Everything that races (spending a refresh token) is one conditional
``UPDATE … RETURNING``: PostgreSQL re-checks the condition on the row's latest
version after waiting for its lock, so two requests can never both pass.
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient, RefreshToken
from app.authz.scope import Scope
from app.hierarchy.models import OrgUnit
from app.users.models import UserAccount, UserIdentity

WECHAT_PROVIDERS = ("wechat_openid", "wechat_unionid")

_NOW = func.now()


async def login_candidate(session: AsyncSession, username: str) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.username == username)
    return (await session.execute(query)).scalar_one_or_none()


async def register_success(
    session: AsyncSession, user_id: int, *, new_password_hash: str | None = None
) -> None:
    values: dict[str, object] = {"last_login_at": _NOW}
    if new_password_hash is not None:
        values["password_hash"] = new_password_hash
    await session.execute(
        update(UserAccount)
        .where(UserAccount.id == user_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def touch_last_login(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(UserAccount)
        .where(UserAccount.id == user_id)
        .values(last_login_at=_NOW)
        .execution_options(synchronize_session=False)
    )


async def active_user(session: AsyncSession, user_id: int) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.id == user_id, UserAccount.is_active.is_(True))
    return (await session.execute(query)).scalar_one_or_none()


async def token_version(session: AsyncSession, user_id: int) -> int:
    query = select(UserAccount.token_version).where(UserAccount.id == user_id)
    return (await session.execute(query)).scalar_one()


async def insert_refresh_token(
    session: AsyncSession,
    *,
    token_hash: str,
    family_id: uuid.UUID,
    user_id: int,
    ttl: timedelta,
) -> None:
    await session.execute(
        insert(RefreshToken).values(
            token_hash=token_hash, family_id=family_id, user_id=user_id, expires_at=_NOW + ttl
        )
    )


async def spend_refresh_token(
    session: AsyncSession, token_hash: str
) -> tuple[uuid.UUID, int] | None:
    """Marks a live token used; (family, user) if this request was the one to spend it."""
    statement = (
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > _NOW,
        )
        .values(used_at=_NOW)
        .returning(RefreshToken.family_id, RefreshToken.user_id)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_NOW)
        .execution_options(synchronize_session=False)
    )


async def lock_identities(session: AsyncSession, keys: Sequence[str]) -> None:
    """Serialises sign-ins of the same WeChat identity (two first sign-ins at once must
    not create two accounts). Sorted, so two locks never deadlock."""
    for key in sorted(set(keys)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


async def identity_user(
    session: AsyncSession, provider: str, app_id: str, subject: str
) -> int | None:
    query = select(UserIdentity.user_id).where(
        UserIdentity.provider == provider,
        UserIdentity.app_id == app_id,
        UserIdentity.subject == subject,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def link_identity(
    session: AsyncSession, user_id: int, provider: str, app_id: str, subject: str
) -> None:
    """Adds the identity unless it exists (then it keeps pointing where it did)."""
    await session.execute(
        insert(UserIdentity)
        .values(user_id=user_id, provider=provider, app_id=app_id, subject=subject)
        .on_conflict_do_nothing(index_elements=["provider", "app_id", "subject"])
    )


async def get_unit(session: AsyncSession, unit_id: int) -> OrgUnit | None:
    return await session.get(OrgUnit, unit_id)


async def get_live_unit(session: AsyncSession, unit_id: int, scope: Scope) -> OrgUnit | None:
    query = select(OrgUnit).where(
        OrgUnit.id == unit_id, OrgUnit.is_archived.is_(False), scope.clause(OrgUnit)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def client_by_client_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    query = select(ApiClient).where(ApiClient.client_id == client_id)
    return (await session.execute(query)).scalar_one_or_none()


async def add_client(session: AsyncSession, client: ApiClient) -> ApiClient:
    session.add(client)
    await session.flush()
    return client


async def save_client(session: AsyncSession, client: ApiClient) -> None:
    await session.flush()
    await session.refresh(client)


async def list_clients(
    session: AsyncSession, scope: Scope, *, after_id: int | None, limit: int
) -> Sequence[ApiClient]:
    query = (
        select(ApiClient)
        .join(OrgUnit, OrgUnit.id == ApiClient.org_unit_id)
        .where(scope.clause(OrgUnit))
        .order_by(ApiClient.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(ApiClient.id > after_id)
    return (await session.execute(query)).scalars().all()


async def get_visible_client(
    session: AsyncSession, api_client_id: int, scope: Scope, *, for_update: bool = False
) -> tuple[ApiClient, OrgUnit] | None:
    query = (
        select(ApiClient, OrgUnit)
        .join(OrgUnit, OrgUnit.id == ApiClient.org_unit_id)
        .where(ApiClient.id == api_client_id, scope.clause(OrgUnit))
    )
    if for_update:
        query = query.with_for_update(of=ApiClient)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def unlink_wechat_identities(session: AsyncSession, user_id: int) -> int:
    """Removes every WeChat identity (openids and unionid) of the account."""
    statement = delete(UserIdentity).where(
        UserIdentity.user_id == user_id, UserIdentity.provider.in_(WECHAT_PROVIDERS)
    )
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def wechat_identity_count(session: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(
        UserIdentity.user_id == user_id, UserIdentity.provider.in_(WECHAT_PROVIDERS)
    )
    return int((await session.execute(query)).scalar_one())
