"""SQL of WeChat subscribe messages: subscriptions (credits), messages, the token."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.wechat.models import WechatAccessToken, WechatMessage, WechatSubscription
from app.users.models import UserAccount, UserIdentity

OPENID = "wechat_openid"
PENDING = "pending"


async def openid_of(session: AsyncSession, user_id: int, app_id: str) -> str | None:
    found: str | None = await session.scalar(
        select(UserIdentity.subject).where(
            UserIdentity.user_id == user_id,
            UserIdentity.provider == OPENID,
            UserIdentity.app_id == app_id,
        )
    )
    return found


async def add_credits(
    session: AsyncSession, user_id: int, app_id: str, template_ids: Collection[str]
) -> None:
    if not template_ids:
        return
    statement = insert(WechatSubscription).values(
        [
            {"user_id": user_id, "app_id": app_id, "template_id": t, "credits": 1}
            for t in sorted(template_ids)
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "app_id", "template_id"],
            set_={"credits": WechatSubscription.credits + 1, "updated_at": func.now()},
        )
    )


async def subscriptions_of(session: AsyncSession, user_id: int) -> Sequence[WechatSubscription]:
    rows = await session.scalars(
        select(WechatSubscription)
        .where(WechatSubscription.user_id == user_id)
        .order_by(WechatSubscription.app_id, WechatSubscription.template_id)
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def recipients(
    session: AsyncSession, person_ids: Collection[int], app_id: str
) -> Sequence[tuple[int, str]]:
    """(account, openid in ``app_id``) of the active accounts of these people."""
    if not person_ids:
        return []
    rows = await session.execute(
        select(UserAccount.id, UserIdentity.subject)
        .join(UserIdentity, UserIdentity.user_id == UserAccount.id)
        .where(
            UserAccount.person_id.in_(sorted(person_ids)),
            UserAccount.is_active.is_(True),
            UserIdentity.provider == OPENID,
            UserIdentity.app_id == app_id,
        )
        .order_by(UserAccount.id)
    )
    return [(user_id, openid) for user_id, openid in rows]


async def spend_credit(session: AsyncSession, user_id: int, app_id: str, template_id: str) -> bool:
    """Takes one of the account's one-time subscriptions to the template (a guarded
    UPDATE: never below zero, whoever else spends at the same time)."""
    spent = await session.execute(
        update(WechatSubscription)
        .where(
            WechatSubscription.user_id == user_id,
            WechatSubscription.app_id == app_id,
            WechatSubscription.template_id == template_id,
            WechatSubscription.credits > 0,
        )
        .values(credits=WechatSubscription.credits - 1, updated_at=func.now())
        .returning(WechatSubscription.user_id)
    )
    return spent.first() is not None


async def add_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WechatMessage).values(list(rows)))


async def apps_with_due(session: AsyncSession, *, skip: Collection[str]) -> list[str]:
    rows = await session.scalars(
        select(WechatMessage.app_id)
        .distinct()
        .where(
            WechatMessage.status == PENDING,
            WechatMessage.next_attempt_at <= func.now(),
            WechatMessage.app_id.not_in(sorted(skip)),
        )
        .order_by(WechatMessage.app_id)
    )
    return list(rows)


async def claim_due(
    session: AsyncSession, app_ids: Collection[str], *, limit: int
) -> Sequence[WechatMessage]:
    """Due messages of ``app_ids``, locked (rows another sender holds are skipped)."""
    rows = await session.scalars(
        select(WechatMessage)
        .where(
            WechatMessage.status == PENDING,
            WechatMessage.next_attempt_at <= func.now(),
            WechatMessage.app_id.in_(sorted(app_ids)),
        )
        .order_by(WechatMessage.next_attempt_at, WechatMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return rows.all()


async def postpone(session: AsyncSession, app_id: str, until: datetime) -> None:
    await session.execute(
        update(WechatMessage)
        .where(
            WechatMessage.app_id == app_id,
            WechatMessage.status == PENDING,
            WechatMessage.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(WechatMessage.next_attempt_at)).where(
            WechatMessage.status == PENDING, WechatMessage.next_attempt_at > func.now()
        )
    )


async def pending_count(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(WechatMessage).where(WechatMessage.status == PENDING)
    )
    return int(count or 0)


# ---------------------------------------------------------------- the access token


async def lock_token(session: AsyncSession, app_id: str) -> None:
    """One refresh at a time across workers: a transaction-scoped advisory lock."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"wechat-token:{app_id}", 0)))
    )


async def stored_token(session: AsyncSession, app_id: str) -> WechatAccessToken | None:
    return await session.scalar(
        select(WechatAccessToken)
        .where(WechatAccessToken.app_id == app_id)
        .execution_options(populate_existing=True)
    )


async def store_token(
    session: AsyncSession, app_id: str, sealed: bytes, expires_at: datetime
) -> None:
    statement = insert(WechatAccessToken).values(app_id=app_id, token=sealed, expires_at=expires_at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["app_id"],
            set_={"token": sealed, "expires_at": expires_at, "refreshed_at": func.now()},
        )
    )
