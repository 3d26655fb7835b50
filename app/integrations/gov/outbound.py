"""The worker side of step reports (办理情况回传 to 12345): turning relayed order events
into reports, and sending the reports that are due. Flush, never commit (the tasks own
the transactions).

A platform hears the steps of the ``gov_api`` orders inside its client's node that the
client may read there (``orders.read``). Each report is a JSON POST to the client's
``report_url``, signed with the client's own signing key and algorithm in the canonical
form of incoming signed requests (``app.kit.signing``), so the platform verifies it with
the code it signs with. Failures are retried on the webhook schedule
(``webhook_retry_schedule_seconds``, ±20 % jitter) and each report keeps its last
outcome; like webhooks, a report is sent while its row is locked and recorded in the
same transaction (at least once, de-duplicated by ``X-Redgrid-Report-Id``).
"""

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.authz import principals
from app.authz.permissions import ORDERS_READ
from app.authz.principal import Principal
from app.config import Settings
from app.integrations import events
from app.integrations.gov import repository
from app.integrations.gov.models import GovReport
from app.integrations.models import OutboxEvent
from app.integrations.webhooks import rules, sender
from app.kit import signing

CONSUMER = "gov_report"
REPORT_ID_HEADER = "X-Redgrid-Report-Id"
NO_KEY = "no_key"


def report_id(event_id: int) -> str:
    return f"rpt_{event_id}"


# ---------------------------------------------------------------- relay consumer


async def fan_out(session: AsyncSession, batch: Sequence[OutboxEvent]) -> int:
    """One report per order event of a ``gov_api`` order and platform that covers it."""
    order_events = [e for e in batch if e.aggregate_type == "order" and e.aggregate_id.isdigit()]
    if not order_events:
        return 0
    clients = await repository.platforms(session)
    if not clients:
        return 0
    orders = await repository.gov_orders(session, (int(e.aggregate_id) for e in order_events))
    if not orders:
        return 0
    readers: list[tuple[ApiClient, Principal]] = []
    for client in clients:
        principal = await principals.load(session, f"client:{client.client_id}")
        if principal is not None:
            readers.append((client, principal))
    rows: list[dict[str, Any]] = []
    for event in order_events:
        order_id = int(event.aggregate_id)
        place = events.place_of(event)
        if order_id not in orders or place is None:
            continue
        for client, principal in readers:
            if principal.scope(ORDERS_READ).covers(place):
                rows.append(
                    {
                        "api_client_id": client.id,
                        "order_id": order_id,
                        "event_id": event.id,
                        "event_type": event.event_type,
                        "body": render(event, orders[order_id]),
                    }
                )
    await repository.add_reports(session, rows)
    return len(rows)


def render(event: OutboxEvent, case_number: str | None) -> str:
    """The report: which case (the platform's own number), which step, the status it
    left the order in, and when. No personal data: the platform filed the case."""
    payload = event.payload
    message = {
        "report_id": report_id(event.id),
        "type": event.event_type,
        "case_number": case_number,
        "order_number": payload.get("number"),
        "step": payload.get("step"),
        "from_status": payload.get("from_status"),
        "status": payload.get("status"),
        "occurred_at": payload.get("occurred_at") or event.occurred_at.isoformat(),
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Sent:
    reports: int
    succeeded: int


async def deliver_due(
    session: AsyncSession, settings: Settings, clients: sender.Clients, *, limit: int
) -> Sent:
    """Sends up to ``limit`` due reports at once and records what happened."""
    due = [(row[0], row[1]) for row in await repository.claim_due(session, limit)]
    if not due:
        return Sent(0, 0)
    results = await asyncio.gather(*(_send(settings, clients, r, c) for r, c in due))
    schedule = settings.webhook_retry_schedule_seconds
    for (report, _), result in zip(due, results, strict=True):
        _advance(report, result, schedule)
    await session.flush()
    return Sent(len(due), sum(1 for result in results if result.ok))


async def _send(
    settings: Settings, clients: sender.Clients, report: GovReport, client: ApiClient
) -> sender.AttemptResult:
    if client.signing_secret is None or client.signing_algorithm is None or not client.report_url:
        # The key or URL was withdrawn after the report was made: wait for a new one.
        return sender.AttemptResult(datetime.now(UTC), NO_KEY, 0, error="no signing key or URL")
    body = report.body.encode()
    headers = signing.signed_headers(
        client.signing_algorithm,
        client.client_id,
        client.signing_secret,
        "POST",
        client.report_url,
        body,
        timestamp=int(datetime.now(UTC).timestamp()),
    )
    headers[REPORT_ID_HEADER] = report_id(report.event_id)
    return await sender.send(
        clients,
        client.report_url,
        report.body,
        headers,
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private_urls,
    )


def _advance(report: GovReport, result: sender.AttemptResult, schedule: Sequence[float]) -> None:
    report.attempts += 1
    report.last_attempt_at = result.attempted_at
    report.last_outcome = result.outcome
    report.last_status_code = result.status_code
    report.last_response_excerpt = result.response_excerpt
    report.last_error = result.error
    if result.ok:
        report.status = "succeeded"
        report.finished_at = result.attempted_at
        return
    delay = rules.retry_delay(report.attempts, schedule, random.uniform(-1.0, 1.0))
    if delay is None:
        report.status = "failed"
        report.finished_at = result.attempted_at
    else:
        report.next_attempt_at = result.attempted_at + timedelta(seconds=delay)


async def next_due(session: AsyncSession) -> datetime | None:
    return await repository.next_due(session)


async def reports_of_order(session: AsyncSession, order_id: int) -> Sequence[GovReport]:
    return await repository.reports_of_order(session, order_id)


async def purge_finished(session: AsyncSession, retention_days: int, *, limit: int) -> int:
    """Reports that succeeded or failed more than ``retention_days`` ago."""
    before = datetime.now(UTC) - timedelta(days=retention_days)
    return await repository.purge_finished(session, before, limit=limit)
