"""``/api/v1/me/wechat-subscriptions``: the templates a resident agreed to receive as
WeChat subscribe messages (订阅消息), recorded from the mini-program."""

from typing import Annotated

from fastapi import APIRouter, Request

from app.authz.deps import any_account
from app.authz.principal import Principal
from app.config import Settings
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.integrations.wechat import service
from app.integrations.wechat.schemas import SubscriptionList, SubscriptionsIn
from app.kit.schemas import problem_responses

Own = Annotated[Principal, any_account("the caller's own WeChat subscriptions")]

router = APIRouter(
    prefix="/me/wechat-subscriptions",
    tags=["wechat"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)


@router.post(
    "",
    status_code=201,
    dependencies=[Idempotent],
    summary="Record subscribe-message consent · 记录订阅消息授权",
)
async def record_wechat_subscriptions(
    body: SubscriptionsIn, request: Request, principal: Own, session: DbSession
) -> SubscriptionList:
    """Send what ``wx.requestSubscribeMessage`` returned. Each ``accept`` allows one
    message of that template (one-time subscription): when the event it is bound to
    happens (``REDGRID_WECHAT_TEMPLATES``), the relay spends it and sends the message.
    The account must have signed in through that mini-program (its openid); retry
    with the same ``Idempotency-Key`` to count an accept once."""
    settings: Settings = request.app.state.settings
    return await service.record_subscriptions(session, principal, body, settings)


@router.get("", summary="My subscribe-message consents · 我的订阅消息授权")
async def list_wechat_subscriptions(principal: Own, session: DbSession) -> SubscriptionList:
    return await service.list_subscriptions(session, principal)
