"""The two storages behind one ``Storage`` protocol: the same behaviour from each
(bytes in, streamed out, missing keys, idempotent deletes), and the settings that
choose between them."""

import pytest
from pydantic import ValidationError

from app.files import service
from app.files.storage import BlobMissing, DiskStorage, S3Storage
from tests.conftest import make_settings
from tests.files.conftest import Backend

DATA = bytes(range(256)) * 1000  # several 64 KiB chunks


async def test_put_open_read_delete(backend: Backend) -> None:
    store = service.storage(make_settings(data_dir=backend.files_dir, **backend.settings))
    assert isinstance(store, S3Storage if backend.name == "s3" else DiskStorage)
    key = store.new_key("bin")
    await store.put(key, DATA, "application/octet-stream")
    assert key in backend.stored()

    blob = await store.open(key)
    chunks = [chunk async for chunk in blob.chunks]
    assert blob.size == len(DATA) and b"".join(chunks) == DATA and len(chunks) > 1
    assert await store.read(key) == DATA

    await store.delete(key)
    assert key not in backend.stored()
    with pytest.raises(BlobMissing):
        await store.open(key)
    with pytest.raises(BlobMissing):
        await store.read(key)
    await store.delete(key)  # a second delete is no error (a retried sweep)


def test_keys_are_random_and_never_the_clients_name(backend: Backend) -> None:
    store = service.storage(make_settings(data_dir=backend.files_dir, **backend.settings))
    keys = {store.new_key("jpg") for _ in range(100)}
    assert len(keys) == 100 and all(k.endswith(".jpg") and ".." not in k for k in keys)


def test_s3_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="REDGRID_S3_BUCKET"):
        make_settings(file_storage="s3")
    assert make_settings().file_storage == "disk"
