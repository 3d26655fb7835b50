"""The audit log (审计日志): who did what, when, from where, with what outcome."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEventRead, AuditQuery
from app.authz.deps import require
from app.authz.permissions import AUDIT_READ
from app.authz.principal import Principal
from app.db.session import DbSession
from app.kit.pagination import Page
from app.kit.schemas import problem_responses
from app.kit.types import IdParam

router = APIRouter(prefix="/audit-log", tags=["audit-log"], responses=problem_responses(401, 403))

Auditor = Annotated[Principal, require(AUDIT_READ)]


@router.get("", response_model=Page[AuditEventRead], responses=problem_responses(400))
async def list_audit_events(
    session: DbSession, principal: Auditor, query: Annotated[AuditQuery, Query()]
) -> Page[AuditEventRead]:
    """Every write and every sign-in within the caller's `audit.read` scope, newest
    first. Append-only: the database refuses updates and deletes."""
    return await service.list_events(session, principal, query)


@router.get("/{event_id}", response_model=AuditEventRead, responses=problem_responses(404))
async def read_audit_event(
    session: DbSession, principal: Auditor, event_id: IdParam
) -> AuditEventRead:
    return await service.read_event(session, principal, event_id)
