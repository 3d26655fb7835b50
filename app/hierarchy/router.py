"""``/api/v1/org-units``: the five-level hierarchy (五级组织体系)."""

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import Field
from starlette.datastructures import UploadFile as StarletteUpload

from app.authz.deps import CurrentPrincipal, require
from app.authz.permissions import ORG_IMPORT, ORG_READ, ORG_WRITE
from app.db.session import DbSession
from app.hierarchy import service
from app.hierarchy.errors import UnsupportedImportFormat
from app.hierarchy.importexport import service as importexport_service
from app.hierarchy.importexport.formats import MEDIA_TYPES, FileFormat, detect_format
from app.hierarchy.models import OrgLevel, OrgUnit
from app.hierarchy.schemas import (
    ImportProblem,
    ImportResult,
    OrgUnitCreate,
    OrgUnitMove,
    OrgUnitPage,
    OrgUnitRead,
    OrgUnitRef,
    OrgUnitUpdate,
    SubtreeNode,
)
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.calendar import BUSINESS_TZ
from app.kit.etag import etag_for
from app.kit.http import IfMatchRequired, set_location
from app.kit.i18n import negotiate_language
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import BoolParam, DecimalDigits, IdParam, Line

router = APIRouter(
    prefix="/org-units",
    tags=["org-units"],
    responses=problem_responses(401, 403, 404),
    route_class=IdempotentRoute,
)

CanReadUnits = require(ORG_READ)
CanWriteUnits = require(ORG_WRITE)
CanImportUnits = require(ORG_IMPORT)
Depth = Annotated[int, Field(ge=1, le=4, description="Levels below the unit"), DecimalDigits]
_VERSIONED = problem_responses(409, 412, 428)


def _one(response: Response, principal: CurrentPrincipal, unit: OrgUnit) -> OrgUnitRead:
    response.headers["ETag"] = etag_for(unit.version)
    return service.present(principal, unit)


@router.post(
    "",
    status_code=201,
    dependencies=[CanWriteUnits, Idempotent],
    responses=problem_responses(409),
    summary="Create an org unit · 新建组织",
)
async def create_org_unit(
    body: OrgUnitCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OrgUnitRead:
    """A town needs a superuser; below, ``org.write`` over the parent, exactly one level up."""
    unit = await service.create_unit(session, principal, body)
    set_location(request, response, "get_org_unit", unit_id=unit.id)
    return _one(response, principal, unit)


@router.get("", dependencies=[CanReadUnits], summary="List and search org units · 查询组织")
async def list_org_units(
    principal: CurrentPrincipal,
    session: DbSession,
    q: Annotated[
        Line | None,
        Query(min_length=1, max_length=100, description="Part of the name or code, any case"),
    ] = None,
    level: OrgLevel | None = None,
    parent_id: IdParam | None = None,
    include_archived: BoolParam = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OrgUnitPage:
    """Visible units ordered by id (keyset pages)."""
    return await service.list_units(
        session,
        principal,
        limit=limit,
        cursor=cursor,
        q=q,
        level=level,
        parent_id=parent_id,
        include_archived=include_archived,
    )


# The upload is read by the handler, after the caller is known: a parameter of type
# UploadFile would make FastAPI read the whole body (up to 64 MiB) before the 401.
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


@router.post(
    "/import",
    status_code=201,
    dependencies=[CanImportUnits],
    responses={
        **problem_responses(409, 413, 415),
        422: {
            "model": ImportProblem,
            "description": "Rows failed (`org_unit.import_invalid`); nothing was written",
            "content": {"application/problem+json": {}},
        },
    },
    summary="Import a hierarchy from csv or xlsx · 批量导入组织",
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def import_org_units(
    request: Request, principal: CurrentPrincipal, session: DbSession
) -> ImportResult:
    """Columns ``code, name, level, parent_code, grid_kind, address, contact_name,
    contact_phone`` (or 编码, 名称, 层级, 上级编码, 网格类型, 地址, 联系人, 联系电话).

    Parents are referenced by code: a row of the same file (before or after) or an
    existing unit within the caller's ``org.import`` scope. All or nothing.
    """
    file = await _upload(request)
    fmt = detect_format(file.filename, file.content_type)
    if fmt is None:
        raise UnsupportedImportFormat()
    lang = negotiate_language(request.headers.get("accept-language"))
    return await importexport_service.import_units(session, principal, file.file, fmt, lang)


async def _upload(request: Request) -> StarletteUpload:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except (HTTPException, AssertionError, ValueError) as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body",), "msg": "not multipart form data"}]
        ) from exc
    file = form.get("file")
    if not isinstance(file, StarletteUpload):
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "file"), "msg": "Field required", "input": None}]
        )
    return file


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(64 * 1024):
            yield chunk


