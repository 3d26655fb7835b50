"""``/api/v1/files``: upload a photo or voice note, read one's own, fetch bytes by a
signed link."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from app.authz.deps import any_account
from app.authz.principal import Principal
from app.config import Settings
from app.db.session import DbSession
from app.files import service
from app.files.schemas import FileRead
from app.kit.schemas import problem_responses
from app.kit.types import IdParam

Uploader = Annotated[Principal, any_account("one's own uploads")]

router = APIRouter(prefix="/files", tags=["files"])

Signature = Annotated[str, Query(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
Expires = Annotated[int, Query(ge=1, le=2**63 - 1)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "",
    status_code=201,
    response_model=FileRead,
    responses=problem_responses(401, 403, 415),
    summary="Upload a photo or voice note · 上传照片或语音",
)
async def upload_file(
    request: Request, session: DbSession, principal: Uploader, file: UploadFile
) -> FileRead:
    """`multipart/form-data` with one part named `file` (what `wx.uploadFile` sends).
    The type is read from the content, whatever the name or declared type: JPEG, PNG or
    WebP images (re-encoded: EXIF, GPS and camera data removed; a thumbnail made) and
    AMR, SILK, MP3 or AAC voice notes; anything else 415. Over
    `REDGRID_MAX_FILE_BYTES` the upload is cut off while it streams (413); an image
    that decodes to too many pixels is a decompression bomb (422). A voice note over
    `REDGRID_MAX_VOICE_BYTES` is 413 `file.voice_too_large`, one that plays longer than
    `REDGRID_MAX_VOICE_SECONDS` (read from its frames) 422 `file.voice_too_long`.
    Attach it by id when submitting or resolving an order, or in a note, within
    `REDGRID_ORPHAN_FILE_HOURS`: unattached uploads are deleted after that."""
    data = await file.read()
    return await service.upload(session, _settings(request), principal, data)


@router.get(
    "/{file_id}",
    response_model=FileRead,
    responses=problem_responses(401, 403, 404),
    summary="One of my uploads · 我上传的文件",
)
async def read_file(
    request: Request, session: DbSession, principal: Uploader, file_id: IdParam
) -> FileRead:
    """The uploader's own file with fresh signed links. Anyone else reads a file
    through its order: `GET /orders/{order_id}/files/{file_id}`."""
    return await service.read_own(session, _settings(request), principal, file_id)


@router.get(
    "/{file_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"image/jpeg": {}, "application/octet-stream": {}}},
        **problem_responses(403, 404),
    },
    summary="File bytes by signed link · 文件下载",
)
async def read_file_content(
    request: Request,
    session: DbSession,
    file_id: IdParam,
    expires: Expires,
    signature: Signature,
    variant: Literal["original", "thumbnail"] = "original",
) -> StreamingResponse:
    """No bearer token: the link itself, signed and short-lived, is the permission
    (`url` and `thumbnail_url` of a file). An altered or expired link is 403. The bytes
    stream through the API from whichever storage holds them (disk or the object
    store), so the store needs no public access."""
    blob, media_type = await service.signed_content(
        session, _settings(request), file_id, variant, expires, signature
    )
    return StreamingResponse(
        blob.chunks,
        media_type=media_type,
        headers={
            "Content-Length": str(blob.size),
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )
