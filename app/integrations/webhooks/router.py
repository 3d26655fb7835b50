"""``/api/v1/webhooks``: subscribe endpoints to events of one's scope (Standard Webhooks).

Creating POSTs take an ``Idempotency-Key``; updates and deletes an ``If-Match``.
Everything needs ``webhooks.manage``; subscriptions outside its scope answer 404.
"""

from fastapi import APIRouter, Request, Response

from app.authz.deps import CurrentPrincipal, require
from app.authz.permissions import WEBHOOKS_MANAGE
from app.config import Settings
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.integrations.webhooks import service
from app.integrations.webhooks.schemas import (
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from app.kit.http import ETAG_HEADER, IfMatchRequired, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import IdParam

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    dependencies=[require(WEBHOOKS_MANAGE)],
    responses=problem_responses(401, 403, 404),
    route_class=IdempotentRoute,
)

_ETAG = {"headers": ETAG_HEADER}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "",
    status_code=201,
    dependencies=[Idempotent],
    responses={201: _ETAG},
    summary="Subscribe an endpoint · 订阅事件",
)
async def create_webhook(
    body: WebhookCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> WebhookRead:
    """The caller owns the subscription: it hears the events inside ``org_unit_id``'s
    subtree that the caller may read (``orders.read``, ``points.read``), with personal
    data masked where the caller lacks ``pii``. The URL must be https and resolve to
    public addresses only (422 ``webhook.unsafe_url``). Fetch the signing secret with
    ``GET /webhooks/{id}/secret``."""
    created = await service.create_webhook(session, principal, body, _settings(request))
    set_location(request, response, "get_webhook", subscription_id=created.id)
    return tagged(response, created)


@router.get("", responses=problem_responses(400), summary="List subscriptions · 订阅列表")
async def list_webhooks(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> WebhookPage:
    """Subscriptions at nodes where the caller holds ``webhooks.manage``, oldest first."""
    return await service.list_webhooks(session, principal, cursor=cursor, limit=limit)


@router.get("/{subscription_id}", responses={200: _ETAG}, summary="Read a subscription · 订阅详情")
async def get_webhook(
    subscription_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> WebhookRead:
    return tagged(response, await service.get_webhook(session, principal, subscription_id))


@router.patch(
    "/{subscription_id}",
    responses={**problem_responses(412, 428), 200: _ETAG},
    summary="Change a subscription · 修改订阅",
)
async def update_webhook(
    subscription_id: IdParam,
    body: WebhookUpdate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> WebhookRead:
    """URL (checked again), event types, description; ``is_active`` pauses the endpoint
    or re-enables one that was disabled for failing."""
    updated = await service.update_webhook(
        session, principal, subscription_id, body, if_match=if_match, settings=_settings(request)
    )
    return tagged(response, updated)


@router.delete(
    "/{subscription_id}",
    status_code=204,
    responses=problem_responses(412, 428),
    summary="Delete a subscription · 删除订阅",
)
async def delete_webhook(
    subscription_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> Response:
    """Its waiting deliveries and delivery log go with it."""
    await service.delete_webhook(session, principal, subscription_id, if_match=if_match)
    return Response(status_code=204)


@router.get("/{subscription_id}/secret", summary="Read the signing secret · 签名密钥")
async def get_webhook_secret(
    subscription_id: IdParam, request: Request, principal: CurrentPrincipal, session: DbSession
) -> WebhookSecret:
    """The ``whsec_`` secret receivers verify signatures with (Standard Webhooks).
    Reading it is audited."""
    return await service.reveal_secret(session, principal, subscription_id, _settings(request))


@router.post(
    "/{subscription_id}/rotate-secret",
    dependencies=[Idempotent],
    responses={200: _ETAG},
    summary="Rotate the signing secret · 轮换密钥",
)
async def rotate_webhook_secret(
    subscription_id: IdParam,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> WebhookRead:
    """A new secret signs from now on; the old one also signs for
    ``webhook_secret_overlap_hours`` (24 by default), so receivers switch without a gap."""
    rotated = await service.rotate_secret(session, principal, subscription_id, _settings(request))
    return tagged(response, rotated)


@router.post(
    "/{subscription_id}/ping",
    status_code=202,
    dependencies=[Idempotent],
    summary="Send a test ping · 测试推送",
)
async def ping_webhook(
    subscription_id: IdParam,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DeliveryRead:
    """Queues a signed ``webhook.ping``; its attempts show in the delivery log
    (``Location``)."""
    queued = await service.ping(session, principal, subscription_id)
    _locate(request, response, queued)
    return queued


@router.get(
    "/{subscription_id}/deliveries",
    responses=problem_responses(400),
    summary="Delivery log · 投递记录",
)
async def list_webhook_deliveries(
    subscription_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    status: DeliveryStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> DeliveryPage:
    """Newest first; each delivery is one event for this endpoint."""
    return await service.list_deliveries(
        session, principal, subscription_id, status=status, cursor=cursor, limit=limit
    )


@router.get(
    "/{subscription_id}/deliveries/{delivery_id}",
    summary="A delivery with its attempts · 投递详情",
)
async def get_webhook_delivery(
    subscription_id: IdParam, delivery_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> DeliveryDetail:
    """The body sent and every attempt: time, status code, latency, response excerpt."""
    return await service.get_delivery(session, principal, subscription_id, delivery_id)


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    dependencies=[Idempotent],
    responses=problem_responses(409),
    summary="Redeliver · 重新投递",
)
async def redeliver_webhook_delivery(
    subscription_id: IdParam,
    delivery_id: IdParam,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DeliveryRead:
    """Sends a finished delivery again (same ``webhook-id`` and body) as a new delivery
    with a fresh retry schedule; 409 ``webhook.delivery_pending`` while it still waits."""
    queued = await service.redeliver(session, principal, subscription_id, delivery_id)
    _locate(request, response, queued)
    return queued


def _locate(request: Request, response: Response, delivery: DeliveryRead) -> None:
    set_location(
        request,
        response,
        "get_webhook_delivery",
        subscription_id=delivery.subscription_id,
        delivery_id=delivery.id,
    )
