import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.orders.conftest import World, build_world
from tests.support.s3 import S3Server

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 1_000_000


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server().start()
    yield server
    server.stop()


@dataclass
class Backend:
    """Where the app under test keeps uploads, and what it holds there now."""

    name: str
    settings: dict[str, object]
    files_dir: Path
    s3: S3Server | None = None

    def stored(self) -> set[str]:
        if self.s3 is not None:
            bucket, prefix = str(self.settings["s3_bucket"]), str(self.settings["s3_prefix"])
            return {key.removeprefix(prefix) for key in self.s3.keys(bucket)}
        root = self.files_dir / "files"
        if not root.exists():
            return set()
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="session", params=["disk", "s3"])
def backend(request: pytest.FixtureRequest, files_dir: Path) -> Backend:
    """Every test of the files API runs against both storages: the disk, and an
    S3-compatible bucket on a real S3 HTTP server on loopback."""
    if request.param == "disk":
        return Backend("disk", {}, files_dir)
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = server.create_bucket("redgrid-files")
    return Backend("s3", server.settings(bucket, prefix="uploads/"), files_dir, server)


@pytest.fixture(scope="session")
async def files_app(backend: Backend, database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        data_dir=backend.files_dir,
        max_file_bytes=MAX_FILE_BYTES,
        max_image_pixels=MAX_PIXELS,
        **backend.settings,
    )
    application = create_app(settings, database_url=database_url)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def http(
    files_app: FastAPI, app: FastAPI, db: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    files_app.state.session_factory = app.state.session_factory
    transport = httpx.ASGITransport(app=files_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings)


def photo_with_gps(size: tuple[int, int] = (800, 600), fmt: str = "JPEG") -> bytes:
    """A photo as a phone takes it: camera make and model, and GPS in its EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()
