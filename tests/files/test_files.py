"""Uploads: the type from the content, EXIF and GPS stripped, thumbnails, limits, and
nothing left behind by a refused file; downloads by signed link, authorised like the
order a file is attached to."""

import io
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.files import service as files_service
from app.files.models import StoredFile
from tests.files import voice
from tests.files.conftest import MAX_FILE_BYTES, Backend, photo_with_gps
from tests.orders.conftest import World, ok, order_in, submit
from tests.support.problems import assert_problem
from tests.users.helpers import audit_events

URL = "/api/v1/files"


async def upload(
    http: httpx.AsyncClient,
    world: World,
    data: bytes,
    who: str = "resident",
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    return await http.post(URL, files={"file": (name, data, content_type)}, headers=world[who])


async def uploaded(http: httpx.AsyncClient, world: World, who: str = "resident") -> dict:  # type: ignore[type-arg]
    response = await upload(http, world, photo_with_gps(), who)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def file_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(StoredFile)) or 0)


class TestUpload:
    async def test_without_token_is_401(self, http: httpx.AsyncClient, world: World) -> None:
        response = await http.post(URL, files={"file": ("a.jpg", photo_with_gps(), "image/jpeg")})
        assert_problem(response, 401, "auth.unauthenticated")

    async def test_photo_is_reencoded_without_exif_and_thumbnailed(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        original = photo_with_gps()
        assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # GPS is there
        response = await upload(http, world, original)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["kind"] == "image" and body["media_type"] == "image/jpeg"
        assert (body["width"], body["height"]) == (800, 600)

        content = await http.get(body["url"])
        assert content.status_code == 200 and content.headers["content-type"] == "image/jpeg"
        cleaned = Image.open(io.BytesIO(content.content))
        assert cleaned.size == (800, 600)
        assert dict(cleaned.getexif()) == {} and b"Exif" not in content.content
        assert b"iPhone" not in content.content

        thumb = await http.get(body["thumbnail_url"])
        assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
        (event,) = await audit_events(db, action="file.upload")
        assert event.target_id == str(body["id"])

    async def test_png_with_alpha_stays_png(self, http: httpx.AsyncClient, world: World) -> None:
        out = io.BytesIO()
        Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, "PNG")
        response = await upload(
            http, world, out.getvalue(), name="x.bin", content_type="text/plain"
        )
        assert response.json()["media_type"] == "image/png"

    async def test_voice_note_by_its_magic_number(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        amr = voice.amr(3.0)
        response = await upload(http, world, amr, name="voice.jpg", content_type="image/jpeg")
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["kind"], body["media_type"], body["thumbnail_url"]) == (
            "voice",
            "audio/amr",
            None,
        )
        assert body["duration_seconds"] == 3.0
        assert (await http.get(body["url"])).content == amr

    async def test_type_comes_from_content_not_name(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, backend: Backend
    ) -> None:
        before = backend.stored()
        for data in (b"<?php system($_GET['c']); ?>", b"%PDF-1.7\n" + b"x" * 100, b""):
            response = await upload(http, world, data, name="photo.jpg")
            assert_problem(response, 415, "file.unsupported_type")
        assert await file_count(db) == 0 and backend.stored() == before

    async def test_truncated_image_is_422(self, http: httpx.AsyncClient, world: World) -> None:
        data = photo_with_gps()
        response = await upload(http, world, data[: len(data) // 3])
        assert_problem(response, 422, "file.unreadable_image")

    async def test_decompression_bomb_is_422(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, backend: Backend
    ) -> None:
        before = backend.stored()
        out = io.BytesIO()
        Image.new("L", (1500, 1500)).save(out, "PNG")  # 2.25 M pixels in a few KB
        assert len(out.getvalue()) < 20_000
        response = await upload(http, world, out.getvalue(), name="bomb.png")
        assert_problem(response, 422, "file.decompression_bomb")
        assert await file_count(db) == 0 and backend.stored() == before

    async def test_too_large_is_cut_off_while_streaming(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, backend: Backend
    ) -> None:
        sent = 0
        chunk = b"\xff" * 65536
        boundary = "bnd"

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                'filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            yield head
            for _ in range(10 * MAX_FILE_BYTES // len(chunk)):
                sent += len(chunk)
                yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        before = backend.stored()
        response = await http.post(
            URL,
            content=body(),
            headers=world["resident"]
            | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_problem(response, 413, "request.too_large")
        assert sent <= MAX_FILE_BYTES + 2 * len(chunk)  # refused long before the end
        assert await file_count(db) == 0 and backend.stored() == before


class TestOrderPhotos:
    async def test_resident_submits_with_two_photos_others_cannot_fetch_them(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        first, second = await uploaded(http, world), await uploaded(http, world)
        order = await submit(http, world, file_ids=[first["id"], second["id"]])
        assert order["attachment_file_ids"] == [first["id"], second["id"]]

        for who in ("resident", "dispatcher"):
            response = await http.get(
                f"/api/v1/orders/{order['id']}/files/{second['id']}", headers=world[who]
            )
            assert response.status_code == 200, response.text
            content = await http.get(response.json()["url"])
            image = Image.open(io.BytesIO(content.content))
            assert not image.getexif().get_ifd(0x8825)  # no GPS

        for who in ("neighbour", "far_resident", "sibling_dispatcher"):
            response = await http.get(
                f"/api/v1/orders/{order['id']}/files/{first['id']}", headers=world[who]
            )
            assert_problem(response, 404, "resource.not_found")
            assert_problem(
                await http.get(f"{URL}/{first['id']}", headers=world[who]), 404, "file.not_found"
            )

    async def test_bytes_gone_from_storage_is_404_not_500(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, files_app: FastAPI
    ) -> None:
        mine = await uploaded(http, world)
        row = await db.get(StoredFile, mine["id"])
        assert row is not None
        before = await http.get(mine["url"])
        assert before.status_code == 200
        assert before.headers["content-length"] == str(row.byte_size)
        await files_service.storage(files_app.state.settings).delete(row.storage_key)
        assert_problem(await http.get(mine["url"]), 404, "file.not_found")

    async def test_a_link_cannot_be_altered(self, http: httpx.AsyncClient, world: World) -> None:
        mine = await uploaded(http, world)
        other = await uploaded(http, world, who="neighbour")
        query = parse_qs(urlsplit(mine["url"]).query)
        forged = (
            f"{URL}/{other['id']}/content?variant=original"
            f"&expires={query['expires'][0]}&signature={query['signature'][0]}"
        )
        assert_problem(await http.get(forged), 403, "file.bad_signature")
        expired = f"{URL}/{mine['id']}/content?variant=original&expires=1&signature={'0' * 64}"
        assert_problem(await http.get(expired), 403, "file.bad_signature")

    async def test_someone_elses_file_cannot_be_attached(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        theirs = await uploaded(http, world, who="neighbour")
        response = await http.post(
            "/api/v1/orders",
            json={
                "category": "repair",
                "title": "t",
                "description": "d",
                "channel": "app",
                "file_ids": [theirs["id"]],
            },
            headers=world["resident"],
        )
        assert_problem(response, 422, "file.not_usable")

    async def test_resolve_photos_and_note_files(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        order = await order_in(http, world, "in_progress")
        note_file = await uploaded(http, world, who="member")
        await ok(
            http,
            world,
            "member",
            order["id"],
            "note",
            {"text": "已购配件", "file_ids": [note_file["id"]]},
        )
        proof = await uploaded(http, world, who="member")
        resolved = await ok(
            http,
            world,
            "member",
            order["id"],
            "resolve",
            {"result": "已修好", "photo_file_ids": [proof["id"]]},
        )
        assert resolved["result_file_ids"] == [proof["id"]]
        for file_id in (note_file["id"], proof["id"]):
            response = await http.get(
                f"/api/v1/orders/{order['id']}/files/{file_id}", headers=world["resident"]
            )
            assert response.status_code == 200, response.text
