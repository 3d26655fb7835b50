"""Uploads and downloads of photos and voice notes. Flush, never commit.

An upload is checked from its bytes (``media``), stored (``storage``) and recorded; if
anything fails after the bytes were stored, they are deleted again, so a refused file
leaves nothing behind. Reading: the uploader reads their own files; anyone else reads a
file only through the object it is attached to (``GET /orders/{id}/files/{file_id}``,
authorised like the order), and gets signed links that expire.
"""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.config import Settings
from app.files import media, repository
from app.files.errors import BadSignature, FileNotFound, FileNotUsable, NotAUser, VoiceTooLarge
from app.files.models import StoredFile
from app.files.schemas import FileRead
from app.files.storage import DiskStorage
from app.kit.crypto import derive_key

LINK_PURPOSE = "file-links"
VARIANTS = ("original", "thumbnail")


def storage(settings: Settings) -> DiskStorage:
    return DiskStorage(Path(settings.data_dir) / "files")


def _user(principal: Principal) -> int:
    if principal.user_id is None:
        raise NotAUser()
    return principal.user_id


async def upload(
    session: AsyncSession, settings: Settings, principal: Principal, data: bytes
) -> FileRead:
    user_id = _user(principal)
    processed = await asyncio.to_thread(media.process, data, max_pixels=settings.max_image_pixels)
    if processed.kind == "voice" and len(processed.data) > settings.max_voice_bytes:
        raise VoiceTooLarge()
    store = storage(settings)
    keys: list[str] = []
    try:
        key = store.new_key(processed.extension)
        await asyncio.to_thread(store.put, key, processed.data)
        keys.append(key)
        thumb_key = None
        if processed.thumbnail is not None:
            thumb_key = store.new_key("jpg")
            await asyncio.to_thread(store.put, thumb_key, processed.thumbnail)
            keys.append(thumb_key)
        row = await repository.add(
            session,
            StoredFile(
                owner_user_id=user_id,
                kind=processed.kind,
                media_type=processed.media_type,
                byte_size=len(processed.data),
                sha256=hashlib.sha256(processed.data).hexdigest(),
                storage_key=key,
                thumbnail_key=thumb_key,
                width=processed.width,
                height=processed.height,
            ),
        )
        await audit_service.record(
            session,
            principal,
            "file.upload",
            summary=f"上传 {processed.kind} #{row.id}（{processed.media_type}，{row.byte_size} B）",
            target_type="file",
            target_id=row.id,
        )
    except BaseException:
        for stored in keys:
            store.delete(stored)
        raise
    return present(settings, row)


def present(settings: Settings, row: StoredFile) -> FileRead:
    expires = int(time.time()) + settings.file_link_ttl_seconds
    return FileRead(
        id=row.id,
        kind=row.kind,
        media_type=row.media_type,
        byte_size=row.byte_size,
        width=row.width,
        height=row.height,
        order_id=row.order_id,
        url=_link(settings, row.id, "original", expires),
        thumbnail_url=_link(settings, row.id, "thumbnail", expires) if row.thumbnail_key else None,
        links_expire_at=datetime.fromtimestamp(expires, UTC),
    )


def _signature(settings: Settings, file_id: int, variant: str, expires: int) -> str:
    key = derive_key(settings.secret_key, LINK_PURPOSE)
    message = f"{file_id}:{variant}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _link(settings: Settings, file_id: int, variant: str, expires: int) -> str:
    signature = _signature(settings, file_id, variant, expires)
    return (
        f"/api/v1/files/{file_id}/content?variant={variant}&expires={expires}&signature={signature}"
    )


async def read_own(
    session: AsyncSession, settings: Settings, principal: Principal, file_id: int
) -> FileRead:
    row = await repository.get(session, file_id)
    if row is None or row.owner_user_id != principal.user_id:
        raise FileNotFound()
    return present(settings, row)


async def read_attached(
    session: AsyncSession, settings: Settings, order_id: int, file_id: int
) -> FileRead:
    """A file of an order the caller was already allowed to see (checked by orders)."""
    row = await repository.of_order(session, order_id, file_id)
    if row is None:
        raise FileNotFound()
    return present(settings, row)


async def signed_content(
    session: AsyncSession,
    settings: Settings,
    file_id: int,
    variant: str,
    expires: int,
    signature: str,
) -> tuple[Path, str]:
    """The path and media type of a signed link's bytes; 403 when the link was altered
    or has expired."""
    expected = _signature(settings, file_id, variant, expires)
    if not hmac.compare_digest(expected, signature) or expires < time.time():
        raise BadSignature()
    row = await repository.get(session, file_id)
    key = None if row is None else row.storage_key if variant == "original" else row.thumbnail_key
    if row is None or key is None:
        raise FileNotFound()
    media_type = row.media_type if variant == "original" else "image/jpeg"
    return storage(settings).path(key), media_type


async def attach_to_order(
    session: AsyncSession, principal: Principal, file_ids: Sequence[int], order_id: int
) -> list[int]:
    """Attaches files the caller uploaded and has not attached elsewhere; any other
    id refuses the whole step (422), so nothing is attached half."""
    wanted = list(dict.fromkeys(file_ids))
    if not wanted:
        return []
    attached = await repository.attach(session, wanted, _user(principal), order_id)
    if len(attached) != len(wanted):
        raise FileNotUsable()
    return wanted
