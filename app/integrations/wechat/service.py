"""Use cases of ``/me/wechat-subscriptions``: what the signed-in resident agreed to
receive. Flush, never commit."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.config import Settings
from app.integrations.wechat import phone, repository, tokens
from app.integrations.wechat.client import WechatUnavailable
from app.integrations.wechat.errors import NotSignedInWithWechat, NoWechatAccount, UnknownApp
from app.integrations.wechat.schemas import (
    SubscribeResult,
    SubscriptionList,
    SubscriptionRead,
    SubscriptionsIn,
)


def _user(principal: Principal) -> int:
    if principal.user_id is None:
        raise NoWechatAccount()
    return principal.user_id


async def record_subscriptions(
    session: AsyncSession, principal: Principal, body: SubscriptionsIn, settings: Settings
) -> SubscriptionList:
    """Each accepted template adds one message the relay may send; other answers
    change nothing (WeChat would refuse the message with 43101 anyway)."""
    user_id = _user(principal)
    if body.app_id not in settings.wechat_apps:
        raise UnknownApp()
    if await repository.openid_of(session, user_id, body.app_id) is None:
        raise NotSignedInWithWechat()
    accepted = {t for t, answer in body.results.items() if answer is SubscribeResult.accept}
    await repository.add_credits(session, user_id, body.app_id, accepted)
    await audit_service.record(
        session,
        principal,
        "wechat.subscribe",
        summary=f"accepted {len(accepted)} of {len(body.results)} templates of {body.app_id}",
        target_type="user_account",
        target_id=user_id,
    )
    return await list_subscriptions(session, principal)


async def list_subscriptions(session: AsyncSession, principal: Principal) -> SubscriptionList:
    rows = await repository.subscriptions_of(session, _user(principal))
    return SubscriptionList(items=[SubscriptionRead.model_validate(row) for row in rows])


async def verified_phone_number(
    session: AsyncSession, settings: Settings, app_id: str, code: str
) -> str:
    """The number WeChat verified behind a ``getPhoneNumber`` code. A token WeChat
    refuses is refreshed once (another worker may have replaced it). Raises
    ``client.WechatInvalidCode`` for a bad code, ``client.WechatUnavailable`` otherwise."""
    if app_id not in settings.wechat_apps:
        raise UnknownApp()
    stale: str | None = None
    for _ in range(2):
        token = await tokens.current(session, settings, app_id, stale=stale)
        try:
            return await phone.get_phone_number(
                settings.wechat_base_url,
                access_token=token,
                code=code,
                timeout_seconds=settings.wechat_timeout_seconds,
            )
        except phone.WechatStaleToken:
            stale = token
    raise WechatUnavailable(None, "access token refused twice")
