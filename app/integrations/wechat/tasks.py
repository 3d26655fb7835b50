"""The subscribe-message sender: ``wechat.send`` gets each mini-program's token (shared
by every worker), sends the due messages, refreshes a token WeChat rejected and sends
those messages again at once; then it schedules itself for the next retry. It is woken
when messages are inserted (``wechat_message`` NOTIFYs ``redgrid_wechat``), at retry
times and by the minute sweep."""

import logging
from datetime import UTC, datetime

import procrastinate

from app.config import get_settings
from app.integrations.wechat import outbound, tokens
from app.integrations.wechat.client import WechatUnavailable
from app.queue import job_sessions, queue, wake

logger = logging.getLogger(__name__)

SEND_TASK = "wechat.send"
CHANNEL = "redgrid_wechat"
"""NOTIFYed by a statement trigger on ``wechat_message`` inserts."""
BATCH = 20
TOKEN_RETRY_SECONDS = 60.0


@queue.task(name=SEND_TASK, queue="wechat", pass_context=True)
async def send(context: procrastinate.JobContext) -> int:
    settings = get_settings()
    held: dict[str, str] = {}
    unavailable: set[str] = set()
    refreshed: set[int] = set()
    sent = 0
    async with job_sessions(context) as sessions:
        while True:
            async with sessions() as session, session.begin():
                apps = await outbound.apps_with_due(session, skip=unavailable)
            for app_id in apps:
                if app_id in held:
                    continue
                try:
                    async with sessions() as session, session.begin():
                        held[app_id] = await tokens.current(session, settings, app_id)
                except WechatUnavailable as exc:
                    # No token: this app's messages wait a minute, the others go on.
                    logger.warning(
                        "wechat token unavailable", extra={"app_id": app_id, "errcode": exc.errcode}
                    )
                    unavailable.add(app_id)
                    async with sessions() as session, session.begin():
                        await outbound.postpone(session, app_id, TOKEN_RETRY_SECONDS)
            usable = {app_id: token for app_id, token in held.items() if app_id in apps}
            if not usable:
                break
            async with sessions() as session, session.begin():
                done = await outbound.send_due(
                    session, settings, usable, refreshed=refreshed, limit=BATCH
                )
            sent += done.messages
            for app_id in sorted(done.stale):
                held.pop(app_id, None)
                try:
                    async with sessions() as session, session.begin():
                        held[app_id] = await tokens.current(
                            session, settings, app_id, stale=usable[app_id]
                        )
                except WechatUnavailable:
                    unavailable.add(app_id)
            if done.messages == 0:
                break
        async with sessions() as session, session.begin():
            due = await outbound.next_due(session)
    if due is not None and due > datetime.now(UTC):
        await wake(context.app, SEND_TASK, at=due)
    return sent
