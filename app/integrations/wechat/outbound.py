"""The worker side of subscribe messages: turning relayed events into messages for the
residents who subscribed (one credit spent per message), and sending the due ones.
Flush, never commit (the tasks own the transactions)."""

import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.integrations.models import OutboxEvent
from app.integrations.relay import service as relay_service
from app.integrations.wechat import messages, repository, rules
from app.integrations.wechat.messages import Verdict
from app.integrations.wechat.models import WechatMessage

CONSUMER = "wechat"
JITTER = 0.2


def people_of(event: OutboxEvent) -> set[int]:
    """Whom an event is news for, by person: an order's resident, a member credited
    with points, the member who redeemed."""
    payload = event.payload
    found: set[Any] = {payload.get("resident_person_id")}
    if event.event_type.startswith("points."):
        found.add(payload.get("person_id"))
        for leg in payload.get("legs") or []:
            if isinstance(leg, dict) and leg.get("account_kind") == "member":
                found.add(leg.get("person_id"))
    return {p for p in found if isinstance(p, int) and not isinstance(p, bool)}


async def make_messages(
    session: AsyncSession, settings: Settings, batch: Sequence[OutboxEvent]
) -> int:
    """One message per event, mini-program and subscribed account: only where the
    mini-program has a template for the event type (``wechat_templates``) and the
    account still holds a one-time subscription to it (spent here)."""
    rows: list[dict[str, Any]] = []
    for event in batch:
        for app_id, templates in sorted(settings.wechat_templates.items()):
            template = templates.get(event.event_type)
            people = people_of(event) if template is not None else set()
            if template is None or not people:
                continue
            values = rules.context(event.payload, event.occurred_at)
            for user_id, openid in await repository.recipients(session, people, app_id):
                if not await repository.spend_credit(
                    session, user_id, app_id, template.template_id
                ):
                    continue
                rows.append(
                    {
                        "user_id": user_id,
                        "app_id": app_id,
                        "openid": openid,
                        "template_id": template.template_id,
                        "event_id": event.id,
                        "event_type": event.event_type,
                        "page": rules.page(template, values),
                        "data": rules.data(template, values),
                    }
                )
    await repository.add_messages(session, rows)
    return len(rows)


# ---------------------------------------------------------------- sending


@dataclass
class Sent:
    messages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    stale: set[str] = field(default_factory=set)
    """Apps whose token WeChat rejected: refresh, and their messages go again at once."""


async def apps_with_due(session: AsyncSession, *, skip: Collection[str]) -> list[str]:
    return await repository.apps_with_due(session, skip=skip)


async def postpone(session: AsyncSession, app_id: str, seconds: float) -> None:
    await repository.postpone(session, app_id, datetime.now(UTC) + timedelta(seconds=seconds))


async def send_due(
    session: AsyncSession,
    settings: Settings,
    tokens: Mapping[str, str],
    *,
    refreshed: set[int],
    limit: int,
) -> Sent:
    """Sends due messages of the apps in ``tokens``, one by one (WeChat limits rates),
    and records each answer. A message refused for its token goes again right after
    the refresh, once (``refreshed`` remembers it); a second time it waits its turn."""
    done = Sent()
    for message in await repository.claim_due(session, tokens, limit=limit):
        answer = await messages.send(
            settings.wechat_base_url,
            tokens[message.app_id],
            _body(message),
            timeout_seconds=settings.wechat_timeout_seconds,
        )
        verdict = answer.verdict
        if verdict is Verdict.token and message.id not in refreshed:
            refreshed.add(message.id)
            done.stale.add(message.app_id)
            done.outcomes["token_refresh"] += 1
        else:
            _record(message, answer, settings.wechat_send_retry_schedule_seconds)
            done.outcomes[message.status if message.status != "pending" else "retried"] += 1
        done.messages += 1
    await session.flush()
    await relay_service.count(session, CONSUMER, done.outcomes)
    return done


def _body(message: WechatMessage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "touser": message.openid,
        "template_id": message.template_id,
        "data": message.data,
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    }
    if message.page:
        body["page"] = message.page
    return body


def _record(message: WechatMessage, answer: messages.Answer, schedule: Sequence[float]) -> None:
    now = datetime.now(UTC)
    message.attempts += 1
    message.last_errcode = answer.errcode
    message.last_errmsg = answer.errmsg[:200] or None
    verdict = answer.verdict
    if verdict in (Verdict.sent, Verdict.refused, Verdict.failed):
        message.status = verdict.value
        message.finished_at = now
        return
    if message.attempts > len(schedule):
        message.status = "failed"
        message.finished_at = now
        return
    delay = schedule[message.attempts - 1] * (1 + JITTER * random.uniform(-1.0, 1.0))
    message.next_attempt_at = now + timedelta(seconds=delay)


async def next_due(session: AsyncSession) -> datetime | None:
    return await repository.next_due(session)


async def pending_count(session: AsyncSession) -> int:
    return await repository.pending_count(session)
