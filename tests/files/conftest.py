import io
from collections.abc import AsyncIterator
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

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 1_000_000


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
async def files_app(files_dir: Path, database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        data_dir=files_dir, max_file_bytes=MAX_FILE_BYTES, max_image_pixels=MAX_PIXELS
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


def stored(files_dir: Path) -> set[Path]:
    return (
        {p for p in (files_dir / "files").rglob("*") if p.is_file()}
        if (files_dir / "files").exists()
        else set()
    )


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
