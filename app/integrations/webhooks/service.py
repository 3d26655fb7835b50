"""Use cases of ``/webhooks``: subscriptions, their secrets, the delivery log,
redelivery and a test ping. Every write is audited. Flush, never commit."""

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import WEBHOOKS_MANAGE
from app.authz.principal import Principal
from app.config import Settings
from app.db.base import ANCESTOR_COLUMNS
from app.hierarchy import service as hierarchy_service
from app.integrations.webhooks import repository, rules, signing, targets
from app.integrations.webhooks.errors import (
    ArchivedUnit,
    DeliveryNotFound,
    DeliveryPending,
    UnsafeUrl,
    WebhookNotFound,
)
from app.integrations.webhooks.models import WebhookDelivery, WebhookSubscription
from app.integrations.webhooks.schemas import (
    AttemptRead,
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
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate

PING_EVENT = "webhook.ping"

_UNSAFE_DETAILS = {
    "malformed": ("接收地址格式无效", "The receiver URL is malformed"),
    "scheme": ("接收地址须使用 https", "The receiver URL must use https"),
    "credentials": ("接收地址不能包含用户名或密码", "The receiver URL must not carry credentials"),
    "host": ("接收地址缺少有效的主机名", "The receiver URL has no valid host"),
    "unresolvable": ("接收地址的域名无法解析", "The receiver URL's host does not resolve"),
    "private_address": (
        "接收地址解析到内网、回环或链路本地地址",
        "The receiver URL resolves to a private, loopback or link-local address",
    ),
}


async def _check_url(url: str, settings: Settings) -> None:
    try:
        await targets.resolve(url, allow_private=settings.webhook_allow_private_urls)
    except targets.UnsafeUrl as unsafe:
        zh, en = _UNSAFE_DETAILS.get(unsafe.reason, (None, None))
        raise UnsafeUrl(zh, en, reason=unsafe.reason) from None


async def _find(
    session: AsyncSession, principal: Principal, subscription_id: int, *, lock: bool = False
) -> WebhookSubscription:
    visible = principal.scope(WEBHOOKS_MANAGE).clause(WebhookSubscription)
    found = await repository.get_subscription(session, subscription_id, visible, lock=lock)
    if found is None:
        raise WebhookNotFound()
    return found


async def _audit(
    session: AsyncSession, principal: Principal, action: str, sub: WebhookSubscription, summary: str
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=summary,
        target_type="webhook_subscription",
        target_id=sub.id,
        place=sub,
    )


# ---------------------------------------------------------------- subscriptions


async def create_webhook(
    session: AsyncSession, principal: Principal, body: WebhookCreate, settings: Settings
) -> WebhookRead:
    """The caller becomes the owner: the endpoint hears what the caller may read."""
    unit = await hierarchy_service.find(session, principal.scope(WEBHOOKS_MANAGE), body.org_unit_id)
    if unit.is_archived:
        raise ArchivedUnit()
    await _check_url(body.url, settings)
    box = signing.SecretBox(settings.pii_key)
    sub = WebhookSubscription(
        org_unit_id=unit.id,
        owner_subject=principal.subject,
        url=body.url,
        event_types=sorted(set(body.event_types)),
        description=body.description,
        secret=box.seal(signing.new_secret()),
        **{column: getattr(unit, column) for column in ANCESTOR_COLUMNS},
    )
    await repository.add_subscription(session, sub)
    summary = f"subscribed {_host(sub.url)} to {', '.join(sub.event_types)}"
    await _audit(session, principal, "webhook.create", sub, summary)
    return WebhookRead.model_validate(sub)


def _host(url: str) -> str:
    """The URL's host, for audit summaries (paths may carry tokens)."""
    try:
        return targets.check_syntax(url, allow_private=True)[1]
    except targets.UnsafeUrl:
        return "?"


async def list_webhooks(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> WebhookPage:
    visible = principal.scope(WEBHOOKS_MANAGE).clause(WebhookSubscription)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.list_subscriptions(session, visible, after_id=after, limit=n),
        key=lambda row: row.id,
    )
    return WebhookPage(items=[WebhookRead.model_validate(r) for r in rows], next_cursor=next_cursor)


async def get_webhook(
    session: AsyncSession, principal: Principal, subscription_id: int
) -> WebhookRead:
    return WebhookRead.model_validate(await _find(session, principal, subscription_id))


async def update_webhook(
    session: AsyncSession,
    principal: Principal,
    subscription_id: int,
    body: WebhookUpdate,
    *,
    if_match: str | None,
    settings: Settings,
) -> WebhookRead:
    sub = await _find(session, principal, subscription_id, lock=True)
    check_version(if_match, sub.version)
    # ``null`` clears the description; for the other fields it changes nothing.
    changes = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None or name == "description"
    }
    if "url" in changes:
        await _check_url(changes["url"], settings)
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    if changes.get("is_active") is True and not sub.is_active:
        changes |= {"disabled_reason": None, "disabled_at": None, "failing_since": None}
    elif changes.get("is_active") is False and sub.is_active:
        changes |= {"disabled_reason": "manual", "disabled_at": datetime.now(UTC)}
    for name, value in changes.items():
        setattr(sub, name, value)
    sub.version += 1
    await session.flush()
    await session.refresh(sub)
    summary = f"changed {', '.join(sorted(body.model_fields_set)) or 'nothing'}"
    await _audit(session, principal, "webhook.update", sub, summary)
    return WebhookRead.model_validate(sub)