@router.get(
    "/export",
    dependencies=[CanReadUnits],
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}},
    summary="Export the visible hierarchy as csv or xlsx · 导出组织",
)
async def export_org_units(
    principal: CurrentPrincipal,
    session: DbSession,
    file_format: Annotated[FileFormat, Query(alias="format")] = FileFormat.csv,
    root_id: Annotated[
        IdParam | None, Query(description="A subtree; all visible when absent")
    ] = None,
) -> StreamingResponse:
    """Same columns as the import; parents by code and listed before their children."""
    stream = await importexport_service.export_units(session, principal, file_format, root_id)
    stamp = datetime.now(BUSINESS_TZ).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _chunks(stream),
        media_type=MEDIA_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="org-units-{stamp}.{file_format.value}"'
        },
    )


@router.get("/{unit_id}", dependencies=[CanReadUnits], summary="Read an org unit · 查看组织")
async def get_org_unit(
    unit_id: IdParam, response: Response, principal: CurrentPrincipal, session: DbSession
) -> OrgUnitRead:
    """With ``ETag``; send it back as ``If-Match`` to change the unit."""
    return _one(response, principal, await service.get_unit(session, principal, unit_id))


@router.patch(
    "/{unit_id}",
    dependencies=[CanWriteUnits],
    responses=_VERSIONED,
    summary="Update an org unit · 修改组织",
)
async def update_org_unit(
    unit_id: IdParam,
    body: OrgUnitUpdate,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> OrgUnitRead:
    """Name, code (stays unique), grid kind, address and contact. Level and parent
    change only by ``move``."""
    unit = await service.update_unit(session, principal, unit_id, if_match, body)
    return _one(response, principal, unit)


@router.post(
    "/{unit_id}/move",
    dependencies=[CanWriteUnits, Idempotent],
    responses=_VERSIONED,
    summary="Move a subtree under another parent · 移动组织",
)
async def move_org_unit(
    unit_id: IdParam,
    body: OrgUnitMove,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> OrgUnitRead:
    """Needs ``org.write`` over the unit and the new parent, exactly one level up. The
    ancestor ids of the whole subtree, and of the people placed in it, are rewritten."""
    unit = await service.move_unit(session, principal, unit_id, if_match, body.new_parent_id)
    return _one(response, principal, unit)


@router.post(
    "/{unit_id}/archive",
    dependencies=[CanWriteUnits, Idempotent],
    responses=_VERSIONED,
    summary="Archive an org unit · 归档组织",
)
async def archive_org_unit(
    unit_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> OrgUnitRead:
    """Refused (409) while it has live children (`org_unit.has_live_children`), people
    (`org_unit.has_people`) or open orders (`org_unit.has_open_orders`: any status but
    closed, rejected, merged, cancelled)."""
    unit = await service.archive_unit(session, principal, unit_id, if_match)
    return _one(response, principal, unit)


@router.post(
    "/{unit_id}/restore",
    dependencies=[CanWriteUnits, Idempotent],
    responses=_VERSIONED,
    summary="Restore an archived org unit · 恢复组织",
)
async def restore_org_unit(
    unit_id: IdParam,
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    if_match: IfMatchRequired = None,
) -> OrgUnitRead:
    """Its parent must be live."""
    unit = await service.restore_unit(session, principal, unit_id, if_match)
    return _one(response, principal, unit)


@router.get(
    "/{unit_id}/children", dependencies=[CanReadUnits], summary="Children of an org unit · 下级组织"
)
async def list_org_unit_children(
    unit_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    include_archived: BoolParam = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> OrgUnitPage:
    return await service.list_children(
        session,
        principal,
        unit_id,
        limit=limit,
        cursor=cursor,
        include_archived=include_archived,
    )


@router.get(
    "/{unit_id}/subtree",
    dependencies=[CanReadUnits],
    summary="Subtree with counts per level · 组织子树及统计",
)
async def get_org_unit_subtree(
    unit_id: IdParam,
    principal: CurrentPrincipal,
    session: DbSession,
    depth: Depth = 1,
) -> SubtreeNode:
    """Live nodes down to ``depth`` levels, each with its live descendants per level.
    A tree of more than 5000 nodes is refused (`org_unit.subtree_too_large`)."""
    return await service.get_subtree(session, principal, unit_id, depth)


@router.get(
    "/{unit_id}/ancestors",
    dependencies=[CanReadUnits],
    summary="Breadcrumb from the town down · 上级路径",
)
async def list_org_unit_ancestors(
    unit_id: IdParam, principal: CurrentPrincipal, session: DbSession
) -> list[OrgUnitRef]:
    """Top down, ending with the unit itself; ancestors outside the caller's scope are
    left out."""
    return await service.get_ancestors(session, principal, unit_id)
