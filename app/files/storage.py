"""Where file bytes live: on disk under the data folder (``REDGRID_DATA_DIR``/files) by
default, or in an S3-compatible object store (AWS S3, MinIO, Aliyun OSS, Tencent COS)
when ``REDGRID_FILE_STORAGE=s3``. Both satisfy ``Storage``; the service does not know
which one it holds.

Keys are random, never derived from a client's file name. A reader never sees half a
file: the disk writes a temporary file and renames it into place, and an object store
makes an object visible only once its PUT completes.

Downloads stream through the API (``Blob``), so the signed, short-lived link of
``app/files/service.py`` stays the only permission: the object store needs no public
access, no presigned URL leaves the API, and clients never need to reach the store.
"""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CHUNK_BYTES = 64 * 1024


class BlobMissing(LookupError):
    """The key names no stored bytes."""


@dataclass(frozen=True)
class Blob:
    """Stored bytes being read: their size, and their chunks (read once)."""

    size: int
    chunks: AsyncIterator[bytes]


class Storage(Protocol):
    """What the files service needs of a place to keep bytes."""

    def new_key(self, extension: str) -> str: ...

    async def put(self, key: str, data: bytes, media_type: str) -> None: ...

    async def open(self, key: str) -> Blob:
        """Raises ``BlobMissing`` when nothing is stored under ``key``."""
        ...

    async def read(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Deleting a key that holds nothing is not an error (a retried cleanup)."""
        ...


def new_key(extension: str) -> str:
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}.{extension}"


async def _chunks(read: Callable[[int], bytes], close: Callable[[], None]) -> AsyncIterator[bytes]:
    """Chunks of a blocking reader, each read in a thread; closed however it ends."""
    try:
        while chunk := await asyncio.to_thread(read, CHUNK_BYTES):
            yield chunk
    finally:
        close()


class DiskStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def path(self, key: str) -> Path:
        return self.root / key

    def _put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(target.suffix + ".part")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)

    async def put(self, key: str, data: bytes, media_type: str) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def open(self, key: str) -> Blob:
        try:
            handle = await asyncio.to_thread(open, self.path(key), "rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None
        size = os.fstat(handle.fileno()).st_size
        return Blob(size=size, chunks=_chunks(handle.read, handle.close))

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise BlobMissing(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)


@dataclass(frozen=True)
class S3Location:
    """Where and how to reach the bucket (``REDGRID_S3_*``)."""

    bucket: str
    endpoint_url: str | None
    region: str
    access_key_id: str | None
    secret_access_key: str | None
    prefix: str
    addressing_style: str


_clients: dict[S3Location, Any] = {}
_clients_lock = Lock()


def _client(location: S3Location) -> Any:
    """One boto3 client per location for the process: clients are thread-safe and
    costly to build (they load the service model), sessions are not thread-safe."""
    with _clients_lock:
        client = _clients.get(location)
        if client is None:
            client = _clients[location] = boto3.session.Session().client(
                "s3",
                endpoint_url=location.endpoint_url,
                region_name=location.region,
                aws_access_key_id=location.access_key_id,
                aws_secret_access_key=location.secret_access_key,
                config=Config(
                    s3={"addressing_style": location.addressing_style},
                    retries={"mode": "standard", "max_attempts": 3},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
        return client


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    """An S3-compatible bucket through boto3; its blocking calls run in a thread."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.client = _client(location)

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def _object_key(self, key: str) -> str:
        return f"{self.location.prefix}{key}"

    async def put(self, key: str, data: bytes, media_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.location.bucket,
            Key=self._object_key(key),
            Body=data,
            ContentType=media_type,
        )

    async def open(self, key: str) -> Blob:
        try:
            answer = await asyncio.to_thread(
                self.client.get_object, Bucket=self.location.bucket, Key=self._object_key(key)
            )
        except ClientError as error:
            if _missing(error):
                raise BlobMissing(key) from None
            raise
        body = answer["Body"]
        return Blob(size=int(answer["ContentLength"]), chunks=_chunks(body.read, body.close))

    async def read(self, key: str) -> bytes:
        blob = await self.open(key)
        return b"".join([chunk async for chunk in blob.chunks])

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.location.bucket, Key=self._object_key(key)
        )