async def delete_webhook(
    session: AsyncSession, principal: Principal, subscription_id: int, *, if_match: str | None
) -> None:
    """The subscription goes, with its waiting deliveries and their log."""
    sub = await _find(session, principal, subscription_id, lock=True)
    check_version(if_match, sub.version)
    summary = f"deleted the subscription of {_host(sub.url)}"
    await _audit(session, principal, "webhook.delete", sub, summary)
    await repository.delete_subscription(session, sub)


# ---------------------------------------------------------------- secrets


async def reveal_secret(
    session: AsyncSession, principal: Principal, subscription_id: int, settings: Settings
) -> WebhookSecret:
    sub = await _find(session, principal, subscription_id)
    await _audit(session, principal, "webhook.secret_read", sub, "read the signing secret")
    return WebhookSecret(
        secret=signing.SecretBox(settings.pii_key).open(sub.secret),
        previous_secret_expires_at=_live_previous(sub),
    )


def _live_previous(sub: WebhookSubscription) -> datetime | None:
    expires = sub.previous_secret_expires_at
    return expires if expires is not None and expires > datetime.now(UTC) else None


async def rotate_secret(
    session: AsyncSession, principal: Principal, subscription_id: int, settings: Settings
) -> WebhookRead:
    """A new secret signs from now on; the old one keeps signing too for
    ``webhook_secret_overlap_hours``, so the receiver can switch without a gap."""
    sub = await _find(session, principal, subscription_id, lock=True)
    box = signing.SecretBox(settings.pii_key)
    sub.previous_secret = sub.secret
    sub.previous_secret_expires_at = datetime.now(UTC) + timedelta(
        hours=settings.webhook_secret_overlap_hours
    )
    sub.secret = box.seal(signing.new_secret())
    sub.version += 1
    await session.flush()
    await session.refresh(sub)
    await _audit(session, principal, "webhook.secret_rotate", sub, "rotated the signing secret")
    return WebhookRead.model_validate(sub)


# ---------------------------------------------------------------- deliveries


def _present(delivery: WebhookDelivery) -> DeliveryRead:
    read = DeliveryRead.model_validate(delivery)
    if read.status is not DeliveryStatus.pending:
        read.next_attempt_at = None
    return read


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: int,
    *,
    status: DeliveryStatus | None,
    cursor: str | None,
    limit: int,
) -> DeliveryPage:
    """Newest first."""
    await _find(session, principal, subscription_id)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda before, n: repository.list_deliveries(
            session,
            subscription_id,
            status=status.value if status else None,
            before_id=before,
            limit=n,
        ),
        key=lambda row: row.id,
    )
    return DeliveryPage(items=[_present(row) for row in rows], next_cursor=next_cursor)


async def get_delivery(
    session: AsyncSession, principal: Principal, subscription_id: int, delivery_id: int
) -> DeliveryDetail:
    await _find(session, principal, subscription_id)
    delivery = await repository.get_delivery(session, subscription_id, delivery_id)
    if delivery is None:
        raise DeliveryNotFound()
    attempts = await repository.attempts_of(session, delivery.id)
    return DeliveryDetail(
        **_present(delivery).model_dump(),
        payload=json.loads(delivery.body),
        attempt_log=[AttemptRead.model_validate(a) for a in attempts],
    )


async def redeliver(
    session: AsyncSession, principal: Principal, subscription_id: int, delivery_id: int
) -> DeliveryRead:
    """Sends a finished delivery again, as a new delivery with the same ``webhook-id``
    and body, through the whole retry schedule."""
    sub = await _find(session, principal, subscription_id)
    original = await repository.get_delivery(session, subscription_id, delivery_id)
    if original is None:
        raise DeliveryNotFound()
    if original.status == "pending":
        raise DeliveryPending()
    again = await repository.add_delivery(
        session,
        WebhookDelivery(
            subscription_id=sub.id,
            event_id=original.event_id,
            event_type=original.event_type,
            message_id=original.message_id,
            ordering_key=original.ordering_key,
            body=original.body,
        ),
    )
    await _audit(session, principal, "webhook.redeliver", sub, f"redelivered {original.message_id}")
    return _present(again)


async def ping(session: AsyncSession, principal: Principal, subscription_id: int) -> DeliveryRead:
    """Queues a signed ``webhook.ping`` to the endpoint (even a disabled one is not
    pinged: enable it first); its attempts show in the delivery log."""
    sub = await _find(session, principal, subscription_id)
    token = uuid4().hex
    now = datetime.now(UTC)
    delivery = await repository.add_delivery(
        session,
        WebhookDelivery(
            subscription_id=sub.id,
            event_id=0,
            event_type=PING_EVENT,
            message_id=f"msg_ping_{token}",
            ordering_key=f"ping:{token}",
            body=rules.render(
                PING_EVENT, now, {"subscription_id": sub.id, "url": sub.url}, pii=True
            ),
        ),
    )
    await _audit(session, principal, "webhook.ping", sub, f"pinged {_host(sub.url)}")
    return _present(delivery)
