"""The KPI report as xlsx: GET /stats/orders.xlsx and GET /stats/orders?format=xlsx."""

import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.reporting.xlsx import FIGURE_HEADERS, MEDIA_TYPE
from tests.reporting.conftest import OCTOBER, URL, World
from tests.support.problems import assert_problem

XLSX_URL = "/api/v1/stats/orders.xlsx"


async def download(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> Workbook:
    response = await client.get(url, params={**OCTOBER, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return load_workbook(io.BytesIO(response.content))


def table(book: Workbook, sheet: str, header: str) -> list[dict[str, Any]]:
    """The rows of the table whose first header cell is ``header``, as dicts."""
    rows = list(book[sheet].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == header)
    names = rows[start]
    result = []
    for row in rows[start + 1 :]:
        if not row or all(value is None for value in row):
            break
        result.append(dict(zip(names, row, strict=True)))
    return result


def same_numbers(row: dict[str, Any], figures: dict[str, Any]) -> None:
    assert row["工单总数"] == figures["total"]
    assert row["剔除数"] == figures["excluded"]
    assert row["计入数"] == figures["counted"]
    assert row["响应率"] == figures["response_rate"]["rate"]
    assert row["按时响应数"] == figures["response_rate"]["numerator"]
    assert row["应响应数"] == figures["response_rate"]["denominator"]
    assert row["解决率"] == figures["resolution_rate"]["rate"]
    assert row["解决得分"] == figures["resolution_rate"]["numerator"]
    assert row["满意率"] == figures["satisfaction_rate"]["rate"]
    assert row["满意得分"] == figures["satisfaction_rate"]["numerator"]
    assert row["平均接单时长(小时)"] == figures["mean_hours_to_accept"]
    assert row["平均办结时长(小时)"] == figures["mean_hours_to_resolve"]
    assert row["超期数"] == figures["overdue"]
    assert row["升级(吹哨)数"] == figures["escalated"]
    assert row["已办结"] == figures["by_status"]["closed"]
    assert row["已合并"] == figures["by_status"]["merged"]


class TestDownload:
    async def test_without_token_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        assert_problem(await client.get(XLSX_URL), 401, "auth.unauthenticated")

    async def test_without_orders_stats_is_403(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.get(XLSX_URL, headers=world["member"])
        assert_problem(response, 403, "auth.forbidden")

    async def test_outside_scope_is_404(self, client: httpx.AsyncClient, world: World) -> None:
        params = {"unit_id": world.unit("c2").id}
        response = await client.get(XLSX_URL, params=params, headers=world["dispatcher"])
        assert_problem(response, 404, "resource.not_found")

    @pytest.mark.parametrize(
        ("url", "extra"), [(XLSX_URL, {}), (URL, {"format": "xlsx"})], ids=["path", "query"]
    )
    async def test_workbook_holds_the_numbers_of_the_json_report(
        self, client: httpx.AsyncClient, world: World, url: str, extra: dict[str, str]
    ) -> None:
        headers = world["town_admin"]
        report = (await client.get(URL, params=OCTOBER, headers=headers)).json()
        book = await download(client, url, headers, **extra)
        assert book.sheetnames == ["总览", "按类别", "按下级"]

        overview = table(book, "总览", "范围")
        assert [row["范围"] for row in overview] == ["全部", "本级直属"]
        same_numbers(overview[0], report["summary"])
        same_numbers(overview[1], report["at_unit"])
        assert book["总览"]["B1"].value == "石龙镇"

        categories = table(book, "按类别", "类别")
        assert [r["类别代码"] for r in categories] == [c["category"] for c in report["by_category"]]
        for row, category in zip(categories, report["by_category"], strict=True):
            same_numbers(row, category["figures"])
        assert categories[0]["类别"] == "维修"

        children = table(book, "按下级", "排名")
        assert [(r["排名"], r["名称"]) for r in children] == [
            (c["rank"], c["unit"]["name"]) for c in report["by_child"]
        ]
        for row, child in zip(children, report["by_child"], strict=True):
            same_numbers(row, child["figures"])
        assert list(children[0])[4:] == list(FIGURE_HEADERS)
        assert book["按下级"]["E2"].number_format == "General"
        assert book["按下级"]["H2"].number_format == "0.00%"

    async def test_formula_like_names_are_neutralised(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        world.unit("c4").name = "=HYPERLINK(1)"
        await db.flush()
        book = await download(client, XLSX_URL, world["town_admin"])
        names = [r["名称"] for r in table(book, "按下级", "排名")]
        assert "'=HYPERLINK(1)" in names
