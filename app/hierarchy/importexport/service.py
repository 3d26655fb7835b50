"""Use cases of bulk import and export (批量导入导出). Services flush, never commit.

Import is all or nothing: the file is read once to check every row (in a worker
thread, so the event loop stays free), the database is asked about existing codes
and parents, and only when nothing is wrong are ids allocated in one query and the
rows written with one COPY on the request's own transaction.
"""

import tempfile
from typing import IO

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORG_IMPORT, ORG_READ, PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.hierarchy import importexport, repository
from app.hierarchy.errors import ImportInvalid
from app.hierarchy.importexport.formats import ExportWriter, FileFormat, RawRow
from app.hierarchy.importexport.plan import ExistingParent
from app.hierarchy.models import OrgUnit
from app.hierarchy.schemas import ImportResult, LevelCounts
from app.hierarchy.service import LEVEL_NAMES_ZH, chain_of, find
from app.kit.masking import mask_mobile


async def _existing_parents(
    session: AsyncSession, principal: Principal, codes: list[str]
) -> tuple[dict[str, ExistingParent], OrgUnit | None]:
    """Parents the file names but does not define: they must be in the caller's
    ``org.import`` scope, and are locked like any parent of a new node."""
    found = await repository.by_codes(session, codes, principal.scope(ORG_IMPORT))
    locked = await repository.lock_chain(session, (i for u in found for i in chain_of(u)))
    units = [locked[u.id] for u in found]
    existing = {u.code: ExistingParent(u.id, u.level, u.is_archived, chain_of(u)) for u in units}
    return existing, (units[0] if len(units) == 1 else None)


async def import_units(
    session: AsyncSession,
    principal: Principal,
    upload: IO[bytes],
    fmt: FileFormat,
    lang: str,
) -> ImportResult:
    """All or nothing: check every row first; on any problem report them and write nothing."""
    plan = await anyio.to_thread.run_sync(importexport.parse, upload, fmt)
    try:
        existing, place = await _existing_parents(session, principal, plan.outside_parent_codes())
        taken = await repository.existing_codes(session, list(plan.codes))
        plan.resolve(taken, existing, may_create_towns=principal.is_superuser)
        if plan.problem_count:
            raise ImportInvalid(
                f"共 {plan.problem_count} 处错误，未导入任何数据",
                f"{plan.problem_count} problems found; nothing was imported",
                error_count=plan.problem_count,
                errors=plan.problems(lang),
            )
        plan.assign(await repository.allocate_ids(session, plan.size), existing)
        await repository.copy_units(session, plan.records())
        counts = plan.counts()
    finally:
        plan.close()
    summary = "，".join(f"{LEVEL_NAMES_ZH[k]} {v}" for k, v in counts.items() if v)
    await audit_service.record(
        session,
        principal,
        "org_unit.import",
        summary=f"导入组织 {plan.size} 个（{summary}）",
        target_type="org_unit",
        place=place,
    )
    return ImportResult(created=plan.size, by_level=LevelCounts(**counts))


async def _write_export(
    session: AsyncSession,
    principal: Principal,
    scope: Scope,
    root: OrgUnit | None,
    writer: ExportWriter,
) -> int:
    """Rows go to the file in batches, written in a worker thread (xlsx is CPU work)."""
    pii = principal.scope(PII)
    written = 0
    async for rows in repository.stream_export(session, scope, root):
        batch: list[RawRow] = [
            (*row[:7], row.contact_phone if pii.covers(row) else mask_mobile(row.contact_phone))
            for row in rows
        ]
        written += len(batch)
        await anyio.to_thread.run_sync(writer.write_many, batch)
    await anyio.to_thread.run_sync(writer.close)
    return written


async def export_units(
    session: AsyncSession, principal: Principal, fmt: FileFormat, root_id: int | None
) -> IO[bytes]:
    """The visible (sub)tree as a file that imports again: parents by code, parents
    first. Phones are masked where the caller lacks ``pii`` (PIPL), as in reads."""
    scope = principal.scope(ORG_READ)
    root = await find(session, scope, root_id) if root_id is not None else None
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        written = await _write_export(session, principal, scope, root, ExportWriter(target, fmt))
    except BaseException:
        target.close()
        raise
    target.seek(0)
    # Without a root, the export is the caller's whole sight: filed at their broadest
    # node, so that town's auditors and administrators see it.
    place = root
    if place is None and (unit_id := principal.broadest_grant(ORG_READ)) is not None:
        place = await find(session, scope, unit_id)
    await audit_service.record(
        session,
        principal,
        "org_unit.export",
        summary=f"导出组织 {written} 个（{fmt.value}）",
        target_type="org_unit",
        target_id=place.id if place else None,
        place=place,
    )
    return target
