"""GET /api/v1/people/export: CSV and xlsx, streamed, masked like every response."""

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.people.export import PEOPLE_COLUMNS
from tests.people.conftest import World, create_person, id_number
from tests.support.problems import assert_problem

URL = "/api/v1/people/export"


def parse(response: httpx.Response, fmt: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith("\ufeff".encode())
        reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        assert tuple(reader.fieldnames or ()) == PEOPLE_COLUMNS
        return list(reader)
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == PEOPLE_COLUMNS
    return [dict(zip(PEOPLE_COLUMNS, row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
class TestExportPeople:
    async def test_without_token_is_401(
        self, client: httpx.AsyncClient, world: World, fmt: str
    ) -> None:
        response = await client.get(URL, params={"format": fmt})
        assert_problem(response, 401, "auth.unauthenticated")

    @pytest.mark.parametrize("role", ["member", "resident"])
    async def test_weak_role_is_403(
        self, client: httpx.AsyncClient, world: World, fmt: str, role: str
    ) -> None:
        response = await client.get(URL, params={"format": fmt}, headers=world[role])
        assert_problem(response, 403, "auth.forbidden")

    async def test_sibling_subtree_gets_none_of_them(
        self, client: httpx.AsyncClient, world: World, fmt: str
    ) -> None:
        await create_person(client, world["admin"], world.unit("h1"), mobile="13812345678")
        response = await client.get(URL, params={"format": fmt}, headers=world["sibling"])
        assert parse(response, fmt) == []

    async def test_masked_without_pii(
        self, client: httpx.AsyncClient, world: World, fmt: str
    ) -> None:
        number = id_number()
        person = await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        response = await client.get(URL, params={"format": fmt}, headers=world["dispatcher"])
        [row] = parse(response, fmt)
        assert row["id"] == str(person["id"]) and row["name"] == "张三"
        assert row["mobile"] == "138****5678"
        assert row["id_number"] == "*" * 14 + number[-4:]
        assert "13812345678" not in response.content.decode("utf-8", "replace")

    async def test_full_with_pii(self, client: httpx.AsyncClient, world: World, fmt: str) -> None:
        number = id_number()
        await create_person(
            client, world["admin"], world.unit("h1"), mobile="13812345678", id_number=number
        )
        response = await client.get(URL, params={"format": fmt}, headers=world["admin"])
        assert response.headers["content-disposition"] == f'attachment; filename="people.{fmt}"'
        [row] = parse(response, fmt)
        assert (row["mobile"], row["id_number"]) == ("13812345678", number)

    async def test_filters_apply_and_all_pages_stream(
        self, client: httpx.AsyncClient, world: World, fmt: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.people import service

        # Small batches, so the export crosses several keyset pages.
        monkeypatch.setattr(service, "EXPORT_BATCH", 2)
        made = [
            (await create_person(client, world["admin"], world.unit("h1"), name=f"甲{i}"))["id"]
            for i in range(5)
        ]
        await create_person(client, world["admin"], world.unit("b1"), name="乙")
        response = await client.get(URL, params={"format": fmt, "q": "甲"}, headers=world["admin"])
        assert [int(r["id"]) for r in parse(response, fmt)] == sorted(made, reverse=True)

    async def test_formula_like_names_are_neutralised(
        self, client: httpx.AsyncClient, world: World, fmt: str
    ) -> None:
        await create_person(client, world["admin"], world.unit("h1"), name="=HYPERLINK(1)")
        [row] = parse(await client.get(URL, params={"format": fmt}, headers=world["admin"]), fmt)
        assert row["name"] == "'=HYPERLINK(1)"

    async def test_export_is_audited(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession, fmt: str
    ) -> None:
        response = await client.get(URL, params={"format": fmt}, headers=world["dispatcher"])
        assert response.status_code == 200
        events = (
            await db.scalars(select(AuditEvent).where(AuditEvent.action == "person.export"))
        ).all()
        assert [fmt in e.summary for e in events] == [True]
