"""``/api/v1/notifications``: one's own inbox (站内通知), fed by the event relay."""

from typing import Annotated

from fastapi import APIRouter, Header, Query

from app.authz.deps import any_account
from app.authz.principal import Principal
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.i18n import negotiate_language
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import BoolParam, IdParam, Line
from app.notifications import service
from app.notifications.schemas import MarkedRead, NotificationPage, NotificationRead, UnreadCount

Own = Annotated[Principal, any_account("the caller's own inbox")]

router = APIRouter(
    prefix="/notifications",
    tags=["notifications"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

AcceptLanguage = Annotated[
    Line | None, Header(max_length=200, description="`en` for English titles and bodies")
]


@router.get("", responses=problem_responses(400), summary="My notifications · 我的通知")
async def list_notifications(
    principal: Own,
    session: DbSession,
    unread: Annotated[BoolParam, Query(description="Only those not read yet")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
    accept_language: AcceptLanguage = None,
) -> NotificationPage:
    """Newest first. Fed by the relay: an order of yours moving, an order dispatched to
    you, work in your pool, an escalation to you, points arriving, a reward to pick up
    (who hears what is the ``notification_rule`` table)."""
    return await service.list_notifications(
        session,
        principal,
        unread=unread,
        cursor=cursor,
        limit=limit,
        lang=negotiate_language(accept_language),
    )


@router.get("/unread-count", summary="How many unread · 未读数")
async def count_unread_notifications(principal: Own, session: DbSession) -> UnreadCount:
    return await service.count_unread(session, principal)


@router.post(
    "/{notification_id}/read",
    dependencies=[Idempotent],
    responses=problem_responses(404),
    summary="Mark read · 标为已读",
)
async def mark_notification_read(
    notification_id: IdParam,
    principal: Own,
    session: DbSession,
    accept_language: AcceptLanguage = None,
) -> NotificationRead:
    """Reading twice keeps the first time. Another account's notification is 404."""
    return await service.mark_read(
        session, principal, notification_id, lang=negotiate_language(accept_language)
    )


@router.post("/read-all", dependencies=[Idempotent], summary="Mark all read · 全部已读")
async def mark_all_notifications_read(principal: Own, session: DbSession) -> MarkedRead:
    return await service.mark_all_read(session, principal)
