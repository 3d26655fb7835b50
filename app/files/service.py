"""Uploads and downloads of photos and voice notes. Flush, never commit.

An upload is checked from its bytes (``media``, and ``audio`` for a voice note's
duration), stored (``storage``: disk or an S3-compatible bucket, the same ``Storage``
either way) and recorded; if anything fails after the bytes were stored, they are
deleted again, so a refused file leaves nothing behind. Uploads never attached to an
order are purged after ``REDGRID_ORPHAN_FILE_HOURS`` (``purge_orphans``).

Reading: the uploader reads their own files; anyone else reads a file only through
the object it is attached to (``GET /orders/{id}/files/{file_id}``, authorised like
the order), and gets signed links that expire; the bytes stream through the API.
"""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.config import Settings
from app.files import audio, media, repository
from app.files.errors import (
    BadSignature,
    FileNotFound,
    FileNotUsable,
    NotAUser,
    VoiceTooLarge,
    VoiceTooLong,
)
from app.files.models import StoredFile
from app.files.schemas import FileRead
from app.files.storage import Blob, BlobMissing, DiskStorage, S3Location, S3Storage, Storage
from app.kit.crypto import derive_key

LINK_PURPOSE = "file-links"
VARIANTS = ("original", "thumbnail")


def storage(settings: Settings) -> Storage:
    """The configured place for bytes (``REDGRID_FILE_STORAGE``)."""
    if settings.file_storage == "s3":
        assert settings.s3_bucket is not None  # the settings refuse s3 without a bucket
        return S3Storage(
            S3Location(
                bucket=settings.s3_bucket,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=settings.s3_secret_access_key,
                prefix=settings.s3_prefix,
                addressing_style=settings.s3_addressing_style,
            )
        )
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
    duration_ms = None
    if processed.kind == "voice":
        duration_ms = await _voice_duration_ms(settings, processed)
    store = storage(settings)
    keys: list[str] = []
    try:
        key = store.new_key(processed.extension)
        await store.put(key, processed.data, processed.media_type)
        keys.append(key)
        thumb_key = None
        if processed.thumbnail is not None:
            thumb_key = store.new_key("jpg")
            await store.put(thumb_key, processed.thumbnail, "image/jpeg")
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
                duration_ms=duration_ms,
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
        # Shielded: a cancelled request (the client went away) still removes its bytes.
        with anyio.CancelScope(shield=True):
            for stored in keys:
                await store.delete(stored)
        raise
    return present(settings, row)


async def _voice_duration_ms(settings: Settings, processed: media.Processed) -> int:
    """The size limit first (cheap, and it bounds the parse), then how long it plays."""
    if len(processed.data) > settings.max_voice_bytes:
        raise VoiceTooLarge()
    seconds = await asyncio.to_thread(audio.duration, processed.media_type, processed.data)
    if seconds > settings.max_voice_seconds:
        limit = settings.max_voice_seconds
        raise VoiceTooLong(
            f"语音时长 {seconds:.1f} 秒，超过上限 {limit:g} 秒",
            f"The voice note plays for {seconds:.1f} s, over the limit of {limit:g} s",
            duration_seconds=round(seconds, 3),
            max_seconds=limit,
        )
    return round(seconds * 1000)


def present(settings: Settings, row: StoredFile) -> FileRead:
    expires = int(time.time()) + settings.file_link_ttl_seconds
    return FileRead(
        id=row.id,
        kind=row.kind,
        media_type=row.media_type,
        byte_size=row.byte_size,
        width=row.width,
        height=row.height,
        duration_seconds=None if row.duration_ms is None else row.duration_ms / 1000,
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
) -> tuple[Blob, str]:
    """The bytes (streamed from storage) and media type of a signed link; 403 when the
    link was altered or has expired."""
    expected = _signature(settings, file_id, variant, expires)
    if not hmac.compare_digest(expected, signature) or expires < time.time():
        raise BadSignature()
    row = await repository.get(session, file_id)
    key = None if row is None else row.storage_key if variant == "original" else row.thumbnail_key
    if row is None or key is None:
        raise FileNotFound()
    media_type = row.media_type if variant == "original" else "image/jpeg"
    try:
        blob = await storage(settings).open(key)
    except BlobMissing:
        raise FileNotFound() from None
    return blob, media_type


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


ORPHAN_BATCH = 200


async def purge_orphans(
    session: AsyncSession, settings: Settings, now: datetime, *, limit: int = ORPHAN_BATCH
) -> int:
    """Deletes up to ``limit`` uploads older than ``REDGRID_ORPHAN_FILE_HOURS`` that no
    order references, bytes first and then rows, in the caller's transaction; how many.

    The rows are locked ``FOR UPDATE SKIP LOCKED``. A file being attached right now
    (its row locked by the attaching ``UPDATE``) is skipped and stays attached; an
    attach that comes after the lock waits for this transaction, then finds the row
    gone and refuses the step (``file.not_usable``), so no order ever references
    deleted bytes. Bytes go before the rows commit: if this transaction then fails, the
    rows stay and the next run deletes them again (deleting nothing is no error);
    deleting bytes after the commit could leave bytes that nothing points at.
    """
    cutoff = now - timedelta(hours=settings.orphan_file_hours)
    rows = await repository.lock_orphans(session, cutoff, limit)
    if not rows:
        return 0
    store = storage(settings)
    for row in rows:
        for key in (row.storage_key, row.thumbnail_key):
            if key is not None:
                await store.delete(key)
    await repository.delete(session, [row.id for row in rows])
    await audit_service.record(
        session,
        None,
        "file.purge_orphans",
        summary=f"删除 {len(rows)} 个超过 {settings.orphan_file_hours:g} 小时未引用的上传文件",
        target_type="file",
        actor_name="job:files.purge_orphans",
    )
    return len(rows)
