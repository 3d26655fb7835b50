"""Use cases of notifications: filling inboxes from relayed events (by the rules in
``notification_rule``), and reading one's own inbox. Flush, never commit."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.integrations.models import OutboxEvent
from app.integrations.relay import service as relay_service
from app.kit.i18n import Lang
from app.kit.pagination import BY_ID, paginate
from app.notifications import recipients, repository, rules
from app.notifications.errors import NoInbox, NotificationNotFound
from app.notifications.models import Notification, NotificationRule
from app.notifications.schemas import MarkedRead, NotificationPage, NotificationRead, UnreadCount

CONSUMER = "notification"


async def fan_out(session: AsyncSession, batch: Sequence[OutboxEvent]) -> int:
    """A relay consumer: one notification per event and account a rule names, at most
    one per event and account whatever the number of rules naming it, and never to
    the account that took the step itself."""
    by_type: dict[str, list[NotificationRule]] = {}
    for rule in await repository.active_rules(session, {e.event_type for e in batch}):
        by_type.setdefault(rule.event_type, []).append(rule)
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for event in batch:
        actor = event.payload.get("actor_user_id")
        for rule in by_type.get(event.event_type, ()):
            resolve = recipients.RESOLVERS.get(rule.recipient)
            if resolve is None:
                continue
            for recipient in await resolve(session, event):
                key = (recipient.user_id, event.id)
                if recipient.user_id != actor and key not in rows:
                    rows[key] = _row(event, rule, recipient)
    made = await repository.add(session, list(rows.values()))
    await relay_service.count(session, CONSUMER, Counter(created=made))
    return made


def _row(
    event: OutboxEvent, rule: NotificationRule, recipient: recipients.Recipient
) -> dict[str, Any]:
    context = {**event.payload, **recipient.extra}
    return {
        "user_id": recipient.user_id,
        "event_id": event.id,
        "event_type": event.event_type,
        "recipient": rule.recipient,
        "subject_type": event.aggregate_type,
        "subject_id": event.aggregate_id,
        "title_zh": rules.fill(rule.title_zh, context, limit=100),
        "title_en": rules.fill(rule.title_en, context, limit=100),
        "body_zh": rules.fill(rule.body_zh, context, limit=300),
        "body_en": rules.fill(rule.body_en, context, limit=300),
        "data": rules.links(event.payload),
    }


# ---------------------------------------------------------------- the inbox


def _owner(principal: Principal) -> int:
    if principal.user_id is None:
        raise NoInbox()
    return principal.user_id


def _present(notification: Notification, lang: Lang) -> NotificationRead:
    english = lang == "en"
    return NotificationRead(
        id=notification.id,
        event_type=notification.event_type,
        reason=notification.recipient,
        title=notification.title_en if english else notification.title_zh,
        body=notification.body_en if english else notification.body_zh,
        subject_type=notification.subject_type,
        subject_id=notification.subject_id,
        data=notification.data,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    unread: bool,
    cursor: str | None,
    limit: int,
    lang: Lang,
) -> NotificationPage:
    """The caller's inbox, newest first."""
    user_id = _owner(principal)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda before, n: repository.page(
            session, user_id, unread=unread, before_id=before, limit=n
        ),
        key=lambda row: row.id,
    )
    return NotificationPage(items=[_present(row, lang) for row in rows], next_cursor=next_cursor)


async def count_unread(session: AsyncSession, principal: Principal) -> UnreadCount:
    return UnreadCount(unread=await repository.unread_count(session, _owner(principal)))


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: int, *, lang: Lang
) -> NotificationRead:
    found = await repository.mark_read(session, _owner(principal), notification_id)
    if found is None:
        raise NotificationNotFound()
    return _present(found, lang)


async def mark_all_read(session: AsyncSession, principal: Principal) -> MarkedRead:
    return MarkedRead(marked=await repository.mark_all_read(session, _owner(principal)))
