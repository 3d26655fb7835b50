"""Imports that would exhaust the server (issue 15): an xlsx that unpacks to far more
than it weighs, an entity bomb, an oversized csv field — each a 422 report, never a
500 — and an anonymous upload refused before its body is read."""

import io
import zipfile
from collections.abc import AsyncIterator

import httpx
from openpyxl import Workbook

from tests.hierarchy.conftest import World
from tests.support.problems import assert_problem

URL = "/api/v1/org-units/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(content: bytes, name: str, media: str) -> dict[str, object]:
    return {"file": (name, content, media)}


def _xlsx_with(part: str, data: bytes) -> bytes:
    """A real workbook with one of its parts replaced."""
    book = Workbook()
    book.active.append(["code", "name", "level"])  # type: ignore[union-attr]
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, data if item.filename == part else source.read(item.filename))
        if part not in source.namelist():
            target.writestr(part, data)
    return out.getvalue()


async def _problem_code(client: httpx.AsyncClient, world: World, files: dict[str, object]) -> str:
    response = await client.post(URL, files=files, headers=world["admin"])
    body = assert_problem(response, 422, "org_unit.import_invalid")
    return str(body["errors"][0]["problem_code"])


async def test_a_zip_bomb_is_refused_from_its_directory(
    client: httpx.AsyncClient, world: World
) -> None:
    strings = b"<sst>" + b"A" * (40 * 1024 * 1024) + b"</sst>"
    content = _xlsx_with("xl/sharedStrings.xml", strings)
    assert len(content) < 1024 * 1024
    # Refused by its zip directory (ratio far over 200×), before any part is unpacked.
    code = await _problem_code(client, world, _upload(content, "bomb.xlsx", XLSX))
    assert code == "archive_too_large"


async def test_an_entity_bomb_is_unreadable_not_a_500(
    client: httpx.AsyncClient, world: World
) -> None:
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [' + "".join(laughs) + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    content = _xlsx_with("xl/worksheets/sheet1.xml", sheet)
    assert await _problem_code(client, world, _upload(content, "lol.xlsx", XLSX)) == "unreadable"


async def test_a_csv_field_over_the_parser_limit_is_unreadable(
    client: httpx.AsyncClient, world: World
) -> None:
    content = b'code,name,level\nA,"' + b"x" * (200 * 1024) + b'",grid\n'
    assert await _problem_code(client, world, _upload(content, "u.csv", "text/csv")) == "unreadable"


async def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="u.csv"\r\n\r\n'
        for _ in range(60):
            sent += 1
            yield b"x" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    response = await client.post(
        URL,
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert_problem(response, 401, "auth.unauthenticated")
    assert sent <= 1, f"{sent} MiB read before the 401"
